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

        // No 256 KiB buffer exists yet, but the slab is cut again for 256 KiB once every 64 KiB
        // buffer of it is back (issue 12: free slabs serve any size class): RentAsync waits for that.
        Task<PinnedBuffer> waiting = pool.RentAsync(PinnedBufferPool.MaxBufferSize).AsTask();
        big.Dispose();
        small.Dispose();
        for (int i = 1; i < rest.Length; i++)
        {
            rest[i].Dispose();
        }

        await Task.Delay(50);
        Assert.False(waiting.IsCompleted, "one 64 KiB buffer of the slab is still rented: it cannot be cut again");
        rest[0].Dispose();
        PinnedBuffer large = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(PinnedBufferPool.MaxBufferSize, large.Capacity);
        Assert.Equal(1, pool.Recuts);
        large.Dispose();
        Assert.Equal(PinnedBufferPool.SlabBytes / PinnedBufferPool.MaxBufferSize, pool.FreeBuffers);
    }

    [Fact]
    public void FreeSlabsServeAnySizeClassAfterAMixedWorkload()
    {
        // 4 slabs, one taken by each of four size classes; then every buffer comes back.
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 4L * PinnedBufferPool.SlabBytes });
        var mixed = new List<PinnedBuffer>();
        foreach (int size in new[] { 4096, 8192, 16384, 32768 })
        {
            for (int i = 0; i < PinnedBufferPool.SlabBytes / size; i++)
            {
                mixed.Add(pool.Rent(size));
            }
        }

        Assert.Equal(4L * PinnedBufferPool.SlabBytes, pool.MappedBytes);
        foreach (PinnedBuffer b in mixed)
        {
            b.Dispose();
        }

        // Every 64 KiB buffer the memory can hold: 128 from 8 MiB (was 56 before slabs could be re-cut).
        const int Expected = 4 * PinnedBufferPool.SlabBytes / 65536;
        var large = new List<PinnedBuffer>();
        for (int i = 0; i < Expected; i++)
        {
            large.Add(pool.Rent(65536));
        }

        Assert.Throws<InsufficientMemoryException>(() => pool.Rent(65536));
        Assert.Equal(4, pool.Recuts);

        // No two live buffers share a byte: each holds its own index everywhere.
        for (int i = 0; i < large.Count; i++)
        {
            large[i].Span.Fill((byte)i);
        }

        for (int i = 0; i < large.Count; i++)
        {
            Span<byte> span = large[i].Span;
            Assert.True(span.IndexOfAnyExcept((byte)i) < 0, $"buffer {i} was overwritten by another live buffer");
        }

        foreach (PinnedBuffer b in large)
        {
            b.Dispose();
        }

        Assert.Equal(Expected, pool.FreeBuffers);
    }

    [Fact]
    public async Task ConcurrentMixedRentersNeverShareABufferWhileSlabsAreReCut()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 2L * PinnedBufferPool.SlabBytes });
        int[] sizes = { 4096, 65536, 262144, 16384 };
        async Task Worker(int id)
        {
            var random = new Random(id);
            var held = new List<(PinnedBuffer Buffer, byte Mark)>();
            for (int i = 0; i < 20_000; i++)
            {
                if (held.Count < 8 && random.Next(3) != 0)
                {
                    // Each worker mostly keeps to one size, then moves on: demand shifts between classes.
                    int size = sizes[((i / 2_000) + id) % sizes.Length];
                    try
                    {
                        PinnedBuffer b = pool.Rent(size);
                        byte mark = (byte)random.Next(1, 256);
                        b.Span.Fill(mark);
                        held.Add((b, mark));
                    }
                    catch (InsufficientMemoryException)
                    {
                    }
                }
                else if (held.Count > 0)
                {
                    int pick = random.Next(held.Count);
                    (PinnedBuffer b, byte mark) = held[pick];
                    held.RemoveAt(pick);
                    Assert.True(b.Span.IndexOfAnyExcept(mark) < 0, "a live buffer was written by someone else");
                    b.Dispose();
                }

                if (i % 512 == 0)
                {
                    await Task.Yield();
                }
            }

            foreach ((PinnedBuffer b, byte mark) in held)
            {
                Assert.True(b.Span.IndexOfAnyExcept(mark) < 0, "a live buffer was written by someone else");
                b.Dispose();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(id => Task.Run(() => Worker(id)))).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(pool.Recuts > 0, "the workload should have re-cut slabs");
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(pool.CreatedBuffers, pool.FreeBuffers);
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
