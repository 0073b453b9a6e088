using System;
using System.Buffers;
using System.Threading;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Buffers;

/// <summary>
/// One page-aligned piece of a pool slab, and the ownership state machine that guards it.
/// </summary>
/// <remarks>
/// <para>States: Free (in the pool's free queue) → Rented (a <see cref="PinnedBuffer"/> owns it) →
/// InFlight (a send took it; the kernel may read it) → Free again, or → Quarantined (its completion
/// never arrived; never handed out again). The state and a generation number share one
/// <see cref="long"/> changed only by compare-exchange; the generation grows every time the segment
/// goes back to Free, so a stale <see cref="PinnedBuffer"/> (a copy kept after send or dispose)
/// compares unequal forever, even after the segment is rented again.</para>
/// <para>It is also the <see cref="MemoryManager{T}"/> behind <see cref="PinnedBuffer.Memory"/>:
/// <see cref="GetSpan"/> refuses unless the segment is Rented, so a <see cref="Memory{T}"/> kept past
/// a send fails instead of writing bytes the kernel is reading (within one rental; see the
/// <see cref="PinnedBuffer"/> remarks).</para>
/// </remarks>
internal sealed unsafe class PinnedSegment : MemoryManager<byte>
{
    public const int Free = 0;
    public const int Rented = 1;
    public const int InFlight = 2;
    public const int Quarantined = 3;
    private const int StateBits = 2;
    private const long StateMask = (1 << StateBits) - 1;

    private long _ownership;
    private UnmanagedMemoryView? _sendView;

    public PinnedSegment(PinnedBufferPool pool, PinnedSlab slab, int cutting, byte* address, int length, int sizeClass)
    {
        Pool = pool;
        Slab = slab;
        Cutting = cutting;
        Address = address;
        Length = length;
        SizeClass = sizeClass;
    }

    /// <summary>The slab this segment was cut from.</summary>
    public PinnedSlab Slab { get; }

    /// <summary>The slab's cutting that made this segment; a segment of an older cutting is stale.</summary>
    public int Cutting { get; }

    public PinnedBufferPool Pool { get; }

    public byte* Address { get; }

    public int Length { get; }

    public int SizeClass { get; }

    /// <summary>The whole segment for the library's own sends (no ownership check: the send owns it). Created once per segment.</summary>
    public ReadOnlyMemory<byte> SendMemory => (_sendView ??= new UnmanagedMemoryView(Address, Length)).Memory;

    public int State => (int)(Volatile.Read(ref _ownership) & StateMask);

    public long Generation => Volatile.Read(ref _ownership) >> StateBits;

    /// <summary>Free → Rented; returns the generation the new owner holds.</summary>
    public long MarkRented()
    {
        long current = Volatile.Read(ref _ownership);
        System.Diagnostics.Debug.Assert((current & StateMask) == Free, "renting a segment that is not free");
        Volatile.Write(ref _ownership, (current & ~StateMask) | Rented);
        return current >> StateBits;
    }

    /// <summary>True while the owner holding <paramref name="generation"/> still owns the segment.</summary>
    public bool IsOwnedBy(long generation) => Volatile.Read(ref _ownership) == ((generation << StateBits) | Rented);

    /// <summary>Rented(generation) → <paramref name="to"/>; false when that owner no longer owns it (sent, disposed, stale copy).</summary>
    public bool TryTransition(long generation, int to)
    {
        long expected = (generation << StateBits) | Rented;
        return Interlocked.CompareExchange(ref _ownership, (generation << StateBits) | (long)to, expected) == expected;
    }

    /// <summary>InFlight(generation) → Rented(generation): a taken buffer handed back before any send used it.</summary>
    public void UndoInFlight(long generation) => Volatile.Write(ref _ownership, (generation << StateBits) | Rented);

    /// <summary>InFlight → Free with the next generation (the send's completion covered it).</summary>
    public void MarkFreeFromInFlight()
    {
        long current = Volatile.Read(ref _ownership);
        System.Diagnostics.Debug.Assert((current & StateMask) == InFlight, "releasing a segment that is not in flight");
        Volatile.Write(ref _ownership, (((current >> StateBits) + 1) << StateBits) | Free);
    }

    /// <summary>Rented(generation) → Free with the next generation (disposed unsent).</summary>
    public bool TryFreeFromRented(long generation)
    {
        long expected = (generation << StateBits) | Rented;
        return Interlocked.CompareExchange(ref _ownership, ((generation + 1) << StateBits) | Free, expected) == expected;
    }

    /// <summary>InFlight → Quarantined, for good.</summary>
    public void MarkQuarantined()
    {
        long current = Volatile.Read(ref _ownership);
        Volatile.Write(ref _ownership, (((current >> StateBits) + 1) << StateBits) | Quarantined);
    }

    public override Span<byte> GetSpan()
    {
        if (State != Rented)
        {
            PinnedThrowHelper.ThrowBufferNotOwned();
        }

        return new Span<byte>(Address, Length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)Length)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(elementIndex), "The index is outside the buffer.");
        }

        // Native memory never moves: nothing to pin.
        return new MemoryHandle(Address + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        // The pool owns the memory; IMemoryOwner-style disposal goes through PinnedBuffer.
    }
}
