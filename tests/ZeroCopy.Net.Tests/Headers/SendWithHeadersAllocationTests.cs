using System;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Headers;

[Collection(IsolatedCollection.Name)]
public class SendWithHeadersAllocationTests
{
    /// <summary>
    /// In steady state a send that completes without waiting allocates nothing, for every body form:
    /// the iovec is on the stack, pins and slices live in per-socket scratch arrays, small bodies use
    /// a pooled buffer. (The socket buffer is large enough that none of these sends waits, so the
    /// whole send runs on this thread and the per-thread counter sees all of it.) The pinned body is
    /// below the zero-copy threshold, so it goes in the headers' sendmsg; its pool has one slab of
    /// four buffers, so the first round has touched every buffer the second one uses.
    /// </summary>
    [LinuxKernelFact]
    public async Task SendsThatDoNotWaitAllocateNothing()
    {
        using var small = TestFile.Create(1024);
        using var large = TestFile.Create(20_000);
        using var pair = await LoopbackPair.CreateTcpAsync(noDelay: false);
        pair.Client.SendBufferSize = 8 << 20;
        pair.Server.ReceiveBufferSize = 8 << 20;
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = PinnedBufferPool.SlabBytes });
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { BufferPool = pool });
        using SafeFileHandle smallHandle = File.OpenHandle(small.Path);
        using SafeFileHandle largeHandle = File.OpenHandle(large.Path);
        var header = new byte[200];
        var trailer = new byte[10];
        var body = new byte[4096];
        ReadOnlyMemory<byte>[] pieces = { header, trailer, header };

        long total = 0;
        long Round()
        {
            long before = ProcessAllocations.Now();
            for (int i = 0; i < 20; i++)
            {
                total += Sync(zc.SendWithHeadersAsync(header, SendBody.FromFile(smallHandle)));
                total += Sync(zc.SendWithHeadersAsync(header, SendBody.FromFile(small.Path)));
                total += Sync(zc.SendWithHeadersAsync(header, SendBody.FromFile(largeHandle)));
                total += Sync(zc.SendWithHeadersAsync(header, SendBody.FromFile(largeHandle), trailer));
                total += Sync(zc.SendWithHeadersAsync(pieces, SendBody.FromMemory(body), pieces));
                total += Sync(zc.SendWithHeadersAsync(pieces, SendBody.FromPinned(pool.Rent(PinnedBufferPool.MaxBufferSize), 4096), pieces));
            }

            return ProcessAllocations.Now() - before;
        }

        Round();
        long allocated = ProcessAllocations.Least(3, Round);

        var sink = new byte[total];
        await ResponseExchange.ReceiveExactlyAsync(pair.Server, sink, sink.Length);
        Assert.Equal(0, zc.Statistics.WouldBlockWaits);
        Assert.True(allocated <= ProcessAllocations.Noise, $"{allocated} bytes allocated by the process");
        Assert.Equal(80 * 4096, zc.Statistics.PinnedCopiedBelowThresholdBytes); // 4 rounds of 20
        Assert.Equal(0, pool.InFlightBuffers);
    }

    /// <summary>
    /// Pinned bodies above the threshold (MSG_ZEROCOPY, completions tracked) allocate nothing per
    /// send in steady state either: pooled batches, the tracker's ring, the iovec on the stack. The
    /// sender keeps at most 16 bodies in flight, so sends do not wait for completions (a wait resumes
    /// on the reactor thread, and its async boxes then come from another thread's cache). As in
    /// SendPinnedAllocationTests, a one-time growth may land in the window (a few KB at most), while
    /// anything per send would be at least 1000 x 24 bytes.
    /// </summary>
    [LinuxKernelFact]
    public async Task ZeroCopyPinnedBodiesAllocateNothingPerSend()
    {
        const int Length = 64 * 1024;
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Client.SendBufferSize = 8 << 20;
        pair.Server.ReceiveBufferSize = 8 << 20;
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            BufferPool = pool,
            PinnedZeroCopyThreshold = 0,
            CopiedCompletionsBeforeFallback = 0,
        });
        const int MaxInFlight = 16;
        var prewarm = new PinnedBuffer[MaxInFlight + 8];
        for (int i = 0; i < prewarm.Length; i++)
        {
            prewarm[i] = pool.Rent(Length);
        }

        foreach (PinnedBuffer buffer in prewarm)
        {
            buffer.Dispose();
        }

        ReadOnlyMemory<byte>[] headers = { new byte[200] };
        ReadOnlyMemory<byte>[] trailers = { new byte[10] };

        // The peer reads all along: a zero-copy send's completion comes when the peer has its bytes.
        const int Rounds = 4;
        const int PerRound = 500;
        long expected = (500L + (Rounds * PerRound)) * (200 + Length + 10);
        Task<HashingReceiver.Result> receive = Task.Run(() => HashingReceiver.ReceiveAsync(pair.Server, expected, chunk: 1 << 20));

        SendMany(500); // warm-up: zero-copy opt-in, pool slab, tracker ring, pooled batches, JIT

        // The whole process, the receiver included: anything per send (the reactor draining completions,
        // a send resuming on a pool thread) shows in every round, at least 500 x 24 bytes. A one-off
        // (tiered JIT recompiling a method, a thread-pool thread starting) shows in one round, so the least
        // round is the figure. Measured outside the test host: 0.5 B per send over 20,000 sends, in all.
        long allocated = ProcessAllocations.Least(Rounds, () =>
        {
            SendMany(PerRound);
            return 0;
        });

        Assert.Equal(expected, (await receive).Bytes);
        Assert.True(allocated <= 8192, $"{allocated} bytes allocated by the process over {PerRound} sends; waits {zc.Statistics.WouldBlockWaits}, backpressure {zc.Statistics.PinnedBackpressureWaits}, mapped {pool.MappedBytes}");
        Assert.True(zc.Statistics.PinnedZeroCopySyscalls >= 500 + (Rounds * PerRound));

        void SendMany(int count)
        {
            for (int i = 0; i < count; i++)
            {
                while (pool.InFlightBuffers >= MaxInFlight)
                {
                    System.Threading.Thread.Yield(); // the reactor (or its idle timer) drains the completions
                }

                PinnedBuffer buffer = pool.Rent(Length);
                ValueTask<long> send = zc.SendWithHeadersAsync(headers, SendBody.FromPinned(buffer, Length), trailers);

                // Under contention the send may wait (socket space, or completions): spin rather than block, which would allocate.
                while (!send.IsCompleted)
                {
                    System.Threading.Thread.Yield();
                }

                _ = send.GetAwaiter().GetResult();
            }
        }
    }

    private static long Sync(ValueTask<long> send)
    {
        Assert.True(send.IsCompletedSuccessfully, "the send should not have had to wait");
        return send.Result;
    }
}
