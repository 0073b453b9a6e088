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

/// <summary>Finds the external programs some tests drive (strace, gcc, curl).</summary>
public static class Tools
{
    /// <summary>True when an executable named <paramref name="tool"/> is on the PATH.</summary>
    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
