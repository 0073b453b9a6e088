using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net.Tests.Pinned;

public class PinnedBufferPoolTests
{
    // Buffers of the largest class in one slab (8 with 2 MiB slabs).
    private const int LargestPerSlab = PinnedBufferPool.SlabBytes / PinnedBufferPool.MaxBufferSize;

    [Fact]
    public void BuffersArePageAlignedAndSizedByClass()
    {
        using var pool = new PinnedBufferPool();
        foreach ((int asked, int expected) in new[] { (0, 4096), (1, 4096), (4096, 4096), (4097, 8192), (8193, 16384), (32768, 32768), (32769, 65536), (65536, 65536), (70000, 131072), (131073, 262144), (262144, 262144) })
        {
            using PinnedBuffer buffer = pool.Rent(asked);
            Assert.Equal(expected, buffer.Capacity);
            Assert.Equal(expected, PinnedBufferPool.GetBufferSize(asked));
            unsafe
            {
                fixed (byte* p = buffer.Span)
                {
                    Assert.Equal(0, (long)p % 4096);
                }
            }
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(PinnedBufferPool.MaxBufferSize + 1)]
    public void RentRejectsBadSizes(int size)
    {
        using var pool = new PinnedBufferPool();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(size));
    }

    [Fact]
    public void PoolSmallerThanASlabIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 4096 }));
    }

    [Fact]
    public void DisposeReturnsAtOnceAndStaleHandlesStayDead()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = PinnedBufferPool.SlabBytes });
        PinnedBuffer first = pool.Rent(PinnedBufferPool.MaxBufferSize);
        first.Span[0] = 42;
        PinnedBuffer copy = first;
        first.Dispose();
        Assert.False(copy.IsOwned);
        Assert.Throws<ObjectDisposedException>(() => copy.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => copy.Memory);
        first.Dispose(); // twice: nothing happens

        // The slab holds LargestPerSlab buffers of this class; rent them all: one of them is the same memory again.
        var again = Enumerable.Range(0, LargestPerSlab).Select(_ => pool.Rent(PinnedBufferPool.MaxBufferSize)).ToArray();
        Assert.Contains(again, b => b.Segment == copy.Segment);
        Assert.Throws<ObjectDisposedException>(() => copy.Span.Length); // the old handle does not own the new rental
        Assert.All(again, b => Assert.True(b.IsOwned));
        foreach (PinnedBuffer b in again)
        {
            b.Dispose();
        }

        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(LargestPerSlab, pool.FreeBuffers);
    }

    [Fact]
    public async Task ExhaustedPoolThrowsOnRentAndWaitsOnRentAsync()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = PinnedBufferPool.SlabBytes });
        var all = Enumerable.Range(0, LargestPerSlab).Select(_ => pool.Rent(PinnedBufferPool.MaxBufferSize)).ToArray();
        Assert.Throws<InsufficientMemoryException>(() => pool.Rent(PinnedBufferPool.MaxBufferSize));
        Task<PinnedBuffer> waiting = pool.RentAsync(PinnedBufferPool.MaxBufferSize).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        all[2].Dispose();
        PinnedBuffer got = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(all[2].Segment, got.Segment);
        got.Dispose();
        foreach (PinnedBuffer b in all)
        {
            b.Dispose();
        }
    }

    [Fact]
    public async Task RentAsyncIsCancellable()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = PinnedBufferPool.SlabBytes });
        var all = Enumerable.Range(0, LargestPerSlab).Select(_ => pool.Rent(PinnedBufferPool.MaxBufferSize)).ToArray();
        using var cts = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pool.RentAsync(PinnedBufferPool.MaxBufferSize, cts.Token));
        foreach (PinnedBuffer b in all)
        {
            b.Dispose();
        }
    }

    [Fact]
    public async Task AFullPoolLendsALargerBufferAndNeverWaitsForASizeItDoesNotHave()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = PinnedBufferPool.SlabBytes });
        PinnedBuffer big = pool.Rent(65536); // the only slab goes to the 64 KiB class
        PinnedBuffer small = pool.Rent(100);  // no 4 KiB slab can be mapped: a free 64 KiB buffer is lent
        Assert.Equal(65536, small.Capacity);
        var rest = Enumerable.Range(0, (PinnedBufferPool.SlabBytes / 65536) - 2).Select(_ => pool.Rent(1)).ToArray();
        Assert.Throws<InsufficientMemoryException>(() => pool.Rent(1));

        // No 256 KiB buffer exists, and none ever will: RentAsync says so instead of waiting forever.
        await Assert.ThrowsAsync<InsufficientMemoryException>(async () => await pool.RentAsync(PinnedBufferPool.MaxBufferSize));
        big.Dispose();
        small.Dispose();
        foreach (PinnedBuffer b in rest)
        {
            b.Dispose();
        }

        Assert.Equal(PinnedBufferPool.SlabBytes / 65536, pool.FreeBuffers);
    }

    [Fact]
    public void SharedPoolCannotBeDisposed()
    {
        Assert.Throws<InvalidOperationException>(() => PinnedBufferPool.Shared.Dispose());
    }

    /// <summary>
    /// Any sequence of rent / dispose / send / complete / quarantine keeps the books: every buffer the
    /// pool created is in exactly one state, mapped memory never exceeds the limit, and handles that
    /// gave up ownership never regain it.
    /// </summary>
    [Fact]
    public void AccountingHoldsForAnySequenceOfOperations()
    {
        Gen<(int Op, int Size, int Pick)> step =
            from op in Gen.Choose(0, 5)
            from size in Gen.Elements(0, 1, 4096, 5000, 16384, 65536, 100000, 262144)
            from pick in Gen.Choose(0, 1000)
            select (op, size, pick);

        Prop.ForAll(Gen.ListOf(step).ToArbitrary(), steps =>
        {
            using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 3L * PinnedBufferPool.SlabBytes });
            var rented = new List<PinnedBuffer>();
            var inFlight = new List<PinnedBuffer>();
            var dead = new List<PinnedBuffer>();
            long quarantined = 0;
            foreach ((int op, int size, int pick) in steps)
            {
                switch (op)
                {
                    case 0:
                    case 1:
                        try
                        {
                            PinnedBuffer b = pool.Rent(size);
                            if (b.Capacity < size)
                            {
                                return false;
                            }

                            rented.Add(b);
                        }
                        catch (InsufficientMemoryException)
                        {
                            if (pool.MappedBytes + PinnedBufferPool.SlabBytes <= pool.MaxTotalBytes)
                            {
                                return false; // refused while below the limit
                            }
                        }

                        break;
                    case 2 when rented.Count > 0:
                        {
                            PinnedBuffer b = rented[pick % rented.Count];
                            rented.Remove(b);
                            b.Dispose();
                            dead.Add(b);
                            break;
                        }

                    case 3 when rented.Count > 0:
                        {
                            PinnedBuffer b = rented[pick % rented.Count];
                            rented.Remove(b);
                            if (!pool.TryTakeForSend(b) || pool.TryTakeForSend(b))
                            {
                                return false; // the first take must win, a second must lose
                            }

                            inFlight.Add(b);
                            dead.Add(b);
                            break;
                        }

                    case 4 when inFlight.Count > 0:
                        {
                            PinnedBuffer b = inFlight[pick % inFlight.Count];
                            inFlight.Remove(b);
                            pool.ReturnFromInFlight(b.Segment!);
                            break;
                        }

                    case 5 when inFlight.Count > 0:
                        {
                            PinnedBuffer b = inFlight[pick % inFlight.Count];
                            inFlight.Remove(b);
                            pool.Quarantine(b.Segment!);
                            quarantined++;
                            break;
                        }

                    default:
                        break;
                }

                long created = pool.RentedBuffers + pool.InFlightBuffers + pool.FreeBuffers + pool.QuarantinedBuffers;
                if (pool.RentedBuffers != rented.Count || pool.InFlightBuffers != inFlight.Count || pool.QuarantinedBuffers != quarantined
                    || pool.MappedBytes > pool.MaxTotalBytes || created != pool.CreatedBuffers || dead.Any(d => d.IsOwned))
                {
                    return false;
                }
            }

            foreach (PinnedBuffer b in rented)
            {
                b.Dispose();
            }

            foreach (PinnedBuffer b in inFlight)
            {
                pool.ReturnFromInFlight(b.Segment!);
            }

            return pool.RentedBuffers == 0 && pool.InFlightBuffers == 0;
        }).QuickCheckThrowOnFailure();
    }
}
