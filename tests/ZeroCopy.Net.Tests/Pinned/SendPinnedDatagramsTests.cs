using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// SendPinnedDatagramsAsync over real loopback UDP: every datagram of every burst arrives whole, in
/// order, with its bytes; every buffer comes back; a stream socket, a buffer named twice, an
/// oversized datagram and a cancelled token each end the way the docs say.
/// <see cref="SendPinnedDatagramsTestsOnIoUring"/> runs them again on the io_uring engine.
/// </summary>
public class SendPinnedDatagramsTests
{
    private static readonly bool s_linux = ZeroCopySocket.ProcessPlatformName == "linux";

    /// <summary>The engine the kernel-path sockets ask for.</summary>
    protected virtual SendEngine Engine => SendEngine.Auto;

    private ZeroCopySocketOptions ForcedZeroCopy(PinnedBufferPool pool, bool forcePortable = false) => new()
    {
        Engine = Engine,
        BufferPool = pool,
        PinnedZeroCopyThreshold = 0,
        CopiedCompletionsBeforeFallback = 0,
        ForcePortable = forcePortable,
    };

    // Argument checks throw before a task exists: there is nothing to await.
    private static void Start(ValueTask send) => Assert.Fail($"the call returned a task ({send.IsCompleted}) instead of throwing");

