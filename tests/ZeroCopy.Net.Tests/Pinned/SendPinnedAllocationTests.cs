using System;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>Steady state rent → fill → send → release allocates nothing on the sending thread.</summary>
public class SendPinnedAllocationTests
{
    [LinuxKernelPathFact]
    public async Task SteadyStateZeroCopySendsAllocateNothing()
    {
        using var pool = new PinnedBufferPool();
        using var pair = LoopbackPair.CreateUdp();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            BufferPool = pool,
            PinnedZeroCopyThreshold = 0,
            CopiedCompletionsBeforeFallback = 0,
        });

        // The receiver never reads: loopback drops what does not fit, and every send completes at once.
        SendMany(zc, pool, 500); // warm-up: pool slabs, tracker ring, pooled batches, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        SendMany(zc, pool, 2000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(zc.Statistics.PinnedZeroCopySyscalls >= 2500);
    }

    private static void SendMany(ZeroCopySocket zc, PinnedBufferPool pool, int count)
    {
        for (int i = 0; i < count; i++)
        {
            PinnedBuffer buffer = pool.Rent(1200);
            buffer.Span.Slice(0, 1200).Fill((byte)i);
            ValueTask send = zc.SendPinnedAsync(buffer, 1200);
            if (!send.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("a UDP send to loopback should complete synchronously");
            }

            send.GetAwaiter().GetResult();
        }
    }
}
