using System;
using System.Diagnostics;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// SendPinnedAsync on the io_uring engine (<see cref="SendEngine.IoUring"/>) over real loopback
/// sockets, every byte verified. Loopback copies (notifications say COPIED), so the tests that
/// exercise SEND_ZC switch the COPIED adaptation off (CopiedCompletionsBeforeFallback = 0).
/// </summary>
public class IoUringSendTests
{
    private static ZeroCopySocketOptions IoUring(PinnedBufferPool pool, int threshold = 0, int copiedLimit = 0) => new()
    {
        BufferPool = pool,
        Engine = SendEngine.IoUring,
        PinnedZeroCopyThreshold = threshold,
        CopiedCompletionsBeforeFallback = copiedLimit,
    };

    [IoUringFact]
    public async Task TcpSendsEveryByteFromRegisteredSlabsAndEveryBufferComesBack()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 8L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, IoUring(pool));
        Assert.Equal(SendEngine.IoUring, zc.Engine);
        var random = new Random(13);
        int[] lengths = Enumerable.Range(0, 300).Select(i => i % 50 == 0 ? 0 : random.Next(1, PinnedBufferPool.MaxBufferSize + 1)).ToArray();
        long total = lengths.Sum(l => (long)l);
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, seed: 3);
        long position = 0;
        foreach (int length in lengths)
        {
            PinnedBuffer buffer = await pool.RentAsync(length);
            StreamPattern.Fill(buffer.Span.Slice(0, length), position, seed: 3);
            await zc.SendPinnedAsync(buffer, length);
            Assert.False(buffer.IsOwned);
            position += length;
        }

        Assert.Equal(total, await receive);
        await zc.DisposeAsync();

        ZeroCopyStatistics stats = zc.Statistics;
        Assert.Equal(lengths.Length, stats.PinnedSendCalls);
        Assert.Equal(total, stats.PinnedZeroCopyBytes);
        Assert.True(stats.PinnedZeroCopySyscalls >= lengths.Count(l => l > 0));
        Assert.Equal(stats.PinnedZeroCopySyscalls, stats.ZeroCopyCompletedSends);
        Assert.Equal(0, stats.PinnedBytesInFlight);
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Null(ZeroCopySocket.ProcessIoUringFixedBufferFallbackReason);
    }

    [IoUringFact]
    public async Task SeveralBuffersGoOutInOrderThroughSendmsgZc()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 8L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, IoUring(pool));
        int[] lengths = { 100, 4096, 70_000, 1, 256 * 1024, 3000 };
        long total = 20 * lengths.Sum(l => (long)l);
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, seed: 4);
        long position = 0;
        for (int round = 0; round < 20; round++)
        {
            var buffers = new PinnedBuffer[lengths.Length];
            for (int i = 0; i < lengths.Length; i++)
            {
                buffers[i] = await pool.RentAsync(lengths[i]);
                StreamPattern.Fill(buffers[i].Span.Slice(0, lengths[i]), position, seed: 4);
                position += lengths[i];
            }

            await zc.SendPinnedAsync(buffers, lengths);
        }

        Assert.Equal(total, await receive);
        await WaitUntil(() => pool.InFlightBuffers == 0);
        Assert.Equal(0, pool.InFlightBuffers);
    }

    [IoUringFact]
    public async Task CallerMemoryGoesOutUnregisteredAndIsReleasedBeforeItIsWrittenAgain()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, IoUring(PinnedBufferPool.Shared));
        byte[] memory = new byte[128 * 1024];
        const int Rounds = 50;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (long)Rounds * memory.Length, seed: 5);
        for (int round = 0; round < Rounds; round++)
        {
            StreamPattern.Fill(memory, (long)round * memory.Length, seed: 5);
            PinnedMemoryRelease release = await zc.SendPinnedAsync(memory.AsMemory());
            await release.WhenReleased;
        }

        Assert.Equal((long)Rounds * memory.Length, await receive);
        Assert.True(zc.Statistics.PinnedZeroCopySyscalls >= Rounds);
    }

    [IoUringFact]
    public async Task ConnectedUdpKeepsDatagramBoundaries()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 4L * 1024 * 1024 });
        using var pair = LoopbackPair.CreateUdp();
        await using var zc = new ZeroCopySocket(pair.Client, IoUring(pool));
        int[] lengths = { 1, 1000, 8192, 0, 30_000, 60_000 };
        var received = new byte[65536];
        foreach (int length in lengths)
        {
            PinnedBuffer buffer = pool.Rent(length);
            StreamPattern.Fill(buffer.Span.Slice(0, length), length, seed: 6);
            await zc.SendPinnedAsync(buffer, length);
            int n = await pair.Server.ReceiveAsync(received, SocketFlags.None);
            Assert.Equal(length, n);
            var want = new byte[length];
            StreamPattern.Fill(want, length, seed: 6);
            Assert.True(want.AsSpan().SequenceEqual(received.AsSpan(0, n)));
        }
    }

    [IoUringFact]
    public async Task SendsBelowTheThresholdAreCopiesReleasedAtOnce()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 4L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, IoUring(pool, threshold: 1 << 20));
        const int Length = 10_000;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, 40L * Length, seed: 7);
        for (int i = 0; i < 40; i++)
        {
            PinnedBuffer buffer = pool.Rent(Length);
            StreamPattern.Fill(buffer.Span.Slice(0, Length), (long)i * Length, seed: 7);
            await zc.SendPinnedAsync(buffer, Length);
            Assert.Equal(0, pool.InFlightBuffers); // a plain sendmsg: the bytes were copied when it returned
        }

        Assert.Equal(40L * Length, await receive);
        Assert.Equal(0, zc.Statistics.PinnedZeroCopySyscalls);
        Assert.Equal(40L * Length, zc.Statistics.PinnedCopiedBytes);
    }

    [IoUringFact]
    public async Task LoopbackCopiedNotificationsSwitchTheSocketToPlainSends()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 4L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, IoUring(pool, copiedLimit: 4));
        const int Length = 64 * 1024;
        const int Sends = 64;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (long)Sends * Length, seed: 8);
        for (int i = 0; i < Sends; i++)
        {
            PinnedBuffer buffer = await pool.RentAsync(Length);
            StreamPattern.Fill(buffer.Span, (long)i * Length, seed: 8);
            await zc.SendPinnedAsync(buffer, Length);
        }

        Assert.Equal((long)Sends * Length, await receive);
        Assert.True(zc.Statistics.ZeroCopyCopiedCompletions >= 4);
        Assert.True(zc.Statistics.PinnedCopiedBytes > 0, "after 4 COPIED notifications the socket sends plain copies");
    }

    /// <summary>A pool far smaller than the bytes sent: every buffer is re-rented and overwritten the moment it comes back, so an early release shows as a wrong byte.</summary>
    [IoUringFact]
    public async Task OverwriteOnReleaseStress()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 2L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, IoUring(pool));
        const int Length = 64 * 1024;
        const int Sends = 2000;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (long)Sends * Length, seed: 9);
        for (int i = 0; i < Sends; i++)
        {
            PinnedBuffer buffer = await pool.RentAsync(Length);
            StreamPattern.Fill(buffer.Span, (long)i * Length, seed: 9);
            await zc.SendPinnedAsync(buffer, Length);
        }

        Assert.Equal((long)Sends * Length, await receive);
    }

    [IoUringFact]
    public async Task CancellationCancelsASendParkedOnAFullSocket()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 32L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, IoUring(pool));
        using var cts = new CancellationTokenSource();
        Task parked = await ParkASendAsync(zc, pool, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parked);

        // Everything sent before the cancelled send arrives intact, and every buffer comes back.
        long sentBefore = zc.Statistics.PinnedZeroCopyBytes;
        Assert.Equal(sentBefore, await StreamPattern.ReceiveAndVerifyAsync(pair.Server, sentBefore, seed: 10));
        await zc.DisposeAsync();
        await WaitUntil(() => pool.InFlightBuffers == 0);
        Assert.Equal(0, pool.InFlightBuffers);
    }

    [IoUringFact]
    public async Task AResetWithSendsInFlightFailsTheSendWithTheSocketError()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 32L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, IoUring(pool));
        Task parked = await ParkASendAsync(zc, pool, CancellationToken.None);
        pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close(); // RST with unread data queued
        SocketException e = await Assert.ThrowsAnyAsync<SocketException>(() => parked);
        Assert.True(e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown, e.ToString());
        Assert.Contains("io_uring", e.Message, StringComparison.Ordinal);
        await zc.DisposeAsync();
        await WaitUntil(() => pool.InFlightBuffers == 0);
        Assert.Equal(0, pool.InFlightBuffers);
    }

    [IoUringFact]
    public async Task DisposalWithASendParkedAndNotificationsOutstandingEndsTheSendAndQuarantinesWhatTheKernelHolds()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 32L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            BufferPool = pool, Engine = SendEngine.IoUring, PinnedZeroCopyThreshold = 0, CopiedCompletionsBeforeFallback = 0, DisposeTimeout = TimeSpan.FromMilliseconds(200),
        });
        Task parked = await ParkASendAsync(zc, pool, CancellationToken.None);
        await zc.DisposeAsync();
        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => parked);

        // The peer has not read: the kernel still holds sends, which disposal abandoned (quarantined, never rented again).
        await WaitUntil(() => pool.InFlightBuffers == 0);
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.True(zc.Statistics.ZeroCopyAbandonedSends > 0);
        Assert.True(pool.QuarantinedBuffers > 0);
        Assert.Equal(0, zc.Statistics.PinnedBytesInFlight);

        // Their bytes still arrive intact: the kernel reads the pages through its own references, and their late notifications release nothing twice.
        long sent = zc.Statistics.PinnedZeroCopyBytes;
        Assert.Equal(sent, await StreamPattern.ReceiveAndVerifyAsync(pair.Server, sent, seed: 10));
        Assert.Equal(0, pool.InFlightBuffers);
    }

    /// <summary>
    /// io_uring cancels the requests of a thread that exits. A send parked on a full socket by a
    /// thread that then exits (thread-pool threads retire) must not fail: the engine resubmits the
    /// same bytes, and the peer gets every byte once.
    /// </summary>
    [IoUringFact]
    public async Task ASendParkedByAThreadThatExitsIsResubmittedNotFailed()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 32L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Server.ReceiveBufferSize = 64 * 1024;
        pair.Client.SendBufferSize = 64 * 1024;
        await using var zc = new ZeroCopySocket(pair.Client, IoUring(pool));
        const int Length = 256 * 1024;
        long position = 0;
        Task? parked = null;
        while (parked is null)
        {
            PinnedBuffer buffer = await pool.RentAsync(Length);
            StreamPattern.Fill(buffer.Span, position, seed: 11);
            position += Length;
            Task send = Task.CompletedTask;
            var thread = new Thread(() => send = zc.SendPinnedAsync(buffer, Length).AsTask());
            thread.Start();
            thread.Join(); // the submitting thread is gone: the kernel cancels what it left parked
            if (await Task.WhenAny(send, Task.Delay(200)) != send)
            {
                parked = send;
            }
            else
            {
                await send;
            }
        }

        Assert.Equal(position, await StreamPattern.ReceiveAndVerifyAsync(pair.Server, position, seed: 11));
        await parked; // completed by a resubmission, not failed with ECANCELED
    }

    /// <summary>Sends 256 KiB buffers to a peer that does not read until one send stays pending (the socket is full); returns that send.</summary>
    private static async Task<Task> ParkASendAsync(ZeroCopySocket zc, PinnedBufferPool pool, CancellationToken cancellationToken)
    {
        const int Length = 256 * 1024;
        for (long position = 0; ; position += Length)
        {
            PinnedBuffer buffer = await pool.RentAsync(Length, CancellationToken.None);
            StreamPattern.Fill(buffer.Span, position, seed: 10);
            Task send = zc.SendPinnedAsync(buffer, Length, cancellationToken).AsTask();
            if (await Task.WhenAny(send, Task.Delay(200, CancellationToken.None)) != send)
            {
                return send;
            }

            await send;
        }
    }

    /// <summary>Waits (bounded, not asserted on) for a condition that the kernel's notifications make true.</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(10);
        }
    }
}
