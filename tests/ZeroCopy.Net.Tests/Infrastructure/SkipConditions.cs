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

/// <summary>
/// A fact that runs only where the process uses the Windows TransmitFile path; elsewhere (this Linux
/// CI included) it is skipped with the reason, never passed without running.
/// </summary>
public sealed class WindowsFactAttribute : FactAttribute
{
    public WindowsFactAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName != "windows")
        {
            Skip = $"Needs the Windows TransmitFile path; this process uses '{ZeroCopySocket.ProcessPlatformName}' ({ZeroCopySocket.ProcessFallbackReason ?? "not Windows"}).";
        }
    }
}

/// <summary>
/// A fact that runs only where the process uses the FreeBSD or macOS sendfile path; elsewhere (this
/// Linux CI included) it is skipped with the reason, never passed without running.
/// </summary>
public sealed class BsdFactAttribute : FactAttribute
{
    public BsdFactAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName is not ("freebsd" or "macos"))
        {
            Skip = $"Needs the FreeBSD/macOS sendfile path; this process uses '{ZeroCopySocket.ProcessPlatformName}' ({ZeroCopySocket.ProcessFallbackReason ?? "not FreeBSD or macOS"}).";
        }
    }
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
