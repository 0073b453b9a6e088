using System;
using ZeroCopy.Net.Internal;
using System.Buffers;
using System.Diagnostics;
using System.Threading;
using Microsoft.Extensions.ObjectPool;
using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net.Buffers;

/// <summary>
/// The memory of one SendPinnedAsync call (pool buffers, or one caller-pinned block) and the count
/// of parties still using it: the sender while it sends, plus one per MSG_ZEROCOPY sendmsg that
/// the kernel has not yet reported done. When the count reaches zero the buffers go back to their
/// pool (or a caller's release awaitable completes) and the batch goes back to <see cref="s_pool"/>.
/// </summary>
/// <remarks>Pooled with <see cref="ObjectPool{T}"/>: steady-state sends allocate no batch.</remarks>
internal sealed unsafe class PinnedSendBatch
{
    // Retains up to 1024 idle batches (about 200 KB): as many batches can be in flight at once as
    // MaxPinnedBytesInFlight allows, and a pool smaller than that drops batches on return and
    // allocates new ones while sends wait for completions.
    private static readonly ObjectPool<PinnedSendBatch> s_pool =
        new DefaultObjectPool<PinnedSendBatch>(new Policy(), 1024);

    private PinnedSegment[] _segments = new PinnedSegment[4];
    private int[] _lengths = new int[4];
    private int _count;
    private int _refs;
    private bool _abandoned;
    private MemoryHandle _callerHandle;
    private ReadOnlyMemory<byte> _callerMemory;
    private byte* _callerPointer;

    // Not _callerPointer != null: pinning empty memory gives a null pointer, and an empty datagram is legal.
    private bool _isCallerMemory;
    private PinnedReleaseSource? _release;

    /// <summary>Pieces in order (one per buffer).</summary>
    public int Count => _count;

    /// <summary>Bytes in the whole call.</summary>
    public long TotalLength { get; private set; }


    public static PinnedSendBatch Rent()
    {
        PinnedSendBatch batch = s_pool.Get();
        batch._refs = 1; // the sender's hold
        return batch;
    }

    /// <summary>Adds a pool buffer; the caller has already taken it (Rented → InFlight).</summary>
    public void Add(PinnedSegment segment, int length)
    {
        if (_count == _segments.Length)
        {
            Array.Resize(ref _segments, _count * 2);
            Array.Resize(ref _lengths, _count * 2);
        }

        _segments[_count] = segment;
        _lengths[_count] = length;
        _count++;
        TotalLength += length;
    }

    /// <summary>Forgets the buffers added so far (they were handed back to their owner).</summary>
    public void Clear()
    {
        Array.Clear(_segments, 0, _count);
        _count = 0;
        TotalLength = 0;
    }

    /// <summary>Sets caller-owned memory (pinned for the batch's lifetime) and the awaitable its release completes.</summary>
    public void SetCallerMemory(ReadOnlyMemory<byte> memory, PinnedReleaseSource release)
    {
        _callerMemory = memory;
        _callerHandle = memory.Pin();
        _callerPointer = (byte*)_callerHandle.Pointer;
        _isCallerMemory = true;
        _lengths[0] = memory.Length;
        _count = 1;
        TotalLength = memory.Length;
        _release = release;
    }

    /// <summary>The start of piece <paramref name="index"/>.</summary>
    public byte* PointerOf(int index) => _isCallerMemory ? _callerPointer : _segments[index].Address;

    /// <summary>The pool segment behind piece <paramref name="index"/>, or null for caller memory (the io_uring engine looks up its slab's registration).</summary>
    public PinnedSegment? SegmentOf(int index) => _isCallerMemory ? null : _segments[index];

    /// <summary>The length of piece <paramref name="index"/>.</summary>
    public int LengthOf(int index) => _lengths[index];

    /// <summary>The pooled memory behind piece <paramref name="index"/> (portable path).</summary>
    public ReadOnlyMemory<byte> MemoryOf(int index) => _isCallerMemory
        ? _callerMemory
        : _segments[index].SendMemory.Slice(0, _lengths[index]);

    /// <summary>One more MSG_ZEROCOPY sendmsg references this batch.</summary>
    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>Drops one reference: the sender's hold, or one completed sendmsg.</summary>
    public void Release() => ReleaseCore(abandoned: false);

    /// <summary>Drops one sendmsg's reference whose completion will never be seen (the socket is going away).</summary>
    public void Abandon() => ReleaseCore(abandoned: true);

    private void ReleaseCore(bool abandoned)
    {
        if (abandoned)
        {
            Volatile.Write(ref _abandoned, true);
        }

        int refs = Interlocked.Decrement(ref _refs);
        Debug.Assert(refs >= 0, "batch released too often");
        if (refs != 0)
        {
            return;
        }

        bool quarantine = Volatile.Read(ref _abandoned);
        for (int i = 0; i < _count; i++)
        {
            PinnedSegment? segment = _segments[i];
            if (segment is not null)
            {
                if (quarantine)
                {
                    segment.Pool.Quarantine(segment);
                }
                else
                {
                    segment.Pool.ReturnFromInFlight(segment);
                }

                _segments[i] = null!;
            }
        }

        PinnedReleaseSource? release = _release;
        long total = TotalLength;
        if (_isCallerMemory)
        {
            // Abandoned caller memory stays pinned for good: the kernel may still read it.
            if (!quarantine)
            {
                _callerHandle.Dispose();
            }

            _callerHandle = default;
            _callerMemory = default;
            _callerPointer = null;
            _isCallerMemory = false;
        }

        _release = null;
        _count = 0;
        TotalLength = 0;
        _abandoned = false;
        s_pool.Return(this);
        release?.Complete(quarantine ? PinnedThrowHelper.NeverReleased(total) : null);
    }

    private sealed class Policy : PooledObjectPolicy<PinnedSendBatch>
    {
        public override PinnedSendBatch Create() => new();

        public override bool Return(PinnedSendBatch obj) => obj._count == 0 && obj._refs == 0;
    }
}