    /// <summary>
    /// A whole burst waits in the peer's receive queue before the test reads it. SEND_ZC from a
    /// registered buffer arrives over loopback with a large truesize (about 230 KB per small datagram
    /// on Linux 6.18), so rmem_max's 2 MiB holds only about 9: as root, SO_RCVBUFFORCE raises it.
    /// </summary>
    internal static void ReceiveWholeBursts(Socket server)
    {
        server.ReceiveBufferSize = 1 << 20;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                server.SetRawSocketOption(1 /* SOL_SOCKET */, 33 /* SO_RCVBUFFORCE */, BitConverter.GetBytes(64 << 20));
            }
            catch (SocketException)
            {
                // Not root: the bursts below stay small enough for loopback's default.
            }
        }
    }

    private static LoopbackPair Udp()
    {
        LoopbackPair pair = LoopbackPair.CreateUdp();
        ReceiveWholeBursts(pair.Server);
        return pair;
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task EveryDatagramOfEveryBurstArrivesWholeAndInOrder(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using LoopbackPair pair = Udp();
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool, forcePortable));
        var random = new Random(21);
        var received = new byte[65536];
        long position = 0;
        int datagrams = 0;
        for (int burst = 0; burst < 25; burst++)
        {
            int count = burst == 0 ? 1 : random.Next(1, 9);
            var buffers = new PinnedBuffer[count];
            var lengths = new int[count];
            var starts = new long[count];
            for (int i = 0; i < count; i++)
            {
                lengths[i] = (burst * 13 + i) % 29 == 5 ? 0 : random.Next(1, 4001);
                buffers[i] = pool.Rent(lengths[i]);
                starts[i] = position;
                StreamPattern.Fill(buffers[i].Span.Slice(0, lengths[i]), position, seed: 21);
                position += lengths[i];
            }

            await zc.SendPinnedDatagramsAsync(buffers, lengths);
            Assert.All(buffers, b => Assert.False(b.IsOwned));
            for (int i = 0; i < count; i++)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                int n;
                try
                {
                    n = await pair.Server.ReceiveAsync(received, SocketFlags.None, timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException($"burst {burst}: datagram {i} of {count} ({lengths[i]} bytes; lengths {string.Join(",", lengths)}) never arrived; stats: calls {zc.Statistics.PinnedSendCalls} zc {zc.Statistics.PinnedZeroCopySyscalls} copied {zc.Statistics.PinnedCopiedBytes} expected calls {datagrams + count}, rcvbuf {pair.Server.ReceiveBufferSize}, nobufs {zc.Statistics.ZeroCopyNoBufsFallbacks}, available {pair.Server.Available}");
                }

                Assert.Equal(lengths[i], n);
                var want = new byte[n];
                StreamPattern.Fill(want, starts[i], seed: 21);
                Assert.True(received.AsSpan(0, n).SequenceEqual(want), $"burst {burst}, datagram {i} differs");
            }

            datagrams += count;
        }

        await zc.DisposeAsync();
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(datagrams, zc.Statistics.PinnedSendCalls);
        if (!forcePortable && s_linux)
        {
            Assert.True(zc.Statistics.PinnedZeroCopySyscalls > 0);
            Assert.Equal(zc.Statistics.PinnedZeroCopySyscalls, zc.Statistics.ZeroCopyCompletedSends);
            Assert.Equal(0, zc.Statistics.PinnedBytesInFlight);
        }
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task AStreamSocketIsRefusedAndTheCallerKeepsEveryBuffer(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool, forcePortable));
        PinnedBuffer a = pool.Rent(100);
        PinnedBuffer b = pool.Rent(100);
        NotSupportedException e = Assert.Throws<NotSupportedException>(() => Start(zc.SendPinnedDatagramsAsync(new[] { a, b }, new[] { 100, 100 })));
        Assert.Contains("Stream", e.Message, StringComparison.Ordinal);
        Assert.True(a.IsOwned && b.IsOwned);
        a.Dispose();
        b.Dispose();
        Assert.Equal(0, pool.RentedBuffers);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ABufferNamedTwiceIsRefusedAndTheCallerKeepsEveryBuffer(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using LoopbackPair pair = Udp();
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool, forcePortable));
        PinnedBuffer a = pool.Rent(100);
        PinnedBuffer b = pool.Rent(100);
        ArgumentException e = Assert.Throws<ArgumentException>(() => Start(zc.SendPinnedDatagramsAsync(new[] { a, b, a }, new[] { 10, 10, 10 })));
        Assert.Contains("same buffer", e.Message, StringComparison.Ordinal);
        Assert.True(a.IsOwned && b.IsOwned);
        Assert.Throws<ArgumentException>(() => Start(zc.SendPinnedDatagramsAsync(new[] { a, b }, new[] { 10 })));
        Assert.Throws<ArgumentException>(() => Start(zc.SendPinnedDatagramsAsync(ReadOnlySpan<PinnedBuffer>.Empty, ReadOnlySpan<int>.Empty)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Start(zc.SendPinnedDatagramsAsync(new[] { a, b }, new[] { 10, -1 })));
        Assert.True(a.IsOwned && b.IsOwned);

        // Still usable afterwards.
        await zc.SendPinnedDatagramsAsync(new[] { a, b }, new[] { 10, 20 });
        var received = new byte[100];
        Assert.Equal(10, await pair.Server.ReceiveAsync(received, SocketFlags.None));
        Assert.Equal(20, await pair.Server.ReceiveAsync(received, SocketFlags.None));
        await zc.DisposeAsync();
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pool.InFlightBuffers);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task AnOversizedDatagramFailsAloneAndTheOthersAreSent(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using LoopbackPair pair = Udp();
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool, forcePortable));
        int[] lengths = { 100, 70_000, 200 }; // UDP carries at most 65,507 bytes
        PinnedBuffer[] buffers = lengths.Select(l => pool.Rent(l)).ToArray();
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i].Span.Slice(0, lengths[i]).Fill((byte)(i + 1));
        }

        SocketException e = await Assert.ThrowsAnyAsync<SocketException>(async () => await zc.SendPinnedDatagramsAsync(buffers, lengths));
        Assert.Equal(SocketError.MessageSize, e.SocketErrorCode);
        Assert.All(buffers, b => Assert.False(b.IsOwned));

        var received = new byte[65536];
        var got = new List<(int Length, byte First)>();
        for (int i = 0; i < 2; i++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int n = await pair.Server.ReceiveAsync(received, SocketFlags.None, timeout.Token);
            got.Add((n, received[0]));
        }

        Assert.Equal(new[] { (100, (byte)1), (200, (byte)3) }, got);
        await zc.DisposeAsync();
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pool.InFlightBuffers);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ACancelledTokenSendsNothingAndEveryBufferGoesBack(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using LoopbackPair pair = Udp();
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool, forcePortable));
        PinnedBuffer a = pool.Rent(100);
        PinnedBuffer b = pool.Rent(100);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await zc.SendPinnedDatagramsAsync(new[] { a, b }, new[] { 10, 10 }, cancelled.Token));
        Assert.False(a.IsOwned || b.IsOwned);
        Assert.Equal(0, pair.Server.Available);
        await zc.DisposeAsync();
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pool.InFlightBuffers);
    }
}

/// <summary>Every test above on the io_uring engine: one io_uring_enter per burst, a SEND_ZC per datagram.</summary>
public sealed class SendPinnedDatagramsTestsOnIoUring : SendPinnedDatagramsTests
{
    protected override SendEngine Engine => SendEngine.IoUring;
}
