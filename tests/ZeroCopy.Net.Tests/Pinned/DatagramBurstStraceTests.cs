using System;
using System.Linq;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.Strace;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// SendPinnedDatagramsAsync on the epoll engine seen from outside the process (the strace probe's
/// pinned-datagrams mode, every datagram checked by its peer): a burst of 8 is one
/// sendmmsg(MSG_ZEROCOPY) that the kernel answers with 8, and the completions come back through
/// recvmsg(MSG_ERRQUEUE). The io_uring engine's proof is in <see cref="IoUringProcessTests"/>.
/// </summary>
public class DatagramBurstStraceTests
{
    private static readonly string[] s_traced = { "sendmmsg", "sendmsg", "sendto", "recvmsg", "io_uring_enter" };

    [StraceFact]
    public void StraceShowsOneSendmmsgWithMsgZerocopyPerBurst()
    {
        StraceRun run = StraceRunner.RunProbe(s_traced, "pinned-datagrams", "Epoll", "6", "8", "8192");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal("true", run.Output["verified"]);
        Assert.Equal("Epoll", run.Output["engine"]);
        Assert.Equal("48", run.Output["pinned-send-calls"]);
        Assert.Equal("48", run.Output["zero-copy-sends"]);
        Assert.Equal("0", run.Output["in-flight-buffers"]);

        Syscall[] bursts = run.OnSocket("sendmmsg").ToArray();
        Assert.True(bursts.Length >= 6 && bursts.All(c => c.Args.Contains("MSG_ZEROCOPY", StringComparison.Ordinal)), string.Join('\n', bursts.Select(c => c.Line)));
        Assert.True(bursts.Count(c => c.Result == 8) >= 6, string.Join('\n', bursts.Select(c => c.Line)));
        Assert.Empty(run.OnSocket("sendmsg", "sendto"));
        Assert.Contains(run.Calls, c => c.Name == "recvmsg" && c.Args.Contains("MSG_ERRQUEUE", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Calls, c => c.Name == "io_uring_enter");
    }
}
