using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Strace;

/// <summary>
/// The proof that SendFileAsync really issues sendfile(2) on the Linux path, and that the forced
/// portable path does not: the probe runs under <c>strace -f</c> and the trace is checked against
/// the socket descriptor the probe reports. Human-runnable twin: tests/strace/prove-syscalls.sh.
/// </summary>
[Collection(IsolatedCollection.Name)]
public class SendFileStraceProofTests
{
    private static readonly string[] s_traced = { "sendfile", "sendto", "sendmsg", "write", "writev", "pread64", "read" };
    private static readonly string[] s_copySends = { "sendto", "sendmsg", "write", "writev" };

    private readonly ITestOutputHelper _output;

    public SendFileStraceProofTests(ITestOutputHelper output) => _output = output;

    [StraceFact]
    public void LinuxPathMovesTheWholeFileWithSendfileAndNothingElse()
    {
        using var file = TestFile.Create((3 << 20) + 13, seed: 71);
        StraceRun run = StraceRunner.RunProbe(s_traced, "sendfile", "linux", file.Path);
        Log(run);

        Assert.True(run.ExitCode == 0, $"probe failed ({run.ExitCode}): {run.Stdout} {run.Stderr}");
        Assert.Equal("true", run.Output["verified"]);
        Assert.Equal("linux", run.Output["platform"]);

        Syscall[] sendfiles = run.OnSocket("sendfile").Where(c => c.Result > 0).ToArray();
        Assert.True(sendfiles.Length > 0, $"No sendfile({run.SocketFd}, ...) in the trace:{Environment.NewLine}{run.Excerpt()}");
        Assert.Equal(file.Length, sendfiles.Sum(c => c.Result));

        // The library's own counter matches the kernel's view, call for call.
        Assert.Equal(sendfiles.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Output["kernel-sendfile-syscalls"]);

        // No byte of the file went through a copying send on that socket.
        Assert.DoesNotContain(run.OnSocket(s_copySends), c => c.Result > 0);
    }

    [StraceFact]
    public void ForcedPortablePathNeverCallsSendfileAndCopiesEveryByte()
    {
        using var file = TestFile.Create((3 << 20) + 13, seed: 72);
        StraceRun run = StraceRunner.RunProbe(s_traced, "sendfile", "portable", file.Path);
        Log(run);

        Assert.True(run.ExitCode == 0, $"probe failed ({run.ExitCode}): {run.Stdout} {run.Stderr}");
        Assert.Equal("true", run.Output["verified"]);
        Assert.Equal("portable", run.Output["platform"]);

        // Not on the socket, and not anywhere else with a real descriptor either (the platform probe's
        // sendfile(-1, -1, NULL, 0) is the only sendfile the library may ever issue on this path).
        Assert.DoesNotContain(run.Calls, c => c.Name == "sendfile" && c.Fd != -1);
        Assert.Equal(file.Length, run.OnSocket(s_copySends).Where(c => c.Result > 0).Sum(c => c.Result));
    }

    [Fact]
    public void ParserJoinsUnfinishedAndResumedHalves()
    {
        var calls = StraceRunner.Parse(new[]
        {
            "100 sendfile(53, 63, [0], 1048589 <unfinished ...>",
            "101 sendto(53, \"ab) = 7\"..., 2, 0, NULL, 0) = 2",
            "100 <... sendfile resumed> => [1048589]) = 1048589",
            "100 sendfile(-1, -1, NULL, 0)         = -1 EBADF (Bad file descriptor)",
            "100 +++ exited with 0 +++",
        });

        Assert.Equal(3, calls.Count);
        Assert.Equal(("sendto", 53, 2L), (calls[0].Name, calls[0].Fd, calls[0].Result));
        Assert.Equal(("sendfile", 53, 1048589L), (calls[1].Name, calls[1].Fd, calls[1].Result));
        Assert.Equal(("sendfile", -1, -1L), (calls[2].Name, calls[2].Fd, calls[2].Result));
    }

    private void Log(StraceRun run)
    {
        _output.WriteLine(run.Stdout);
        foreach (Syscall call in run.Calls.Where(c => c.Name == "sendfile" || c.Fd == run.SocketFd).Take(12))
        {
            _output.WriteLine(call.Line);
        }
    }
}
