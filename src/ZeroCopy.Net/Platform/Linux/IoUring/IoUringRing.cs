using System;
using System.Threading;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.IoUring;

/// <summary>
/// One io_uring instance: io_uring_setup, the mmap of its SQ ring, CQ ring and SQE array, the
/// memory ordering of the shared head/tail words, and teardown. No policy: which thread produces
/// and which consumes is <see cref="IoUringEngine"/>'s business.
/// </summary>
/// <remarks>
/// <para>The protocol (io_uring(7)): the application owns the SQ tail and the CQ head; the kernel
/// owns the SQ head and the CQ tail. A producer fills an SQE, then publishes it with a release store
/// of the SQ tail (<see cref="Volatile.Write(ref uint, uint)"/>); the kernel's acquire load of the
/// tail then sees the SQE. A consumer reads the CQ tail with an acquire load, reads the CQEs below
/// it, and hands their slots back with a release store of the CQ head.</para>
/// <para>The SQ index array (before IORING_SETUP_NO_SQARRAY) is filled once with the identity:
/// SQE i is always submitted through array slot i, in order.</para>
/// </remarks>
internal sealed unsafe class IoUringRing : IDisposable
{
    private readonly byte* _sqRing;
    private readonly nuint _sqRingBytes;
    private readonly byte* _cqRing;
    private readonly nuint _cqRingBytes;
    private readonly io_uring_sqe* _sqes;
    private readonly nuint _sqesBytes;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly io_uring_cqe* _cqes;
    private uint _sqTailLocal;
    private int _disposed;

    private IoUringRing(int fd, in io_uring_params p, byte* sqRing, nuint sqRingBytes, byte* cqRing, nuint cqRingBytes, io_uring_sqe* sqes, nuint sqesBytes)
    {
        Fd = fd;
        Features = p.features;
        _sqRing = sqRing;
        _sqRingBytes = sqRingBytes;
        _cqRing = cqRing;
        _cqRingBytes = cqRingBytes;
        _sqes = sqes;
        _sqesBytes = sqesBytes;
        _sqHead = (uint*)(sqRing + p.sq_off.head);
        _sqTail = (uint*)(sqRing + p.sq_off.tail);
        _sqMask = *(uint*)(sqRing + p.sq_off.ring_mask);
        _sqEntries = *(uint*)(sqRing + p.sq_off.ring_entries);
        _cqHead = (uint*)(cqRing + p.cq_off.head);
        _cqTail = (uint*)(cqRing + p.cq_off.tail);
        _cqMask = *(uint*)(cqRing + p.cq_off.ring_mask);
        _cqes = (io_uring_cqe*)(cqRing + p.cq_off.cqes);
        _sqTailLocal = *_sqTail;

        uint* array = (uint*)(sqRing + p.sq_off.array);
        for (uint i = 0; i < _sqEntries; i++)
        {
            array[i] = i;
        }
    }

    /// <summary>The ring's descriptor.</summary>
    public int Fd { get; }

    /// <summary>io_uring_params.features as the kernel reported them.</summary>
    public uint Features { get; }

    /// <summary>
    /// io_uring_setup with <paramref name="entries"/> SQEs and <paramref name="cqEntries"/> CQEs,
    /// then the mappings. Returns null with the errno and the call that failed.
    /// </summary>
    public static IoUringRing? TryCreate(uint entries, uint cqEntries, out Errno errno, out string failedCall)
    {
        io_uring_params p = default;
        p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        p.cq_entries = cqEntries;
        int fd = io_uring_setup(entries, &p);
        if (fd < 0)
        {
            errno = GetLastErrno();
            failedCall = "io_uring_setup";
            return null;
        }

        nuint sqBytes = p.sq_off.array + (p.sq_entries * sizeof(uint));
        nuint cqBytes = p.cq_off.cqes + (p.cq_entries * (uint)sizeof(io_uring_cqe));
        bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single)
        {
            sqBytes = cqBytes = sqBytes > cqBytes ? sqBytes : cqBytes;
        }

