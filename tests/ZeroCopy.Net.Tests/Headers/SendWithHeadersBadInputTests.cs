using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Headers;

public class SendWithHeadersBadInputTests
{
    private static readonly byte[] Header = "HEADER\r\n"u8.ToArray();

    [Fact]
    public void BodyFactoriesRejectNullAndNegativeArguments()
    {
        Assert.Throws<ArgumentNullException>(() => SendBody.FromFile((string)null!));
        Assert.Throws<ArgumentException>(() => SendBody.FromFile(string.Empty));
        Assert.Throws<ArgumentNullException>(() => SendBody.FromFile((SafeFileHandle)null!));
        Assert.Throws<ArgumentNullException>(() => SendBody.FromFile((FileStream)null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => SendBody.FromFile("x", offset: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SendBody.FromFile("x", count: -1));
        Assert.Equal(SendBodyKind.None, SendBody.None.Kind);
    }

    /// <summary>A window outside the file, a missing file or a closed handle fail before the first header byte is sent; the socket stays usable.</summary>
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task BadBodiesFailBeforeAnyByteIsSent(bool forcePortable)
    {
        using var file = TestFile.Create(1000);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(file.Path, 1001)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(file.Path, 10, 991)));
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(file.Path + ".missing")));
        await Assert.ThrowsAnyAsync<UnauthorizedAccessException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(Path.GetTempPath())));
        using (SafeFileHandle open = File.OpenHandle(file.Path))
        {
            // A handle with the count given takes the small-body path that skips statx: the window is
            // still checked, by the short read, before anything is sent.
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(open, 10, 991)));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(open, 1001, 1)));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(open, 1000, 1)));
        }

        SafeFileHandle closed = File.OpenHandle(file.Path);
        closed.Dispose();
        await Assert.ThrowsAsync<ArgumentException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(closed)));
        var unreadable = new FileStream(file.Path, FileMode.Open, FileAccess.Read);
        await unreadable.DisposeAsync();
        await Assert.ThrowsAsync<ArgumentException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(unreadable)));

        // Nothing went out: the first bytes the peer sees are those of the next good send.
        var received = new byte[Header.Length + 1000];
        Task receive = ResponseExchange.ReceiveExactlyAsync(pair.Server, received, received.Length);
        Assert.Equal(received.Length, await zc.SendWithHeadersAsync(Header, SendBody.FromFile(file.Path)));
        await receive;
        Assert.True(received.AsSpan(0, Header.Length).SequenceEqual(Header));
        Assert.True(received.AsSpan(Header.Length).SequenceEqual(ResponseExchange.Pattern(0, 1000)));
    }

    /// <summary>Decided and documented: an empty header list is allowed (the body alone is sent); so are empty pieces and no body.</summary>
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task EmptyHeaderListsPiecesAndBodiesAreAllowed(bool forcePortable)
    {
        using var file = TestFile.Create(70_000);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        Assert.Equal(70_000, await SendAndReceive(zc, pair, ReadOnlyMemory<ReadOnlyMemory<byte>>.Empty, SendBody.FromFile(file.Path), default));
        Assert.Equal(0, await SendAndReceive(zc, pair, new ReadOnlyMemory<byte>[] { default, default }, SendBody.None, default));
        Assert.Equal(0, await SendAndReceive(zc, pair, default, SendBody.FromFile(file.Path, 70_000), default));
        Assert.Equal(Header.Length * 2, await SendAndReceive(zc, pair, new ReadOnlyMemory<byte>[] { Header }, SendBody.FromMemory(default), new ReadOnlyMemory<byte>[] { Header }));
        Assert.Equal(5 + 65_000, await SendAndReceive(zc, pair, default, SendBody.FromFile(file.Path, 5_000, 65_000), new ReadOnlyMemory<byte>[] { new byte[5] }));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DisposedSocketAndUdpSocketAreRefused(bool forcePortable)
    {
        using var file = TestFile.Create(10);
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        await zc.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromFile(file.Path)));

        using var udp = LoopbackPair.CreateUdp();
        await using var zcUdp = new ZeroCopySocket(udp.Client, SendPaths.Options(forcePortable));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await zcUdp.SendWithHeadersAsync(Header, SendBody.FromMemory(Header)));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task AlreadyCancelledTokenSendsNothing(bool forcePortable)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await zc.SendWithHeadersAsync(Header, SendBody.FromMemory(Header), default, cts.Token));
        Assert.Equal(0, zc.Statistics.VectoredSendBytes + zc.Statistics.PortableCopiedBytes);
    }

    /// <summary>
    /// A send cancelled while the kernel path waits for writability, with a trailer (so TCP_CORK is
    /// set), leaves the socket uncorked: getsockopt(TCP_CORK) reads 0 afterwards.
    /// </summary>
    [LinuxKernelFact]
    public async Task CancellationMidSendLeavesTheSocketUncorked()
    {
        using var file = TestFile.Create(32 << 20);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        using var cts = new CancellationTokenSource();

        // Nobody reads: the socket buffer fills, sendfile says EAGAIN and the send waits on the reactor.
        ValueTask<long> send = zc.SendWithHeadersAsync(Header, SendBody.FromFile(file.Path), Header, cts.Token);
        await WaitUntilBlockedAsync(zc);

        Assert.True(zc.Statistics.WouldBlockWaits > 0, "the send should be waiting for writability");
        Assert.Equal(1, zc.Statistics.CorkedSends);
        Assert.Equal(1, SendWithHeadersLoopbackTests.GetCork(pair.Client));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await send);

        Assert.Equal(0, SendWithHeadersLoopbackTests.GetCork(pair.Client));
    }

    /// <summary>A send that fails because the peer reset the connection also leaves the socket uncorked.</summary>
    [LinuxKernelFact]
    public async Task FailedSendLeavesTheSocketUncorked()
    {
        using var file = TestFile.Create(32 << 20);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        ValueTask<long> send = zc.SendWithHeadersAsync(Header, SendBody.FromFile(file.Path), Header);
        await WaitUntilBlockedAsync(zc);

        pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close();
        SocketException error = await Assert.ThrowsAnyAsync<SocketException>(async () => await send);
        Assert.Contains("sendfile", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, SendWithHeadersLoopbackTests.GetCork(pair.Client));
    }

    /// <summary>
    /// A memory body that does not fit the socket buffer goes on asynchronously after its first
    /// sendmsg; cancelled while it waits, it stops, and what the peer got is an exact prefix of the
    /// response (nothing skipped or repeated at the cut).
    /// </summary>
    [LinuxKernelFact]
    public async Task MemoryBodyCancelledWhileWaitingStopsAtAnExactPrefix()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        byte[] body = ResponseExchange.Pattern(0, 32 << 20);
        using var cts = new CancellationTokenSource();

        ValueTask<long> send = zc.SendWithHeadersAsync(Header, SendBody.FromMemory(body), default, cts.Token);
        Assert.False(send.IsCompleted, "32 MiB cannot fit a loopback socket buffer");
        await WaitUntilBlockedAsync(zc);

        Assert.True(zc.Statistics.WouldBlockWaits > 0, "the send should be waiting for writability");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await send);

        long handedOver = zc.Statistics.VectoredSendBytes;
        Assert.InRange(handedOver, 1, Header.Length + body.Length - 1);
        pair.Client.Shutdown(SocketShutdown.Send);
        var received = new byte[handedOver];
        await ResponseExchange.ReceiveExactlyAsync(pair.Server, received, received.Length);
        Assert.Equal(0, await pair.Server.ReceiveAsync(new byte[1], SocketFlags.None));
        Assert.True(received.AsSpan(0, Header.Length).SequenceEqual(Header));
        Assert.True(received.AsSpan(Header.Length).SequenceEqual(body.AsSpan(0, (int)handedOver - Header.Length)));
    }

    /// <summary>A memory body whose peer resets mid-send fails with the kernel's error, naming the call.</summary>
    [LinuxKernelFact]
    public async Task MemoryBodyToAResetPeerFailsWithTheSocketError()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        ValueTask<long> send = zc.SendWithHeadersAsync(Header, SendBody.FromMemory(new byte[32 << 20]));
        await WaitUntilBlockedAsync(zc);

        pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close();
        SocketException error = await Assert.ThrowsAnyAsync<SocketException>(async () => await send);
        Assert.Contains("sendmsg", error.Message, StringComparison.Ordinal);
        Assert.Contains(error.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown });
    }

    /// <summary>Waits (up to 5 s) until a send on <paramref name="zc"/> has met a full socket buffer and waits for writability.</summary>
    private static async Task WaitUntilBlockedAsync(ZeroCopySocket zc)
    {
        for (int i = 0; i < 500 && zc.Statistics.WouldBlockWaits == 0; i++)
        {
            await Task.Delay(10);
        }
    }

    private static async Task<long> SendAndReceive(ZeroCopySocket zc, LoopbackPair pair, ReadOnlyMemory<ReadOnlyMemory<byte>> headers, SendBody body, ReadOnlyMemory<ReadOnlyMemory<byte>> trailers)
    {
        long sent = await zc.SendWithHeadersAsync(headers, body, trailers);
        var received = new byte[sent];
        await ResponseExchange.ReceiveExactlyAsync(pair.Server, received, received.Length);
        return sent;
    }
}
