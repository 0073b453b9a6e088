using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.Pinned;

namespace ZeroCopy.Net.Tests.Headers;

// These tests check that bad calls throw synchronously, before any ValueTask exists to consume.
#pragma warning disable CA2012

/// <summary>
/// Bad pinned bodies: the right exception, nothing on the wire, and the buffer stays with the
/// caller whenever the call threw before returning a task (SendPinnedAsync's rule).
/// </summary>
public class SendWithPinnedBodyBadInputTests
{
    private static readonly byte[] Header = "HEADER\r\n"u8.ToArray();

    [Fact]
    public void FromPinnedRejectsADefaultBufferAndALengthOutOfRange()
    {
        using var pool = new PinnedBufferPool();
        using PinnedBuffer buffer = pool.Rent(4096);
        int capacity = buffer.Capacity;

        Assert.Throws<ArgumentException>(() => SendBody.FromPinned(default, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SendBody.FromPinned(buffer, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SendBody.FromPinned(buffer, capacity + 1));
        Assert.Equal(SendBodyKind.Pinned, SendBody.FromPinned(buffer, capacity).Kind);
        Assert.True(buffer.IsOwned, "naming the buffer in a body does not take it");
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task BadPinnedBodiesAreRefusedBeforeAnyByteIsSent(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var other = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { BufferPool = pool, ForcePortable = forcePortable, PinnedZeroCopyThreshold = 0 });
        bool portable = forcePortable || ZeroCopySocket.ProcessPlatformName != "linux";

        // A buffer sent once by SendPinnedAsync; its bytes are the only ones on the wire before the good send below.
        PinnedBuffer sentBefore = pool.Rent(5);
        sentBefore.Span.Slice(0, 5).Fill(0x55);
        var first = new byte[5];
        await zc.SendPinnedAsync(sentBefore, 5);
        await ResponseExchange.ReceiveExactlyAsync(pair.Server, first, first.Length);
        long wireBytes = WireBytes(zc.Statistics, portable);

        // A buffer from another pool: refused, and its owner keeps it.
        using (PinnedBuffer foreign = other.Rent(10))
        {
            Assert.Throws<ArgumentException>(() => { _ = zc.SendWithHeadersAsync(Header, SendBody.FromPinned(foreign, 10)); });
            Assert.True(foreign.IsOwned);
        }

        // Disposed after the body was built: the handle owns nothing any more.
        PinnedBuffer disposed = pool.Rent(100);
        SendBody body = SendBody.FromPinned(disposed, 100);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = zc.SendWithHeadersAsync(Header, body); });

        // Already sent: a stale copy of the handle is refused.
        Assert.Throws<ObjectDisposedException>(() => { _ = zc.SendWithHeadersAsync(Header, SendBody.FromPinned(sentBefore, 5)); });
        Assert.Equal(wireBytes, WireBytes(zc.Statistics, portable));

        // Nothing of the refused calls went out: the next bytes the peer sees are a good send's.
        PinnedBuffer good = pool.Rent(1000);
        StreamPattern.Fill(good.Span.Slice(0, 1000), Header.Length, seed: 5);
        SendBody goodBody = SendBody.FromPinned(good, 1000);
        Task<long> receive = ReceiveHeaderThenPatternAsync(pair, 1000, seed: 5);
        Assert.Equal(Header.Length + 1000, await zc.SendWithHeadersAsync(Header, goodBody));
        Assert.Equal(1000, await receive);
        Assert.Equal(wireBytes + Header.Length + 1000, WireBytes(zc.Statistics, portable));

        // The same body again: its buffer was sent.
        Assert.Throws<ObjectDisposedException>(() => { _ = zc.SendWithHeadersAsync(Header, goodBody); });

        await zc.DisposeAsync();
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pair.Server.Available);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task RefusedSendsLeaveTheBufferWithTheCaller(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        var options = new ZeroCopySocketOptions { BufferPool = pool, ForcePortable = forcePortable };
        PinnedBuffer buffer = pool.Rent(100);

        // A datagram socket cannot carry a header send.
        using (var udp = LoopbackPair.CreateUdp())
        {
            await using var zcUdp = new ZeroCopySocket(udp.Client, options);
            Assert.Throws<NotSupportedException>(() => { _ = zcUdp.SendWithHeadersAsync(Header, SendBody.FromPinned(buffer, 100)); });
            Assert.True(buffer.IsOwned);
        }

        using var pair = await LoopbackPair.CreateTcpAsync();

        // Invalid pinned options are refused when the socket is wrapped, before any buffer is taken.
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { BufferPool = pool, ForcePortable = forcePortable, MaxPinnedBytesInFlight = 0 }));
        Assert.True(buffer.IsOwned);

        // Another send is running (16 MiB to a peer that is not reading yet): the one-send rule is checked before the take.
        await using (var busy = new ZeroCopySocket(pair.Client, options))
        {
            var large = new byte[16 << 20];
            ValueTask<long> running = busy.SendWithHeadersAsync(Header, SendBody.FromMemory(large));
            Assert.False(running.IsCompleted, "the first send should be waiting for the peer");
            Assert.Throws<InvalidOperationException>(() => { _ = busy.SendWithHeadersAsync(Header, SendBody.FromPinned(buffer, 100)); });
            Assert.True(buffer.IsOwned);
            var sink = new byte[Header.Length + large.Length];
            await ResponseExchange.ReceiveExactlyAsync(pair.Server, sink, sink.Length);
            Assert.Equal(sink.Length, await running);
        }

        // A disposed socket.
        var zc = new ZeroCopySocket(pair.Client, options);
        await zc.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => { _ = zc.SendWithHeadersAsync(Header, SendBody.FromPinned(buffer, 100)); });
        Assert.True(buffer.IsOwned);
        Assert.Equal(1, pool.RentedBuffers);
        buffer.Dispose();
        Assert.Equal(0, pool.RentedBuffers);
    }

    /// <summary>As with SendPinnedAsync, a returned task means the buffer is gone: an already cancelled token takes it, sends nothing and returns it to the pool.</summary>
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task AlreadyCancelledTokenTakesTheBufferAndSendsNothing(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { BufferPool = pool, ForcePortable = forcePortable, PinnedZeroCopyThreshold = 0 });
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        PinnedBuffer buffer = pool.Rent(65536);

        ValueTask<long> send = zc.SendWithHeadersAsync(Header, SendBody.FromPinned(buffer, 65536), Header, cts.Token);
        Assert.False(buffer.IsOwned);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await send);

        Assert.Equal(0, zc.Statistics.VectoredSendBytes + zc.Statistics.PortableCopiedBytes + zc.Statistics.PinnedZeroCopyBytes);
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, zc.Statistics.SendWithHeadersCalls);
    }

    /// <summary>Every byte this socket handed to the kernel (with a threshold of 0, so no pinned send is copied below it).</summary>
    private static long WireBytes(ZeroCopyStatistics stats, bool portable)
        => portable ? stats.PortableCopiedBytes : stats.VectoredSendBytes + stats.PinnedZeroCopyBytes + stats.PinnedCopiedNoBufsBytes;

    private static async Task<long> ReceiveHeaderThenPatternAsync(LoopbackPair pair, long bodyLength, int seed)
    {
        var header = new byte[Header.Length];
        await ResponseExchange.ReceiveExactlyAsync(pair.Server, header, header.Length);
        Assert.True(header.AsSpan().SequenceEqual(Header), "the first bytes after the refused calls are the good send's header");
        var body = new byte[bodyLength];
        await ResponseExchange.ReceiveExactlyAsync(pair.Server, body, body.Length);
        var want = new byte[bodyLength];
        StreamPattern.Fill(want, Header.Length, seed);
        Assert.True(body.AsSpan().SequenceEqual(want));
        return bodyLength;
    }
}
