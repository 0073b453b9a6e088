using System;
using System.IO.Pipelines;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Pipelines;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.Pinned;

namespace ZeroCopy.Net.Tests.Pipelines;

/// <summary>Steady state GetSpan → Advance → FlushAsync (MSG_ZEROCOPY, buffer released on completion) allocates nothing on the writing thread.</summary>
[Collection(IsolatedCollection.Name)]
public class ZeroCopyPipeWriterAllocationTests
{
    [LinuxKernelFact]
    public async Task SteadyStateFlushesAllocateNothing()
    {
        using var pool = new PinnedBufferPool();
        using var pair = LoopbackPair.CreateUdp();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            BufferPool = pool,
            PinnedZeroCopyThreshold = 0,
            CopiedCompletionsBeforeFallback = 0,
        });
        ZeroCopyPipeWriter writer = zc.CreatePipeWriter(new ZeroCopyPipeWriterOptions { LeaveOpen = true, MinimumSegmentSize = 4096 });

        // UDP to loopback: each flush is one datagram, completes at once; the receiver never reads.
        // Warm-up: pool slab, tracker ring, pooled batches, JIT, and the free queue's segments, which
        // grow until one holds every buffer of the slab (512 of 4 KiB): cycle through it a few times.
        WriteAndFlushMany(writer, 4 * PinnedBufferPool.SlabBytes / 4096);
        long allocated = ProcessAllocations.Least(3, () =>
        {
            WriteAndFlushMany(writer, 2000);
            return 0;
        });

        Assert.True(allocated <= ProcessAllocations.Noise, $"{allocated} bytes allocated by the process");
        Assert.True(zc.Statistics.PinnedZeroCopySyscalls >= 6000 + (4 * PinnedBufferPool.SlabBytes / 4096));
        await writer.CompleteAsync();
    }

    private static void WriteAndFlushMany(PipeWriter writer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            writer.GetSpan(1200).Slice(0, 1200).Fill((byte)i);
            writer.Advance(1200);
            ValueTask<FlushResult> flush = writer.FlushAsync();
            if (!flush.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("a UDP flush to loopback should complete synchronously");
            }

            Assert.False(flush.Result.IsCanceled);
        }
    }
}
