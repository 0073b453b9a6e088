using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;

namespace ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

// Each skip says why; none passes a test it did not run. .ci/run installs strace and curl with apt.

/// <summary>A fact that needs strace on Linux and the kernel path (skipped with the reason otherwise).</summary>
public sealed class StraceFactAttribute : FactAttribute
{
    public StraceFactAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName != "linux")
        {
            Skip = $"Needs the Linux kernel path; this process uses '{ZeroCopySocket.ProcessPlatformName}'.";
        }
        else if (Tool.Missing("strace", "-V") is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that needs curl (skipped with the reason otherwise).</summary>
public sealed class CurlTheoryAttribute : TheoryAttribute
{
    public CurlTheoryAttribute()
    {
        if (Tool.Missing("curl", "--version") is { } reason)
        {
            Skip = reason;
        }
    }
}

internal static class Tool
{
    /// <summary>Why <paramref name="name"/> cannot run here, or null when it can.</summary>
    public static string? Missing(string name, string versionArgument)
    {
        try
        {
            using Process p = Process.Start(new ProcessStartInfo(name, versionArgument) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"{name} {versionArgument} exited with {p.ExitCode}.";
        }
        catch (Win32Exception ex)
        {
            return $"{name} is not installed ({ex.Message}); .ci/run installs it with apt.";
        }
        catch (IOException ex)
        {
            return $"{name} cannot run: {ex.Message}";
        }
    }
}
