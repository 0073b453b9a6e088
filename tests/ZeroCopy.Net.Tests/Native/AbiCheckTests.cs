using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using Xunit;
using Xunit.Abstractions;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Native;

/// <summary>
/// Every interop constant and struct layout is checked against the real C headers: each
/// tests/native/check_abi*.c is compiled with gcc, run, and every <c>name=value</c> line it prints
/// is compared with the value the C# code really has (<see cref="ManagedAbi"/>). A wrong C#
/// constant, a C# constant nobody checks, and a check whose name C# does not define all fail.
/// </summary>
public class AbiCheckTests
{
    private readonly ITestOutputHelper _output;

    public AbiCheckTests(ITestOutputHelper output) => _output = output;

    private static string NativeDir => Path.Combine(
        typeof(AbiCheckTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!,
        "tests", "native");

    [GccFact]
    public void EveryInteropConstantAndStructMatchesTheCHeaders()
    {
        SortedDictionary<string, long> native = RunNativeChecks();
        SortedDictionary<string, long> managed = ManagedAbi.Collect();
        var problems = new List<string>();

        foreach ((string name, long value) in managed)
        {
            if (!native.TryGetValue(name, out long c))
            {
                problems.Add($"{name}: C# has {value}, but no tests/native/check_abi*.c prints it (add an ABI_CONST/ABI_FIELD line).");
            }
            else if (c != value)
            {
                problems.Add($"{name}: C# has {value}, the C headers say {c}.");
            }
        }

        foreach ((string name, long value) in native)
        {
            if (!managed.ContainsKey(name))
            {
                problems.Add($"{name}: the C check prints {value}, but C# defines no such name (renamed or removed?).");
            }
        }

        _output.WriteLine($"{managed.Count} managed values, {native.Count} native values compared.");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.True(managed.Count > 100, $"Only {managed.Count} values were collected: the reflection over Interop.Linux found too little.");
    }

    [GccFact]
    public void TheComparisonCatchesAWrongValue()
    {
        // The check must be able to fail: compile a program that prints a deliberately wrong
        // MSG_ZEROCOPY and make sure the comparison sees the difference.
        string dir = Directory.CreateTempSubdirectory("zc-abi-").FullName;
        try
        {
            string source = Path.Combine(dir, "wrong.c");
            File.WriteAllText(source, "#include \"abi_check.h\"\nint main(void) { ABI_VALUE(\"MSG_ZEROCOPY\", 0x4000); return 0; }\n");
            Dictionary<string, long> wrong = CompileAndRun(source, dir);
            Assert.NotEqual(ManagedAbi.Collect()["MSG_ZEROCOPY"], wrong["MSG_ZEROCOPY"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private SortedDictionary<string, long> RunNativeChecks()
    {
        string[] sources = Directory.GetFiles(NativeDir, "check_abi*.c")
            .OrderBy(s => s, StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(sources);
        var all = new SortedDictionary<string, long>(StringComparer.Ordinal);
        string dir = Directory.CreateTempSubdirectory("zc-abi-").FullName;
        try
        {
            foreach (string source in sources)
            {
                foreach ((string name, long value) in CompileAndRun(source, dir))
                {
                    if (all.TryGetValue(name, out long other) && other != value)
                    {
                        Assert.Fail($"{name} is printed twice with different values ({other}, {value}); last by {Path.GetFileName(source)}.");
                    }

                    all[name] = value;
                }

                _output.WriteLine($"{Path.GetFileName(source)}: ok");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        return all;
    }

    private static Dictionary<string, long> CompileAndRun(string source, string outDir)
    {
        string exe = Path.Combine(outDir, Path.GetFileNameWithoutExtension(source));
        (int cc, _, string ccErr) = Run("gcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I", NativeDir, "-o", exe, source);
        Assert.True(cc == 0, $"gcc failed for {source}:{Environment.NewLine}{ccErr}");
        (int rc, string stdout, string err) = Run(exe);
        Assert.True(rc == 0, $"{exe} failed ({rc}): {err}");

        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = line.LastIndexOf('=');
            Assert.True(eq > 0, $"Malformed line from {source}: '{line}'");
            Assert.True(values.TryAdd(line[..eq], long.Parse(line[(eq + 1)..], CultureInfo.InvariantCulture)), $"{source} prints {line[..eq]} twice.");
        }

        return values;
    }

    private static (int Exit, string Stdout, string Stderr) Run(string file, params string[] args)
        => ExternalProcess.Run(file, args, TimeSpan.FromSeconds(60));
}
