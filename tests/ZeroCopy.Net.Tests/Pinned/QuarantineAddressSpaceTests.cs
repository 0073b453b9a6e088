using System;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// A quarantined buffer's address range stays the slab's until the slab is unmapped. Before the
/// fix the range was munmapped, a hole the kernel could hand to the next mapping (a thread's stack);
/// the pool's whole-slab munmap at disposal then tore that mapping out from under its owner (the
/// likely cause of a CI crash in glibc's thread-stack list). Here a mapping asked for at exactly that address
/// (a hint, no MAP_FIXED: the kernel honours it when the range is free) must land elsewhere.
/// </summary>
[Collection(IsolatedCollection.Name)]
public class QuarantineAddressSpaceTests
{
    [LinuxKernelFact]
    public unsafe void AQuarantinedBufferLeavesNoHoleAnotherMappingCouldTake()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 4L * 1024 * 1024 });
        PinnedBuffer keep = pool.Rent(256 * 1024);  // keeps the slab alive
        PinnedBuffer victim = pool.Rent(256 * 1024);
        PinnedSegment segment = victim.Segment!;
        byte* address = segment.Address;
        Assert.True(pool.TryTakeForSend(victim));    // Rented -> InFlight, as a send would
        pool.Quarantine(segment);                    // the completion will never come
        Assert.Equal(1, pool.QuarantinedBuffers);

        void* probe = mmap(address, (nuint)segment.Length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        Assert.NotEqual(MAP_FAILED, (nint)probe);
        try
        {
            Assert.True(probe != address, "the quarantined range was free: another mapping was placed in the slab's hole");
        }
        finally
        {
            _ = munmap(probe, (nuint)segment.Length);
        }

        // The rest of the slab is untouched and usable.
        keep.Span.Fill(0x5A);
        Assert.Equal(0x5A, keep.Span[keep.Capacity - 1]);
        keep.Dispose();
    }
}
