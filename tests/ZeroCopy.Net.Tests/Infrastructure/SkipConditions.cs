using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit;
using ZeroCopy.Net.Tests.Packaging;
using ZeroCopy.Net.Tests.Strace;

namespace ZeroCopy.Net.Tests.Infrastructure;

// Every condition under which a test is skipped, in one place: each attribute says why it skips,
// and none passes a test it did not run. Slow tests are not skipped; they carry
// [Trait("Category", "Slow")] so that dotnet test --filter "Category!=Slow" runs the fast ones.

/// <summary>A fact that runs only where the process uses the Linux kernel path; elsewhere it is skipped with the reason.</summary>
public sealed class LinuxKernelFactAttribute : FactAttribute
{
    public LinuxKernelFactAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName != "linux")
        {
            Skip = $"Needs the Linux kernel path; this process uses '{ZeroCopySocket.ProcessPlatformName}' ({ZeroCopySocket.ProcessFallbackReason}).";
        }
    }
}

/// <summary>A theory that runs only where the process uses the Linux kernel path; elsewhere it is skipped with the reason.</summary>
public sealed class LinuxKernelTheoryAttribute : TheoryAttribute
{
    public LinuxKernelTheoryAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName != "linux")
        {
            Skip = $"Needs the Linux kernel path; this process uses '{ZeroCopySocket.ProcessPlatformName}' ({ZeroCopySocket.ProcessFallbackReason}).";
        }
    }
}

/// <summary>
/// A fact for the Windows TransmitFile path: runs on Windows, skipped with the reason elsewhere (this
/// Linux CI included), never passed without running. Keyed on the OS, not on the chosen platform:
/// on Windows a failed probe must fail these tests, not skip them.
/// </summary>
public sealed class WindowsFactAttribute : FactAttribute
{
    public WindowsFactAttribute()
    {
        if (!OperatingSystem.IsWindows())
        {
            Skip = $"Needs Windows (the TransmitFile path); this process runs on {System.Runtime.InteropServices.RuntimeInformation.OSDescription} and uses '{ZeroCopySocket.ProcessPlatformName}'.";
        }
    }
}

/// <summary>
/// A fact for the FreeBSD/macOS sendfile path: runs on FreeBSD and macOS, skipped with the reason
/// elsewhere (this Linux CI included), never passed without running. Keyed on the OS, not on the
/// chosen platform: there a failed probe must fail these tests, not skip them.
/// </summary>
public sealed class BsdFactAttribute : FactAttribute
{
    public BsdFactAttribute()
    {
        if (!OperatingSystem.IsFreeBSD() && !OperatingSystem.IsMacOS())
        {
            Skip = $"Needs FreeBSD or macOS (the sendfile + sf_hdtr path); this process runs on {System.Runtime.InteropServices.RuntimeInformation.OSDescription} and uses '{ZeroCopySocket.ProcessPlatformName}'.";
        }
    }
}

/// <summary>A fact that needs curl on the PATH and a Unix (the sample server's symlink checks use realpath(3)); skipped with the reason otherwise.</summary>
public sealed class CurlFactAttribute : FactAttribute
{
    public CurlFactAttribute()
    {
        Skip = SampleServerSkip.Reason ?? (Tools.OnPath("curl") ? null : "curl is not installed (apt-get install curl; .ci/run installs it).");
    }
}

/// <summary>A fact for the sample HTTP server over raw sockets: runs on Unix, skipped with the reason on Windows.</summary>
public sealed class SampleServerFactAttribute : FactAttribute
{
    public SampleServerFactAttribute()
    {
        Skip = SampleServerSkip.Reason;
    }
}

internal static class SampleServerSkip
{
    public static string? Reason => OperatingSystem.IsWindows() ? "The sample server's symlink and file-type checks use realpath(3), open(2) and statx(2); these tests target Unix." : null;
}

/// <summary>Finds the external programs some tests drive (strace, gcc, curl).</summary>
public static class Tools
{
    /// <summary>True when an executable named <paramref name="tool"/> is on the PATH.</summary>
    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}

/// <summary>A fact that needs Linux and gcc; otherwise skipped with the reason.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            Skip = "The ABI check compiles against the Linux headers.";
        }
        else if (!Tools.OnPath("gcc"))
        {
            Skip = "gcc is not installed (apt-get install gcc); the ABI check needs it to compile tests/native/check_abi*.c.";
        }
    }
}