        byte* sq = Map(fd, sqBytes, IORING_OFF_SQ_RING);
        byte* cq = sq;
        byte* sqes = null;
        if (sq != null && !single)
        {
            cq = Map(fd, cqBytes, IORING_OFF_CQ_RING);
        }

        nuint sqesBytes = p.sq_entries * (uint)sizeof(io_uring_sqe);
        if (sq != null && cq != null)
        {
            sqes = Map(fd, sqesBytes, IORING_OFF_SQES);
        }

        if (sq == null || cq == null || sqes == null)
        {
            errno = GetLastErrno();
            failedCall = "mmap(io_uring)";
            if (sqes != null)
            {
                _ = munmap(sqes, sqesBytes);
            }

            if (cq != null && cq != sq)
            {
                _ = munmap(cq, cqBytes);
            }

            if (sq != null)
            {
                _ = munmap(sq, sqBytes);
            }

            _ = close(fd);
            return null;
        }

        errno = Errno.SUCCESS;
        failedCall = string.Empty;
        return new IoUringRing(fd, p, sq, sqBytes, cq, single ? 0 : cqBytes, (io_uring_sqe*)sqes, sqesBytes);
    }

    /// <summary>
    /// The next free SQE, zeroed, or null when the kernel has not consumed enough of the ring yet.
    /// Single producer: the caller holds the engine's submit lock until <see cref="Publish"/>.
    /// </summary>
    public io_uring_sqe* TryGetSqe()
    {
        uint head = Volatile.Read(ref *_sqHead);
        if (_sqTailLocal - head >= _sqEntries)
        {
            return null;
        }

        io_uring_sqe* sqe = &_sqes[_sqTailLocal & _sqMask];
        *sqe = default;
        _sqTailLocal++;
        return sqe;
    }

    /// <summary>Makes every SQE taken since the last call visible to the kernel (a release store of the SQ tail).</summary>
    public void Publish() => Volatile.Write(ref *_sqTail, _sqTailLocal);

    /// <summary>SQEs published but not yet consumed by the kernel.</summary>
    public uint Unsubmitted => Volatile.Read(ref *_sqTail) - Volatile.Read(ref *_sqHead);

    /// <summary>io_uring_enter: submits up to <paramref name="toSubmit"/> published SQEs and/or waits for <paramref name="minComplete"/> CQEs.</summary>
    public SyscallResult<Errno> Enter(uint toSubmit, uint minComplete, uint flags)
    {
        int rc = io_uring_enter(Fd, toSubmit, minComplete, flags);
        return rc < 0 ? SyscallResult<Errno>.Error(GetLastErrno()) : SyscallResult<Errno>.Ok(rc);
    }

    /// <summary>
    /// Copies up to <paramref name="destination"/>.Length CQEs out of the ring and hands their slots
    /// back. Single consumer: the caller holds the engine's reap lock.
    /// </summary>
    public int Reap(Span<io_uring_cqe> destination)
    {
        uint head = *_cqHead; // ours: only we write it
        uint tail = Volatile.Read(ref *_cqTail);
        int n = 0;
        while (head != tail && n < destination.Length)
        {
            destination[n++] = _cqes[head & _cqMask];
            head++;
        }

        if (n > 0)
        {
            Volatile.Write(ref *_cqHead, head);
        }

        return n;
    }

    /// <summary>Whether the CQ ring holds CQEs not reaped yet.</summary>
    public bool HasCompletions => *_cqHead != Volatile.Read(ref *_cqTail);

    /// <summary>Unmaps the rings and closes the descriptor; the kernel cancels what is still queued.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ = munmap(_sqes, _sqesBytes);
        if (_cqRingBytes != 0)
        {
            _ = munmap(_cqRing, _cqRingBytes);
        }

        _ = munmap(_sqRing, _sqRingBytes);
        _ = close(Fd);
    }

    private static byte* Map(int fd, nuint bytes, long offset)
    {
        void* p = mmap(null, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
        return p == (void*)MAP_FAILED ? null : (byte*)p;
    }
}
