#if !LIBRARY_NETSTANDARD
using System;
using System.IO;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.Packaging;

namespace ZeroCopy.Net.Tests.Docs;

/// <summary>The quick start a newcomer runs first (README): it exits 0, every byte arrives, and it says which syscalls carried what.</summary>
public class QuickStartTests
{
    [Fact]
    public void TheQuickStartRunsAndSaysWhichSyscallsCarriedTheBytes()
    {
        // bin/<Configuration>/net10.0 of the tests: the quick start is built with the same configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string dll = Path.Combine(RepositoryLayout.Root, "samples", "QuickStart", "bin", configuration, "net10.0", "QuickStart.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");

        (int exit, string stdout, string stderr) = ExternalProcess.Run("dotnet", new[] { dll }, TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("receiver hash matches: True", stdout, StringComparison.Ordinal);
        Assert.Contains("Nagle on before: True; TCP_NODELAY after: True", stdout, StringComparison.Ordinal);
        Assert.Contains("41 B header + 1,024 B file body: ", stdout, StringComparison.Ordinal);
        Assert.Contains("statistics snapshot (zc.Statistics.Snapshot()):\n    SendFileAsync: 1 calls;", stdout, StringComparison.Ordinal);

        // No line says "copied bytes" without saying what copied them.
        Assert.DoesNotContain("copied bytes:", stdout, StringComparison.Ordinal);
    }
}
#endif