/// <summary>A fact that needs the mingw-w64 cross compiler (Debian: gcc-mingw-w64-x86-64-win32); otherwise skipped with the reason.</summary>
public sealed class MingwFactAttribute : FactAttribute
{
    public const string Compiler = "x86_64-w64-mingw32-gcc";

    public MingwFactAttribute()
    {
        if (!Tools.OnPath(Compiler))
        {
            Skip = $"{Compiler} is not installed (apt-get install gcc-mingw-w64-x86-64-win32); the Windows ABI check compiles against its headers.";
        }
    }
}

/// <summary>A fact that needs Linux, a working strace and the built probe; otherwise skipped with the reason.</summary>
public sealed class StraceFactAttribute : FactAttribute
{
    public StraceFactAttribute()
    {
        if (StraceRunner.UnavailableReason is string reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>
/// A fact that packs the library and builds a consumer with the <c>dotnet</c> CLI. It runs once, in
/// the net10.0 test project (the package holds every target framework, so a second run against the
/// netstandard2.0 project reference would test the same package), and only where <c>dotnet</c> is on PATH.
/// </summary>
public sealed class PackagingFactAttribute : FactAttribute
{
    public PackagingFactAttribute()
    {
#if LIBRARY_NETSTANDARD
        Skip = "Packaging runs once, in ZeroCopy.Net.Tests: the package is the same whichever library build the tests reference.";
#else
        if (DotnetCli.FindOnPath() is null)
        {
            Skip = "The dotnet CLI is not on PATH, so the package cannot be packed and consumed here.";
        }
        else if (RepositoryLayout.FindRoot() is null)
        {
            Skip = "The repository (ZeroCopy.Net.sln) is not above the test binaries, so there is nothing to pack.";
        }
#endif
    }
}

/// <summary>A fact that needs the io_uring send engine in this process (Linux 6.0+, io_uring not refused); otherwise skipped with the probe's reason.</summary>
public sealed class IoUringFactAttribute : FactAttribute
{
    public IoUringFactAttribute()
    {
        if (ZeroCopySocket.ProcessIoUringFallbackReason is string reason)
        {
            Skip = $"The io_uring engine is not available here: {reason}";
        }
    }
}

/// <summary>The io_uring strace proof: needs strace and the probe (<see cref="StraceFactAttribute"/>) and the io_uring engine.</summary>
public sealed class IoUringStraceFactAttribute : FactAttribute
{
    public IoUringStraceFactAttribute()
    {
        if (Strace.StraceRunner.UnavailableReason is string reason)
        {
            Skip = reason;
        }
        else if (ZeroCopySocket.ProcessIoUringFallbackReason is string fallback)
        {
            Skip = $"The io_uring engine is not available here: {fallback}";
        }
    }
}

/// <summary>Runs the probe under a seccomp filter compiled with gcc: needs the Linux kernel path, gcc and the built probe.</summary>
public sealed class SeccompProbeFactAttribute : FactAttribute
{
    public SeccompProbeFactAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName != "linux")
        {
            Skip = $"Needs the Linux kernel path; this process uses '{ZeroCopySocket.ProcessPlatformName}'.";
        }
        else if (!Tools.OnPath("gcc"))
        {
            Skip = "gcc is not installed (apt-get install gcc); the seccomp helper is compiled at test time.";
        }
        else if (!File.Exists(Strace.StraceRunner.ProbePath))
        {
            Skip = $"The probe is not built at {Strace.StraceRunner.ProbePath}.";
        }
    }
}

/// <summary>Runs the probe without CAP_IPC_LOCK under a small RLIMIT_MEMLOCK: needs the io_uring engine, root, prlimit and setpriv, and the built probe.</summary>
public sealed class MemlockProbeFactAttribute : FactAttribute
{
    public MemlockProbeFactAttribute()
    {
        if (ZeroCopySocket.ProcessIoUringFallbackReason is string fallback)
        {
            Skip = $"The io_uring engine is not available here: {fallback}";
        }
        else if (Environment.UserName != "root" || !Tools.OnPath("prlimit") || !Tools.OnPath("setpriv"))
        {
            Skip = "Needs root with prlimit and setpriv (util-linux) to drop CAP_IPC_LOCK and lower RLIMIT_MEMLOCK for a child.";
        }
        else if (!File.Exists(Strace.StraceRunner.ProbePath))
        {
            Skip = $"The probe is not built at {Strace.StraceRunner.ProbePath}.";
        }
    }
}
