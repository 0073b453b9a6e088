using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Buffers;

/// <summary>
/// A bounded pool of pinned, page-aligned native buffers for zero-copy sends
/// (<see cref="ZeroCopySocket.SendPinnedAsync(PinnedBuffer, int, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// <para>Memory comes in 2 MiB slabs (on Linux an anonymous mapping aligned to, and backed by, one
/// transparent huge page where the kernel allows it; aligned native memory elsewhere), each split
/// into buffers of one size class: every power of two from 4 KiB to 256 KiB. Power-of-two classes
/// keep a send's buffer at most twice its bytes, so a working set of N bytes spans at most 2N of
/// memory (fewer TLB entries and cache lines than coarser classes). The memory never moves
/// (the kernel may read it after a send call returned) and is never visible to the GC. The pool
/// maps slabs on demand up to <see cref="PinnedBufferPoolOptions.MaxTotalBytes"/> and keeps them:
/// steady-state renting, sending and releasing allocates nothing.</para>
/// <para>Free buffers are handed out first-in first-out, so a program that cycles through many
/// buffers touches all of them in turn, like a real server's working set.</para>
/// <para>A buffer leaves circulation in one case: a socket was disposed before the kernel's
/// completion for a send covering it arrived. The kernel may still reference its pages, so it is
/// never rented again; on Linux its pages are unmapped (returned to the OS; the kernel's own page
/// references keep whatever it still sends intact). <see cref="QuarantinedBuffers"/> counts them.</para>
/// <para>Exhaustion: a request takes a buffer of its own size class, maps a new slab for it while
/// below the limit, or else takes a free buffer of a larger class. When none of those works,
/// <see cref="Rent"/> throws <see cref="InsufficientMemoryException"/>; <see cref="RentAsync"/> waits
/// until a buffer comes back (a send completes, or an owner disposes one), and throws instead when
/// no buffer of that size or larger exists at all (slabs already went to smaller classes: size the
/// pool for the mix of sizes you rent).</para>
/// <para>The pool must outlive the sockets and buffers that use it. <see cref="Dispose"/> stops
/// renting; the memory is freed once every rented and in-flight buffer has come back.</para>
/// </remarks>
public sealed class PinnedBufferPool : IDisposable
{
    /// <summary>The size of one slab: the unit in which the pool maps memory (one 2 MiB huge page).</summary>
    public const int SlabBytes = PinnedMemory.HugePageSize;

    /// <summary>The largest buffer the pool hands out (256 KiB).</summary>
    public const int MaxBufferSize = 256 * 1024;

