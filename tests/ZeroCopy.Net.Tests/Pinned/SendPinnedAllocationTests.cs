using System;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>Steady state rent → fill → send → release allocates nothing, counted for the whole process.</summary>
[Collection(IsolatedCollection.Name)]
public class SendPinnedAllocationTests
{
    /// <summary>The epoll engine: sendmsg(MSG_ZEROCOPY), completions drained from the error queue by the sender and the reactor.</summary>
    [LinuxKernelFact]
    public Task SteadyStateZeroCopySendsAllocateNothing() => SteadyStateAllocatesNothing(SendEngine.Epoll);

    /// <summary>The io_uring engine: SEND_ZC from a registered slab, request CQE reaped by the submitter or the completion thread, notification releases the batch.</summary>
    [IoUringFact]
    public Task SteadyStateIoUringSendsAllocateNothing() => SteadyStateAllocatesNothing(SendEngine.IoUring);

    private static async Task SteadyStateAllocatesNothing(SendEngine engine)
    {
        using var pool = new PinnedBufferPool();
        using var pair = LoopbackPair.CreateUdp();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            BufferPool = pool,
            Engine = engine,
            PinnedZeroCopyThreshold = 0,
            CopiedCompletionsBeforeFallback = 0,
        });
        Assert.Equal(engine, zc.Engine);

        // The receiver never reads: loopback drops what does not fit, and every send completes at once.
        // Warm-up: pool slab, tracker ring, pooled batches, JIT, and the free queue's segments, which
        // grow until one holds every buffer of the slab (512 of 4 KiB): cycle through it a few times.
        const int WarmUp = 4 * PinnedBufferPool.SlabBytes / 4096;
        SendMany(zc, pool, WarmUp);

        // Zero per send, counted for the whole process (completions are handled on the reactor or the
        // io_uring completion thread). A one-time growth (the tracker's ring doubling because completions
        // were late, tiered JIT, a thread-pool thread starting: 20 KB once under a loaded machine) lands
        // in one round at most, while anything per send shows in every round, at least 1000 x 24 bytes:
        // the least round counts.
        long allocated = ProcessAllocations.Least(4, () =>
        {
            SendMany(zc, pool, 1000);
            return 0;
        });
        Assert.True(allocated <= 8192, $"{allocated} bytes allocated by the process over 1000 sends ({engine})");
        Assert.True(zc.Statistics.PinnedZeroCopySyscalls >= 4000 + WarmUp);
    }

    private static void SendMany(ZeroCopySocket zc, PinnedBufferPool pool, int count)
    {
        for (int i = 0; i < count; i++)
        {
            PinnedBuffer buffer = pool.Rent(1200);
            buffer.Span.Slice(0, 1200).Fill((byte)i);
            ValueTask send = zc.SendPinnedAsync(buffer, 1200);

            // Almost always complete at once; under CPU contention the socket buffer can fill (EAGAIN)
            // and the send waits for the reactor: spin rather than block, which would allocate.
            while (!send.IsCompleted)
            {
                System.Threading.Thread.Yield();
            }

            send.GetAwaiter().GetResult();
        }
    }
}
