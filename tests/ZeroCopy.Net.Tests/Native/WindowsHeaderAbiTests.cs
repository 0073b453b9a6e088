using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;
using Xunit.Abstractions;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Native;

/// <summary>
/// The Windows interop checked against real Windows headers (mingw-w64's winsock2.h, mswsock.h,
/// minwinbase.h, winerror.h) on this Linux machine: a C file of <c>_Static_assert</c>s is generated
/// from the C# side by reflection (every integral constant of Interop.Kernel32/Mswsock/Winsock2, and
/// the size and every field offset of each struct) and compiled for x86-64 Windows with
/// <c>-fsyntax-only</c>. Nothing is run, so no Windows machine is needed; a wrong C# value fails
/// the compile with the name of the value.
/// </summary>
[Trait("Category", "Slow")]
public class WindowsHeaderAbiTests
{
    // Values the library defines that are not macros of any header (documented limits).
    private static readonly HashSet<string> s_notInHeaders = new(StringComparer.Ordinal) { "TRANSMITFILE_MAX_CHUNK" };

    private readonly ITestOutputHelper _output;

    public WindowsHeaderAbiTests(ITestOutputHelper output) => _output = output;

    [MingwFact]
    public void WindowsInteropMatchesTheMingwHeaders()
    {
        string source = Generate();
        string dir = Path.Combine(Path.GetTempPath(), $"zc-winabi-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "check_abi_windows.c");
            File.WriteAllText(file, source);
            var psi = new ProcessStartInfo(MingwFactAttribute.Compiler, $"-std=gnu11 -fsyntax-only -Werror \"{file}\"")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using Process process = Process.Start(psi)!;
            string stderr = process.StandardError.ReadToEnd();
            _ = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            _output.WriteLine(source);
            Assert.True(process.ExitCode == 0, $"The Windows headers disagree with the C# interop:\n{stderr}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The generated checks themselves: every struct and every constant is covered (a guard against a generator that checks nothing).</summary>
    [Fact]
    public void TheGeneratedCheckCoversEveryWindowsStructAndConstant()
    {
        string source = Generate();
        foreach (string name in new[] { "sizeof(OVERLAPPED)", "offsetof(OVERLAPPED, hEvent)", "sizeof(TRANSMIT_FILE_BUFFERS)", "offsetof(TRANSMIT_FILE_BUFFERS, TailLength)", "(WSA_IO_PENDING)", "(ERROR_NOT_FOUND)", "(STATUS_PENDING)", "(INVALID_SOCKET)" })
        {
            Assert.Contains(name, source);
        }

        Assert.DoesNotContain("TRANSMITFILE_MAX_CHUNK", source);
    }

    private static string Generate()
    {
        var c = new StringBuilder();
        c.AppendLine("#include <winsock2.h>");
        c.AppendLine("#include <windows.h>");
        c.AppendLine("#include <mswsock.h>");
        c.AppendLine("#include <stddef.h>");
        c.AppendLine("#define CHECK(expr, what) _Static_assert(expr, what)");
        const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (Type type in new[] { typeof(Interop.Kernel32), typeof(Interop.Mswsock), typeof(Interop.Winsock2) })
        {
            foreach (FieldInfo field in type.GetFields(Static).Where(f => f.IsLiteral && !s_notInHeaders.Contains(f.Name)))
            {
                long value = ToInt64(field.GetRawConstantValue()!);
                c.AppendLine(CultureInfo.InvariantCulture, $"CHECK((long long)({field.Name}) == {value}LL, \"{field.Name} == {value}\");");
            }

            foreach (FieldInfo field in type.GetFields(Static).Where(f => f.IsInitOnly && f.FieldType == typeof(nint)))
            {
                // INVALID_HANDLE_VALUE, INVALID_SOCKET: pointer-sized all-ones values.
                long value = (nint)field.GetValue(null)!;
                c.AppendLine(CultureInfo.InvariantCulture, $"CHECK((long long)(intptr_t)({field.Name}) == {value}LL, \"{field.Name} == {value}\");");
            }

            foreach (Type nested in type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).Where(t => t.IsValueType && !t.IsEnum))
            {
                int size = Marshal.SizeOf(nested);
                c.AppendLine(CultureInfo.InvariantCulture, $"CHECK(sizeof({nested.Name}) == {size}, \"sizeof({nested.Name}) == {size}\");");
                foreach (FieldInfo field in nested.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                {
                    long offset = Marshal.OffsetOf(nested, field.Name).ToInt64();
                    c.AppendLine(CultureInfo.InvariantCulture, $"CHECK(offsetof({nested.Name}, {field.Name}) == {offset}, \"offsetof({nested.Name}, {field.Name}) == {offset}\");");
                }
            }
        }

        return c.ToString();
    }

    private static long ToInt64(object value) => value switch
    {
        ulong u => unchecked((long)u),
        nuint n => (long)n,
        nint n => n,
        _ => Convert.ToInt64(value, CultureInfo.InvariantCulture),
    };
}