    private const int MinBufferShift = 12; // 4 KiB
    private static readonly int[] s_classSizes = { 4 * 1024, 8 * 1024, 16 * 1024, 32 * 1024, 64 * 1024, 128 * 1024, 256 * 1024 };
    private static readonly Lazy<PinnedBufferPool> s_shared = new(() => new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 256L * 1024 * 1024 }));

    private readonly ConcurrentQueue<PinnedSegment>[] _free;
    private readonly List<PinnedSlab> _slabs = new();
    private readonly object _growLock = new();
    private readonly List<TaskCompletionSource<bool>> _waiters = new();
    private readonly long _maxBytes;
    private long _mappedBytes;
    private long _rented;
    private long _inFlight;
    private long _created;
    private long _recuts;
    private readonly long[] _classCreated = new long[s_classSizes.Length];
    private long _quarantined;
    private long _quarantinedBytes;
    private int _waiterCount;
    private volatile bool _disposed;
    private int _freed;

    /// <summary>Creates a pool.</summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PinnedBufferPoolOptions.MaxTotalBytes"/> is less than one slab (2 MiB).</exception>
    public PinnedBufferPool(PinnedBufferPoolOptions? options = null)
    {
        long max = (options ?? new PinnedBufferPoolOptions()).MaxTotalBytes;
        if (max < SlabBytes)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), $"MaxTotalBytes must be at least one slab ({SlabBytes} bytes); it is {max}.");
        }

        _maxBytes = max / SlabBytes * SlabBytes;
        _free = new ConcurrentQueue<PinnedSegment>[s_classSizes.Length];
        for (int i = 0; i < _free.Length; i++)
        {
            _free[i] = new ConcurrentQueue<PinnedSegment>();
        }
    }

    /// <summary>The process-wide pool (at most 256 MiB), used by sockets whose options name none.</summary>
    public static PinnedBufferPool Shared => s_shared.Value;

    /// <summary>The most memory this pool maps, in bytes.</summary>
    public long MaxTotalBytes => _maxBytes;

    /// <summary>Memory mapped now, in bytes (rented, in flight and free; not quarantined).</summary>
    public long MappedBytes => Volatile.Read(ref _mappedBytes);

    /// <summary>Buffers owned by the application now (rented, not yet sent or disposed).</summary>
    public long RentedBuffers => Volatile.Read(ref _rented);

    /// <summary>Buffers given to a send whose kernel completion has not arrived yet.</summary>
    public long InFlightBuffers => Volatile.Read(ref _inFlight);

    /// <summary>Buffers ready to be rented.</summary>
    /// <remarks>Derived from the other counts rather than kept as a counter of its own, which would cost
    /// two more atomic operations on a shared cache line per rent and return. Exact when no rent or
    /// return is under way; at most off by the transitions running at that moment otherwise.</remarks>
    public long FreeBuffers => Volatile.Read(ref _freed) != 0
        ? 0
        : Math.Max(0, Volatile.Read(ref _created) - Volatile.Read(ref _rented) - Volatile.Read(ref _inFlight) - Volatile.Read(ref _quarantined));

    /// <summary>Buffers taken out of circulation for good because their completion never arrived.</summary>
    public long QuarantinedBuffers => Volatile.Read(ref _quarantined);

    /// <summary>Bytes in <see cref="QuarantinedBuffers"/>.</summary>
    public long QuarantinedBytes => Volatile.Read(ref _quarantinedBytes);

    /// <summary>Buffers the pool has created so far (every one is rented, in flight, free or quarantined).</summary>
    internal long CreatedBuffers => Volatile.Read(ref _created);

    /// <summary>How many times an all-free slab was cut again for another size class (tests, diagnostics).</summary>
    internal long Recuts => Volatile.Read(ref _recuts);

    /// <summary>The size a request for <paramref name="minimumLength"/> bytes gets: the next power of two from 4 KiB to 256 KiB.</summary>
    /// <param name="minimumLength">The bytes needed, 0 to <see cref="MaxBufferSize"/>.</param>
    /// <returns>The buffer size handed out for that request.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumLength"/> is negative or above <see cref="MaxBufferSize"/>.</exception>
    public static int GetBufferSize(int minimumLength) => s_classSizes[ClassOf(minimumLength)];

    /// <summary>Rents a buffer of at least <paramref name="minimumLength"/> bytes. Never blocks.</summary>
    /// <param name="minimumLength">The bytes needed, 0 to <see cref="MaxBufferSize"/>.</param>
    /// <returns>The owner of the buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumLength"/> is negative or above <see cref="MaxBufferSize"/>.</exception>
    /// <exception cref="InsufficientMemoryException">The pool is at <see cref="MaxTotalBytes"/> with no free buffer of that size, or the OS refused memory.</exception>
    /// <exception cref="ObjectDisposedException">The pool is disposed.</exception>
    public PinnedBuffer Rent(int minimumLength)
    {
        int sizeClass = ClassOf(minimumLength);
        if (!TryRent(sizeClass, out PinnedBuffer buffer, out bool osRefused))
        {
            throw PinnedThrowHelper.PoolExhausted(s_classSizes[sizeClass], _maxBytes, osRefused);
        }

        return buffer;
    }

    /// <summary>Rents a buffer of at least <paramref name="minimumLength"/> bytes, waiting for one to come back when the pool is exhausted.</summary>
    /// <param name="minimumLength">The bytes needed, 0 to <see cref="MaxBufferSize"/>.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The owner of the buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumLength"/> is negative or above <see cref="MaxBufferSize"/>.</exception>
    /// <exception cref="InsufficientMemoryException">The OS refused memory while the pool was below its limit.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    /// <exception cref="ObjectDisposedException">The pool is disposed.</exception>
    public ValueTask<PinnedBuffer> RentAsync(int minimumLength, CancellationToken cancellationToken = default)
    {
        int sizeClass = ClassOf(minimumLength);
        if (TryRent(sizeClass, out PinnedBuffer buffer, out bool osRefused))
        {
            return new ValueTask<PinnedBuffer>(buffer);
        }

        if (osRefused)
        {
            throw PinnedThrowHelper.PoolExhausted(s_classSizes[sizeClass], _maxBytes, osRefused);
        }

        return new ValueTask<PinnedBuffer>(RentSlowAsync(sizeClass, cancellationToken));
    }

    /// <summary>
    /// Stops renting. Memory is freed now if nothing is rented or in flight, else when the last
    /// buffer comes back. Disposing <see cref="Shared"/> is not allowed.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is <see cref="Shared"/>.</exception>
    public void Dispose()
    {
        if (s_shared.IsValueCreated && ReferenceEquals(this, s_shared.Value))
        {
            throw new InvalidOperationException("The shared PinnedBufferPool cannot be disposed.");
        }

        _disposed = true;
        WakeWaiters();
        FreeSlabsIfIdle();
    }

    internal static int ClassOf(int minimumLength)
    {
        if ((uint)minimumLength > MaxBufferSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(minimumLength), $"A pinned buffer is 0 to {MaxBufferSize} bytes; {minimumLength} was asked for.");
        }

        // The class of the next power of two at or above minimumLength, 4 KiB at least.
        return minimumLength <= 1 << MinBufferShift ? 0 : Log2Ceiling(minimumLength) - MinBufferShift;
    }

    /// <summary>ceil(log2(value)) for 1 &lt; value &lt;= 2^30, without BitOperations (absent from netstandard2.0).</summary>
    private static int Log2Ceiling(int value)
    {
        int log = 0;
        for (uint v = (uint)(value - 1); v != 0; v >>= 1)
        {
            log++;
        }

        return log;
    }

    /// <summary>Rented → InFlight, for a send that took ownership. False when the handle no longer owns it.</summary>
    internal bool TryTakeForSend(in PinnedBuffer buffer)
    {
        if (!buffer.Segment!.TryTransition(buffer.Generation, PinnedSegment.InFlight))
        {
            return false;
        }

        Interlocked.Decrement(ref _rented);
        Interlocked.Increment(ref _inFlight);
        return true;
    }

    /// <summary>InFlight → Rented again: a multi-buffer send that could not take all its buffers gives the taken ones back to their owner.</summary>
    internal void UndoTakeForSend(in PinnedBuffer buffer)
    {
        buffer.Segment!.UndoInFlight(buffer.Generation);
        Interlocked.Increment(ref _rented);
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>InFlight → Free: the kernel is done with it (or the bytes were copied).</summary>
    internal void ReturnFromInFlight(PinnedSegment segment)
    {
        segment.MarkFreeFromInFlight();
        Interlocked.Decrement(ref _inFlight);
        Recycle(segment);
    }

    /// <summary>Rented → Free already done by the owner's Dispose.</summary>
    internal void ReturnFromRented(PinnedSegment segment)
    {
        Interlocked.Decrement(ref _rented);
        Recycle(segment);
    }

    /// <summary>InFlight → Quarantined: the completion will never be seen; never rent it again, give its pages to the OS.</summary>
    internal unsafe void Quarantine(PinnedSegment segment)
    {
        segment.MarkQuarantined();
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _quarantined);
        Interlocked.Add(ref _quarantinedBytes, segment.Length);
        if (PinnedMemory.ReleaseToOs(segment.Address, (nuint)segment.Length))
        {
            Interlocked.Add(ref _mappedBytes, -segment.Length);
        }

        FreeSlabsIfIdle();
    }

    private bool TryRent(int sizeClass, out PinnedBuffer buffer, out bool osRefused)
    {
        osRefused = false;
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        // Its own class first (mapping a new slab when below the limit), then any larger class with
        // a free buffer: memory goes to size classes as demand first appears, and a request must
        // not wait forever for a class that has no buffer at all while bigger ones sit idle.
        PinnedSegment? segment;
        while (!TryDequeueLive(sizeClass, out segment))
        {
            if (!TryGrow(sizeClass, out osRefused))
            {
                segment = null;
                for (int larger = sizeClass + 1; larger < _free.Length && segment is null; larger++)
                {
                    _ = TryDequeueLive(larger, out segment);
                }

                if (segment is not null)
                {
                    break;
                }

                // At the limit and nothing free that fits: a slab all of whose segments are free
                // (another class's demand has passed) is cut again for this class.
                if (osRefused || !TryRecut(sizeClass))
                {
                    buffer = default;
                    return false;
                }
            }
        }

        Interlocked.Increment(ref _rented);
        buffer = new PinnedBuffer(segment, segment.MarkRented());
        return true;
    }

    /// <summary>Whether any buffer that could satisfy <paramref name="sizeClass"/> exists (so waiting for one to come back can end).</summary>
    /// <summary>Dequeues a free segment of the class that is of its slab's current cutting, dropping stale ones.</summary>
    private bool TryDequeueLive(int sizeClass, out PinnedSegment segment)
    {
        while (_free[sizeClass].TryDequeue(out PinnedSegment? candidate))
        {
            if (candidate.Slab.TryClaim(candidate.Cutting))
            {
                segment = candidate;
                return true;
            }
        }

        segment = null!;
        return false;
    }

    /// <summary>Under the limit's pressure: re-cuts one all-free slab of another class for <paramref name="sizeClass"/>.</summary>
    private bool TryRecut(int sizeClass)
    {
        lock (_growLock)
        {
            if (!_free[sizeClass].IsEmpty || _disposed)
            {
                return !_disposed;
            }

            int size = s_classSizes[sizeClass];
            foreach (PinnedSlab slab in _slabs)
            {
                if (slab.SizeClass == sizeClass || !slab.IsAllFree)
                {
                    continue;
                }

                int oldClass = slab.SizeClass;
                int oldSegments = slab.Segments;
                int cutting = slab.TryRecut(sizeClass, SlabBytes / size);
                if (cutting == 0)
                {
                    continue;
                }

                // The old cutting's segments stay in their queue and are dropped when dequeued.
                Interlocked.Add(ref _created, -oldSegments);
                Interlocked.Add(ref _classCreated[oldClass], -oldSegments);
                Interlocked.Increment(ref _recuts);
                Publish(slab, cutting, sizeClass);
                return true;
            }

            return false;
        }
    }

    private unsafe void Publish(PinnedSlab slab, int cutting, int sizeClass)
    {
        int size = s_classSizes[sizeClass];
        for (int offset = 0; offset < SlabBytes; offset += size)
        {
            Interlocked.Increment(ref _created);
            Interlocked.Increment(ref _classCreated[sizeClass]);
            _free[sizeClass].Enqueue(new PinnedSegment(this, slab, cutting, slab.Address + offset, size, sizeClass));
        }
    }

    private bool CanEverSatisfy(int sizeClass)
    {
        if (Volatile.Read(ref _mappedBytes) > 0)
        {
            // Any slab may become all free and be re-cut for this class.
            return true;
        }

        for (int c = sizeClass; c < _classCreated.Length; c++)
        {
            if (Volatile.Read(ref _classCreated[c]) > 0)
            {
                return true;
            }
        }

        return false;
    }

    private unsafe bool TryGrow(int sizeClass, out bool osRefused)
    {
        osRefused = false;
        lock (_growLock)
        {
            if (!_free[sizeClass].IsEmpty)
            {
                return true;
            }

            if (Volatile.Read(ref _mappedBytes) + SlabBytes > _maxBytes || _disposed)
            {
                return false;
            }

            byte* slab = PinnedMemory.Allocate(SlabBytes);
            if (slab is null)
            {
                osRefused = true;
                return false;
            }

            var pinnedSlab = new PinnedSlab(slab);
            pinnedSlab.Cut(sizeClass, SlabBytes / s_classSizes[sizeClass]);
            _slabs.Add(pinnedSlab);
            Interlocked.Add(ref _mappedBytes, SlabBytes);
            Publish(pinnedSlab, pinnedSlab.Cutting, sizeClass);
            return true;
        }
    }

    private void Recycle(PinnedSegment segment)
    {
        if (_disposed)
        {
            FreeSlabsIfIdle();
            return;
        }

        // Counted free before it is visible in the queue, so a renter that dequeues it can claim it.
        segment.Slab.Release();
        _free[segment.SizeClass].Enqueue(segment);
        if (Volatile.Read(ref _waiterCount) > 0)
        {
            WakeWaiters();
        }
    }

    private async Task<PinnedBuffer> RentSlowAsync(int sizeClass, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiters)
            {
                _waiters.Add(waiter);
                Interlocked.Increment(ref _waiterCount);
            }

            // Re-check after registering: a buffer returned before we registered woke nobody.
            if (TryRent(sizeClass, out PinnedBuffer buffer, out bool osRefused))
            {
                return buffer;
            }

            if (osRefused || !CanEverSatisfy(sizeClass))
            {
                // Nothing of this size (or larger) exists to come back: waiting would never end.
                throw PinnedThrowHelper.PoolExhausted(s_classSizes[sizeClass], _maxBytes, osRefused);
            }

            using (cancellationToken.UnsafeRegister(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(false), waiter))
            {
                await waiter.Task.ConfigureAwait(false);
            }
        }
    }

    private void WakeWaiters()
    {
        lock (_waiters)
        {
            foreach (TaskCompletionSource<bool> waiter in _waiters)
            {
                waiter.TrySetResult(true);
            }

            Interlocked.Add(ref _waiterCount, -_waiters.Count);
            _waiters.Clear();
        }
    }

    private unsafe void FreeSlabsIfIdle()
    {
        if (!_disposed || Volatile.Read(ref _rented) != 0 || Volatile.Read(ref _inFlight) != 0)
        {
            return;
        }

        if (Interlocked.Exchange(ref _freed, 1) != 0)
        {
            return;
        }

        lock (_growLock)
        {
            // munmap of a whole slab also covers its quarantined segments: they are PROT_NONE
            // reservations the slab still owns (PinnedMemory.ReleaseToOs), never holes another
            // mapping could have been given; off Linux nothing was quarantined.
            foreach (PinnedSlab slab in _slabs)
            {
                // An io_uring fixed-buffer registration holds the slab's pages: drop it with the mapping.
                PinnedSlab.Unmapping?.Invoke(slab);
                PinnedMemory.Free(slab.Address, SlabBytes);
            }

            _slabs.Clear();
            Volatile.Write(ref _mappedBytes, 0);
        }
    }
}
