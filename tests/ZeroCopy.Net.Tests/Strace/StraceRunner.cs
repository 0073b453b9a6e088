using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Strace;

/// <summary>What one probe run under strace produced.</summary>
public sealed record StraceRun(int ExitCode, IReadOnlyDictionary<string, string> Output, IReadOnlyList<Syscall> Calls, string Stdout, string Stderr)
{
    /// <summary>The probe's <c>socket-fd=</c> line: the descriptor whose syscalls matter.</summary>
    public int SocketFd => int.Parse(Output["socket-fd"], CultureInfo.InvariantCulture);

    /// <summary>
    /// Calls named <paramref name="names"/> on <see cref="SocketFd"/> while it was the probe's socket: from the
    /// last socket()/accept4() that returned the number (<see cref="StraceParser.WithinLifetime"/>).
    /// </summary>
    public IEnumerable<Syscall> OnSocket(params string[] names)
    {
        int fd = SocketFd;
        int created = -1;
        for (int i = 0; i < Calls.Count; i++)
        {
            if (Calls[i].Name is "socket" or "accept4" or "accept" && Calls[i].Result == fd)
            {
                created = i; // the last one: the probe's socket is the last made with this number
            }
        }

        IEnumerable<Syscall> calls = created < 0 ? Calls.Where(c => c.Fd == fd) : StraceParser.WithinLifetime(Calls, fd, created);
        return calls.Where(c => names.Contains(c.Name));
    }

    /// <summary>A readable excerpt for assertion messages.</summary>
    public string Excerpt(int max = 20) => string.Join(Environment.NewLine, Calls.Take(max).Select(c => c.Line));
}

/// <summary>
/// Runs tests/ZeroCopy.Net.StraceProbe under <c>strace -f</c> and parses the trace. Probe modes
/// (sendfile, and whatever later capabilities add) print key=value lines; see IProbeMode.
/// </summary>
public static partial class StraceRunner
{
    private static readonly Lazy<string?> s_unavailable = new(FindReasonUnavailable);

    /// <summary>Always traced, so <see cref="StraceRun.OnSocket"/> can tell the socket's lifetime from a reused number.</summary>
    private static readonly string[] s_lifetime = { "socket", "accept4", "close" };

    /// <summary>Why strace proofs cannot run here, or null when they can.</summary>
    public static string? UnavailableReason => s_unavailable.Value;

    /// <summary>The built probe (path baked in by the test project).</summary>
    public static string ProbePath => typeof(StraceRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "StraceProbePath").Value!;

    /// <summary>Runs <c>strace -f -e trace=SYSCALLS dotnet probe.dll ARGS</c>.</summary>
    public static StraceRun RunProbe(IEnumerable<string> syscalls, params string[] probeArgs)
    {
        string trace = Path.Combine(Path.GetTempPath(), $"zc-strace-{Guid.NewGuid():N}.txt");
        try
        {
            var args = new List<string> { "-f", "-qq", "-o", trace, "-e", "trace=" + string.Join(",", syscalls.Union(s_lifetime)), DotnetHost, ProbePath };
            args.AddRange(probeArgs);
            (int exit, string stdout, string stderr) = Run("strace", args, TimeSpan.FromSeconds(120));
            var output = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => l.Split('=', 2))
                .Where(kv => kv.Length == 2)
                .GroupBy(kv => kv[0])
                .ToDictionary(g => g.Key, g => g.Last()[1]);
            return new StraceRun(exit, output, Parse(File.ReadAllLines(trace)), stdout, stderr);
        }
        finally
        {
            File.Delete(trace);
        }
    }

    /// <inheritdoc cref="StraceParser.Parse"/>
    public static IReadOnlyList<Syscall> Parse(IEnumerable<string> lines) => StraceParser.Parse(lines);

    /// <summary>The dotnet host that runs this test process (so the probe runs on the same runtime).</summary>
    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string? FindReasonUnavailable()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return "strace proofs need Linux.";
        }

        if (!File.Exists(ProbePath))
        {
            return $"the probe is not built at {ProbePath}.";
        }

        try
        {
            (int exit, _, string stderr) = Run("strace", new[] { "-f", "-qq", "-o", "/dev/null", "true" }, TimeSpan.FromSeconds(30));
            return exit == 0 ? null : $"strace cannot trace here (exit {exit}): {stderr.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"strace is not installed ({ex.Message}); .ci/run installs it with apt.";
        }
    }

    private static (int Exit, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, TimeSpan timeout)
        => ExternalProcess.Run(file, args, timeout);
}
