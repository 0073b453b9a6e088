using System;
using System.IO;
using System.Linq;
using Xunit;

namespace ZeroCopy.Net.Tests.Infrastructure;

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
