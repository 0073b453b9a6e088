using System;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// SendPinnedAsync over real loopback sockets, every byte verified by the receiver. Loopback makes
/// the kernel copy (completions say COPIED), so tests that exercise the completion path switch off
/// the COPIED adaptation (CopiedCompletionsBeforeFallback = 0) and the size threshold.
/// </summary>
public class SendPinnedLoopbackTests
{
    private static readonly bool s_linux = ZeroCopySocket.ProcessPlatformName == "linux";

    /// <summary>The engine the kernel-path sockets ask for; <see cref="SendPinnedLoopbackTestsOnIoUring"/> runs every test again with io_uring.</summary>
    protected virtual SendEngine Engine => SendEngine.Auto;

    private ZeroCopySocketOptions ForcedZeroCopy(PinnedBufferPool pool, bool forcePortable = false) => new()
    {
        Engine = Engine,
        BufferPool = pool,
        PinnedZeroCopyThreshold = 0,
        CopiedCompletionsBeforeFallback = 0,
        ForcePortable = forcePortable,
    };

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task TcpSendsEveryByteAndEveryBufferComesBack(bool forcePortable)
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 8L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool, forcePortable));
        var random = new Random(5);
        int[] lengths = Enumerable.Range(0, 300).Select(i => i % 50 == 0 ? 0 : random.Next(1, PinnedBufferPool.MaxBufferSize + 1)).ToArray();
        long total = lengths.Sum(l => (long)l);
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, seed: 1);

        long position = 0;
        foreach (int length in lengths)
        {
            PinnedBuffer buffer = await pool.RentAsync(length);
            StreamPattern.Fill(buffer.Span.Slice(0, length), position, seed: 1);
            await zc.SendPinnedAsync(buffer, length);
            Assert.False(buffer.IsOwned);
            position += length;
        }

        Assert.Equal(total, await receive);
        await zc.DisposeAsync();

        ZeroCopyStatistics stats = zc.Statistics;
        Assert.Equal(lengths.Length, stats.PinnedSendCalls);
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pool.QuarantinedBuffers);
        if (forcePortable || !s_linux)
        {
            Assert.Equal(total, stats.PinnedCopiedBytes);
            Assert.Equal(0, stats.PinnedZeroCopySyscalls);
        }
        else
        {
            Assert.True(stats.PinnedZeroCopySyscalls >= lengths.Count(l => l > 0));
            Assert.Equal(stats.PinnedZeroCopySyscalls, stats.ZeroCopyCompletedSends);
            Assert.Equal(total, stats.PinnedZeroCopyBytes + stats.PinnedCopiedNoBufsBytes);
            Assert.True(stats.ZeroCopyNotifications > 0);
            Assert.Equal(0, stats.ZeroCopyAbandonedSends);
            Assert.Equal(0, stats.PinnedBytesInFlight);
            Assert.True(zc.Capabilities.HasFlag(ZeroCopyCapabilities.MsgZeroCopy));
        }
    }

    /// <summary>
    /// 10,000 pinned sends over 4 sockets through a pool too small to hold them: every buffer is
    /// re-rented and overwritten with new bytes the moment it comes back, so a buffer released before
    /// the kernel was done would show up as a wrong byte at the receiver.
    /// </summary>
    [Trait("Category", "Slow")]
    [Fact]
    public async Task StressOverManySocketsCatchesAnyEarlyRelease()
    {
        const int Sockets = 4;
        const int SendsPerSocket = 2500;
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 2L * PinnedBufferPool.SlabBytes });
        using var anyReaderFailed = new CancellationTokenSource();
        var runs = Enumerable.Range(0, Sockets).Select(async s =>
        {
            using var pair = await LoopbackPair.CreateTcpAsync(ipv6: s % 2 == 1);
            await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool));
            var random = new Random(100 + s);
            int[] lengths = Enumerable.Range(0, SendsPerSocket).Select(_ => random.Next(1, 64 * 1024 + 1)).ToArray();
            long total = lengths.Sum(l => (long)l);
            Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, seed: s);

            // A reader that fails its check stops reading: the guard ends the sends instead of letting them block forever.
            using var guard = new SenderGuard(receive, TimeSpan.FromSeconds(120), anyReaderFailed);
            await guard.RunAsync(async token =>
            {
                long position = 0;
                foreach (int length in lengths)
                {
                    // Waits until some send's completion returns a buffer (32 of them for 4 sockets): then overwrites it at once.
                    PinnedBuffer buffer = await pool.RentAsync(64 * 1024, token);
                    StreamPattern.Fill(buffer.Span.Slice(0, length), position, seed: s);
                    await zc.SendPinnedAsync(buffer, length, token);
                    position += length;
                }
            });

            Assert.Equal(total, await guard.ReaderResultAsync(receive));
            await zc.DisposeAsync();
            return zc.Statistics;
        }).ToArray();

        ZeroCopyStatistics[] all = await SenderGuard.WhenAllAsync(runs);
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.QuarantinedBuffers);
        Assert.True(pool.MappedBytes <= 2L * PinnedBufferPool.SlabBytes);
        foreach (ZeroCopyStatistics stats in all)
        {
            Assert.Equal(SendsPerSocket, stats.PinnedSendCalls);
            if (s_linux)
            {
                Assert.True(stats.PinnedZeroCopySyscalls >= SendsPerSocket - stats.ZeroCopyNoBufsFallbacks);
                Assert.Equal(stats.PinnedZeroCopySyscalls, stats.ZeroCopyCompletedSends);
                Assert.Equal(stats.ZeroCopyCompletedSends, stats.ZeroCopyCopiedCompletions); // loopback always copies
                Assert.False(stats.ZeroCopyDisabledByCopiedCompletions);
            }
        }
    }

    /// <summary>Completions are drained by the reactor (EPOLLERR) once the application stops sending: buffers come back without another call.</summary>
    /// <summary>
    /// Sends below the threshold are plain copies and leave the socket as the BCL would: not opted in to
    /// SO_ZEROCOPY and not in the reactor (each packet the kernel frees would otherwise wake the socket's
    /// wait queue). The first send at or above the threshold opts it in; every byte arrives in order.
    /// </summary>
    [LinuxKernelFact]
    public async Task CopiesBelowTheThresholdLeaveTheSocketOutOfZeroCopyUntilAZeroCopySend()
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { BufferPool = pool, PinnedZeroCopyThreshold = 32 * 1024, Engine = SendEngine.Epoll }); // SO_ZEROCOPY is the epoll engine's opt-in
        const int Small = 8 * 1024;
        const int Large = 64 * 1024;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (16L * Small) + Large, seed: 21);
        long offset = 0;
        for (int i = 0; i < 16; i++)
        {
            PinnedBuffer buffer = pool.Rent(Small);
            StreamPattern.Fill(buffer.Span, offset, seed: 21);
            await zc.SendPinnedAsync(buffer, Small);
            offset += Small;
        }

        Assert.Equal(0, ZeroCopyOptIn(pair.Client));
        Assert.Equal(16L * Small, zc.Statistics.PinnedCopiedBytes);

        PinnedBuffer large = pool.Rent(Large);
        StreamPattern.Fill(large.Span, offset, seed: 21);
        await zc.SendPinnedAsync(large, Large);
        Assert.Equal(1, ZeroCopyOptIn(pair.Client));
        Assert.Equal(1, zc.Statistics.PinnedZeroCopySyscalls);
        Assert.Equal((16L * Small) + Large, await receive);

        static int ZeroCopyOptIn(System.Net.Sockets.Socket socket)
        {
            byte[] value = new byte[4];
            socket.GetRawSocketOption(1 /* SOL_SOCKET */, 60 /* SO_ZEROCOPY */, value);
            return BitConverter.ToInt32(value, 0);
        }
    }

    [LinuxKernelFact]
    public async Task BuffersComeBackWhileTheApplicationIsIdle()
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool));
        const int Length = 64 * 1024;
        const int Sends = 64;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (long)Length * Sends, seed: 13);
        for (int i = 0; i < Sends; i++)
        {
            PinnedBuffer buffer = pool.Rent(Length);
            StreamPattern.Fill(buffer.Span, (long)i * Length, seed: 13);
            await zc.SendPinnedAsync(buffer, Length);
        }

        // From here on zc is never called again: only the reactor (or its idle timer) can return
        // the buffers whose completions arrive after the last send returned.
        Assert.Equal((long)Length * Sends, await receive);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (pool.InFlightBuffers > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(zc.Statistics.PinnedZeroCopySyscalls, zc.Statistics.ZeroCopyCompletedSends);
    }

    /// <summary>
    /// A socket whose first send waited for writability (so it was already registered with the
    /// reactor, edge-triggered) before its first pinned send: the registration must switch to the
    /// zero-copy one, or sends at the in-flight limit wait for completions nobody drains, and
    /// buffers never come back while the application is idle.
    /// </summary>
    [LinuxKernelFact]
    public async Task ASocketThatWaitedForWritabilityBeforeItsFirstPinnedSendStillGetsItsCompletions()
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        var options = ForcedZeroCopy(pool);
        options.MaxPinnedBytesInFlight = 128 * 1024;
        await using var zc = new ZeroCopySocket(pair.Client, options);

        // 1. A memory body far larger than the socket buffers, to a peer that starts reading late:
        // the send meets EAGAIN and registers the socket with the reactor.
        const int Early = 16 << 20;
        byte[] early = new byte[Early];
        StreamPattern.Fill(early, 0, seed: 21);
        Task<long> receive = Task.Run(async () =>
        {
            await Task.Delay(200);
            return await StreamPattern.ReceiveAndVerifyAsync(pair.Server, Early + (64L * 1024 * 200), seed: 21);
        });
        Assert.Equal(Early, await zc.SendWithHeadersAsync(ReadOnlyMemory<byte>.Empty, SendBody.FromMemory(early)).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(zc.Statistics.WouldBlockWaits > 0, "the first send should have waited for writability");

        // 2. Zero-copy sends eight times the in-flight limit: each one beyond it waits for completions.
        const int Length = 64 * 1024;
        for (int i = 0; i < 200; i++)
        {
            PinnedBuffer buffer = await pool.RentAsync(Length);
            StreamPattern.Fill(buffer.Span, Early + ((long)i * Length), seed: 21);
            await zc.SendPinnedAsync(buffer, Length).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(Early + (64L * 1024 * 200), await receive.WaitAsync(TimeSpan.FromSeconds(30)));

        // 3. Idle from here on: only the reactor can bring the last buffers back.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (pool.InFlightBuffers > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, pool.InFlightBuffers);
        Assert.True(zc.Statistics.PinnedZeroCopySyscalls > 0);
        Assert.Equal(zc.Statistics.PinnedZeroCopySyscalls, zc.Statistics.ZeroCopyCompletedSends);
    }

    [LinuxKernelFact]
    public async Task LoopbackCopiedCompletionsSwitchTheSocketToPlainSends()
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { BufferPool = pool, CopiedCompletionsBeforeFallback = 16, Engine = Engine });
        const int Length = 64 * 1024;
        const int Sends = 200;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (long)Length * Sends, seed: 9);
        for (int i = 0; i < Sends; i++)
        {
            PinnedBuffer buffer = await pool.RentAsync(Length);
            StreamPattern.Fill(buffer.Span, (long)i * Length, seed: 9);
            await zc.SendPinnedAsync(buffer, Length);
        }

        Assert.Equal((long)Length * Sends, await receive);
        ZeroCopyStatistics stats = zc.Statistics;
        Assert.True(stats.ZeroCopyDisabledByCopiedCompletions, "loopback completions are COPIED: the socket must switch to plain sends");
        Assert.True(stats.ZeroCopyCopiedCompletions >= 16);
        Assert.True(stats.PinnedCopiedAfterAdaptationBytes > 0);
        Assert.False(zc.Capabilities.HasFlag(ZeroCopyCapabilities.MsgZeroCopy));
        Assert.Equal((long)Length * Sends, stats.PinnedZeroCopyBytes + stats.PinnedCopiedBytes);
    }

    [LinuxKernelFact]
    public async Task SmallSendsBelowTheThresholdAreCopiesReleasedAtOnce()
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { BufferPool = pool, Engine = Engine });
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, 100 * 1000, seed: 2);
        for (int i = 0; i < 100; i++)
        {
            PinnedBuffer buffer = pool.Rent(1000);
            StreamPattern.Fill(buffer.Span.Slice(0, 1000), i * 1000, seed: 2);
            await zc.SendPinnedAsync(buffer, 1000);
            Assert.Equal(0, pool.InFlightBuffers); // copied: back in the pool when the send returned
        }

        Assert.Equal(100 * 1000, await receive);
        Assert.Equal(100 * 1000, zc.Statistics.PinnedCopiedBelowThresholdBytes);
        Assert.Equal(0, zc.Statistics.PinnedZeroCopySyscalls);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task SeveralBuffersGoOutInOrderInOneCall(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync(ipv6: true);
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool, forcePortable));
        int[] lengths = { 100, 65536, 0, 70000, 4096, 262144, 1 };
        long total = lengths.Sum(l => (long)l);
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total * 3, seed: 4);
        long position = 0;
        for (int round = 0; round < 3; round++)
        {
            PinnedBuffer[] buffers = lengths.Select(l => pool.Rent(l)).ToArray();
            for (int i = 0; i < buffers.Length; i++)
            {
                StreamPattern.Fill(buffers[i].Span.Slice(0, lengths[i]), position, seed: 4);
                position += lengths[i];
            }

            await zc.SendPinnedAsync(buffers, lengths);
            Assert.All(buffers, b => Assert.False(b.IsOwned));
        }

        Assert.Equal(total * 3, await receive);
        await zc.DisposeAsync();
        Assert.Equal(0, pool.InFlightBuffers);
        if (!forcePortable && s_linux)
        {
            Assert.True(zc.Capabilities.HasFlag(ZeroCopyCapabilities.VectoredSend));
            Assert.Equal(zc.Statistics.PinnedZeroCopySyscalls, zc.Statistics.ZeroCopyCompletedSends);
            Assert.True(zc.Statistics.ZeroCopyNotifications > 0, "IPv6 completions (SOL_IPV6/IPV6_RECVERR) were read");
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task ConnectedUdpKeepsDatagramBoundaries(bool ipv6, bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = LoopbackPair.CreateUdp(ipv6);
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(pool, forcePortable));
        var random = new Random(11);
        var received = new byte[65536];
        long position = 0;
        for (int i = 0; i < 60; i++)
        {
            int length = i == 7 ? 0 : random.Next(1, 60000);
            int expectedLength = length;
            if (i % 5 == 3 && length > 2)
            {
                // Two buffers, one datagram.
                int half = length / 2;
                PinnedBuffer a = pool.Rent(half);
                PinnedBuffer b = pool.Rent(length - half);
                StreamPattern.Fill(a.Span.Slice(0, half), position, seed: 6);
                StreamPattern.Fill(b.Span.Slice(0, length - half), position + half, seed: 6);
                await zc.SendPinnedAsync(new[] { a, b }, new[] { half, length - half });
            }
            else
            {
                PinnedBuffer buffer = pool.Rent(length);
                StreamPattern.Fill(buffer.Span.Slice(0, length), position, seed: 6);
                await zc.SendPinnedAsync(buffer, length);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int n = await pair.Server.ReceiveAsync(received, SocketFlags.None, timeout.Token);
            Assert.Equal(expectedLength, n);
            var want = new byte[n];
            StreamPattern.Fill(want, position, seed: 6);
            Assert.True(received.AsSpan(0, n).SequenceEqual(want), $"datagram {i} differs");
            position += length;
        }

        await zc.DisposeAsync();
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(60, zc.Statistics.PinnedSendCalls);
        if (!forcePortable && s_linux)
        {
            Assert.True(zc.Statistics.PinnedZeroCopySyscalls > 0);
            Assert.Equal(zc.Statistics.PinnedZeroCopySyscalls, zc.Statistics.ZeroCopyCompletedSends);
        }
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task CallerPinnedMemoryIsReleasedBeforeItIsWrittenAgain(bool forcePortable)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, ForcedZeroCopy(PinnedBufferPool.Shared, forcePortable));
        byte[] memory = GC.AllocateArray<byte>(128 * 1024, pinned: true);
        const int Rounds = 50;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (long)memory.Length * Rounds, seed: 8);
        for (int i = 0; i < Rounds; i++)
        {
            StreamPattern.Fill(memory, (long)i * memory.Length, seed: 8);
            PinnedMemoryRelease release = await zc.SendPinnedAsync(memory);
            await release.WhenReleased;
        }

        Assert.Equal((long)memory.Length * Rounds, await receive);
        if (!forcePortable && s_linux)
        {
            Assert.Equal(zc.Statistics.PinnedZeroCopySyscalls, zc.Statistics.ZeroCopyCompletedSends);
        }
    }
}

/// <summary>
/// Every test above on the io_uring engine (<see cref="SendEngine.IoUring"/>): SEND_ZC from registered
/// slabs, notifications as CQEs. Where the process cannot use io_uring the sockets fall back to epoll
/// and these runs repeat the epoll ones (IoUringSendTests are skipped there with the reason).
/// </summary>
public sealed class SendPinnedLoopbackTestsOnIoUring : SendPinnedLoopbackTests
{
    protected override SendEngine Engine => SendEngine.IoUring;
}
