using System;
using System.Threading;

namespace ZeroCopy.Net.Buffers;

/// <summary>
/// One 2 MiB slab of a <see cref="PinnedBufferPool"/> and how it is cut: into equal segments of one
/// size class at a time, re-cut for another class once every segment of it is free, so that memory
/// follows demand instead of staying with the class that first asked for it.
/// </summary>
/// <remarks>
/// <para>The slab's state is one 64-bit word: the cutting number (high 32 bits) and how many of its
/// segments are free (low 32 bits), changed only by compare-exchange. A segment carries the cutting
/// it was made by. The free queues are never searched: segments of an old cutting stay in their
/// class's queue and are dropped when dequeued, because claiming one (<see cref="TryClaim"/>) must
/// find its own cutting in the word.</para>
/// <list type="bullet">
/// <item>Rent: dequeue a segment, <see cref="TryClaim"/> = CAS (cutting, f) → (cutting, f - 1), f &gt; 0.</item>
/// <item>Return: <see cref="Release"/> = +1 on the count (a segment of an old cutting is never
/// returned: a slab is re-cut only when all of its segments are free, so none is rented then).</item>
/// <item>Re-cut (under the pool's grow lock): <see cref="TryRecut"/> = CAS (cutting, all free) →
/// (cutting + 1, new count). One CAS decides between a renter and the re-cut; the cutting number
/// rules out ABA on the count.</item>
/// </list>
/// <para>A slab one of whose segments was quarantined (a MSG_ZEROCOPY completion that never came;
/// that range was unmapped) never has every segment free again, so it is never re-cut.</para>
/// </remarks>
internal sealed class PinnedSlab
{
    /// <summary>Not registered with the io_uring engine (yet).</summary>
    public const int NotRegistered = -1;

    /// <summary>The io_uring engine tried to register the slab and the kernel refused (RLIMIT_MEMLOCK): sends from it are unregistered.</summary>
    public const int RegistrationRefused = -2;

    private long _state;
    private int _fixedBufferIndex = NotRegistered;

    public unsafe PinnedSlab(byte* address) => Address = address;

    /// <summary>Called (by the pool) just before a slab is unmapped; the io_uring engine sets it to drop the slab's registration.</summary>
    public static Action<PinnedSlab>? Unmapping { get; set; }

    /// <summary>The slab's index in the io_uring engine's fixed-buffer table, or <see cref="NotRegistered"/> / <see cref="RegistrationRefused"/>.</summary>
    public int FixedBufferIndex
    {
        get => Volatile.Read(ref _fixedBufferIndex);
        set => Volatile.Write(ref _fixedBufferIndex, value);
    }

    /// <summary>The slab's first byte (2 MiB aligned where the OS allowed it).</summary>
    public unsafe byte* Address { get; }

    /// <summary>The size class of the current cutting.</summary>
    public int SizeClass { get; private set; } = -1;

    /// <summary>Segments in the current cutting.</summary>
    public int Segments { get; private set; }

    /// <summary>The current cutting's number.</summary>
    public int Cutting => (int)(Volatile.Read(ref _state) >> 32);

    /// <summary>Whether every segment of the current cutting is free.</summary>
    public bool IsAllFree => Segments > 0 && (int)Volatile.Read(ref _state) == Segments;

    /// <summary>First cutting of a new slab, before any segment is published.</summary>
    public void Cut(int sizeClass, int segments)
    {
        SizeClass = sizeClass;
        Segments = segments;
        Volatile.Write(ref _state, ((long)1 << 32) | (uint)segments);
    }

    /// <summary>A renter takes one free segment of cutting <paramref name="cutting"/>; false when the segment is of an old cutting.</summary>
    public bool TryClaim(int cutting)
    {
        while (true)
        {
            long state = Volatile.Read(ref _state);
            int free = (int)state;
            if ((int)(state >> 32) != cutting || free <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state - 1, state) == state)
            {
                return true;
            }
        }
    }

    /// <summary>A segment of the current cutting is free again.</summary>
    public void Release() => Interlocked.Increment(ref _state);

    /// <summary>
    /// Re-cuts an all-free slab for <paramref name="sizeClass"/> (caller holds the pool's grow lock).
    /// Returns the new cutting's number, or 0 when a renter claimed a segment first.
    /// </summary>
    public int TryRecut(int sizeClass, int segments)
    {
        long state = Volatile.Read(ref _state);
        int cutting = (int)(state >> 32);
        if ((int)state != Segments)
        {
            return 0;
        }

        long next = ((long)(cutting + 1) << 32) | (uint)segments;
        if (Interlocked.CompareExchange(ref _state, next, state) != state)
        {
            return 0;
        }

        SizeClass = sizeClass;
        Segments = segments;
        return cutting + 1;
    }
}
