using System;
using System.IO;
using System.Threading;
using ZeroCopy.Net.Buffers;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.IoUring;

/// <summary>Receives the CQEs of one socket's io_uring sends.</summary>
internal interface IIoUringSendTarget
{
    /// <summary>The request CQE: bytes sent, or -errno. Called on the reaping thread, once per request, with the record as submitted (<see cref="IoUringSendRecord.Bytes"/> = bytes requested).</summary>
    void OnRequestCompleted(in IoUringSendRecord record, int result);

    /// <summary>The kernel no longer references the request's memory (its notification, or a request with none). Once per request, after <see cref="OnRequestCompleted"/>.</summary>
    void OnReleased(in IoUringSendRecord record, bool copied);
}

/// <summary>What the engine remembers about one submitted send until its memory is released.</summary>
internal readonly struct IoUringSendRecord
{
    public IoUringSendRecord(IIoUringSendTarget target, PinnedSendBatch? batch, long bytes, int index = 0)
    {
        Target = target;
        Batch = batch;
        Bytes = bytes;
        Index = index;
        StartTimestamp = batch is null ? 0 : ZeroCopyStatistics.ReleaseTimeStart();
    }

    private IoUringSendRecord(IoUringSendRecord record, PinnedSendBatch? batch, long bytes)
    {
        Target = record.Target;
        Batch = batch;
        Bytes = bytes;
        Index = record.Index;
        StartTimestamp = record.StartTimestamp;
    }

    public IIoUringSendTarget Target { get; }

    /// <summary>A zero-copy send's batch (the request holds a reference on it), or null for a copying send.</summary>
    public PinnedSendBatch? Batch { get; }

    /// <summary>Bytes the kernel holds: requested until the request CQE, then what it took.</summary>
    public long Bytes { get; }

    /// <summary>Which request of its call this is: 0 for a single send, the datagram's position for <see cref="IoUringSocketSender.SendPinnedDatagramsAsync"/>.</summary>
    public int Index { get; }

    /// <summary>When the send was issued, for the send-to-release histogram.</summary>
    public long StartTimestamp { get; }

    public IoUringSendRecord WithBytes(long bytes) => new(this, Batch, bytes);

    /// <summary>The record without its batch: its hold was dropped already (abandoned at disposal), so its notification releases nothing.</summary>
    public IoUringSendRecord WithoutBatch() => new(this, null, Bytes);
}

/// <summary>
/// The process's io_uring send engine: one ring, probed and set up once, shared by every socket
/// whose options ask for <see cref="SendEngine.IoUring"/>.
/// </summary>
/// <remarks>
/// <para>Threading (docs/design.md, "The io_uring engine"): sends come from any thread-pool thread;
/// the submission queue has one producer at a time, <see cref="_submitLock"/>, held only to fill
/// one SQE and publish the tail (no syscall under it). The submitter then calls io_uring_enter
/// itself, outside the lock, and several submitters' SQEs go in whichever enter runs first
/// (the kernel serialises issue under its own ring lock anyway). Completions are reaped under
/// <see cref="_reapLock"/> by the submitter right after its enter (a send the kernel finished inline
/// completes without a thread hop) and by a dedicated completion thread blocked in
/// io_uring_enter(IORING_ENTER_GETEVENTS) for everything that completes later: notifications, and
/// sends the kernel parked until the socket had room. The completion thread waits in the kernel only
/// while some request is outstanding (see <see cref="RunCompletions"/>).</para>
/// <para>Never SQPOLL (a kernel thread spinning per process is not a library's call to make) and
/// never IORING_SETUP_SINGLE_ISSUER (two threads enter the ring).</para>
/// <para>Fixed buffers: a sparse table of <see cref="FixedBufferSlots"/> slots is registered at
/// setup (IORING_REGISTER_BUFFERS2 with IORING_RSRC_REGISTER_SPARSE); a pool slab takes a slot on
/// its first send (IORING_REGISTER_BUFFERS_UPDATE) and gives it back when the pool unmaps it. The
/// kernel charges registered pages to RLIMIT_MEMLOCK (without CAP_IPC_LOCK): a refusal is recorded
/// in <see cref="FixedBufferFallbackReason"/> and that slab's sends go out as unregistered SEND_ZC.</para>
/// </remarks>
internal sealed unsafe class IoUringEngine
{
    /// <summary>Slots in the fixed-buffer table: 1024 slabs of 2 MiB, more than any pool maps by default.</summary>
    public const int FixedBufferSlots = 1024;

    private const uint SqEntries = 256;
    private const uint CqEntries = 4096;

    private static readonly Lazy<IoUringEngine?> s_shared = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);
    private static string? s_fallbackReason;

    private readonly IoUringRing _ring;
    private readonly object _submitLock = new();
    private readonly object _reapLock = new();
    private readonly object _registerLock = new();
    private readonly SendZcPairing<IoUringSendRecord> _table = new(256);
    private readonly bool _fixedTable;
    private readonly int[] _freeFixed = new int[FixedBufferSlots];
    private int _freeFixedCount;
    private int _nextFixed;
    private long _enterCalls;

    // Requests whose memory is not released yet (Interlocked: a full fence, see RunCompletions), and
    // whether the completion thread sleeps on _idleLock because there were none.
    private long _live;
    private readonly object _idleLock = new();
    private bool _idle;
    private volatile string? _fixedBufferFallbackReason;

    private IoUringEngine(IoUringRing ring, string? fixedTableRefused)
    {
        _ring = ring;
        _fixedTable = fixedTableRefused is null;
        _fixedBufferFallbackReason = fixedTableRefused;
        if (_fixedTable)
        {
            PinnedSlab.Unmapping = Unregister;
        }

        var thread = new Thread(static s => ((IoUringEngine)s!).RunCompletions())
        {
            IsBackground = true,
            Name = "ZeroCopy.Net io_uring completions",
        };
#if NETSTANDARD2_0
        thread.Start(this);
#else
        thread.UnsafeStart(this);
#endif
    }

    /// <summary>The engine, or null when this process cannot use io_uring (<see cref="FallbackReason"/> says why). Probed on first use.</summary>
    public static IoUringEngine? Shared => s_shared.Value;

    /// <summary>Why <see cref="Shared"/> is null; null when the engine is available. Probes on first use.</summary>
    public static string? FallbackReason
    {
        get
        {
            _ = s_shared.Value;
            return Volatile.Read(ref s_fallbackReason);
        }
    }

    /// <summary>Why pool slabs are (or some slab is) sent unregistered, or null while every slab registered.</summary>
    public string? FixedBufferFallbackReason => _fixedBufferFallbackReason;

    /// <summary>io_uring_enter calls made by submitters (tests: batching and syscall counts).</summary>
    public long SubmitEnterCalls => Interlocked.Read(ref _enterCalls);

    /// <summary>Requests whose memory the kernel has not released (tests).</summary>
    public int Outstanding
    {
        get
        {
            lock (_submitLock)
            {
                return _table.Outstanding;
            }
        }
    }

    /// <summary>
    /// Fills one SQE for <paramref name="record"/> and submits it. Returns the request's token (for
    /// <see cref="Cancel"/>). Throws only when io_uring_enter itself keeps failing.
    /// </summary>
    public ulong Submit(in IoUringSendRecord record, byte opcode, int fd, void* address, uint length, uint msgFlags, ushort ioprio, int fixedIndex)
    {
        ulong token = Prepare(record, opcode, fd, address, length, msgFlags, ioprio, fixedIndex);
        Flush();
        return token;
    }

    /// <summary>
    /// Fills and publishes one SQE without entering the kernel: several prepared requests go in the
    /// next <see cref="Flush"/>'s single io_uring_enter (a datagram batch). The caller must flush.
    /// </summary>
    public ulong Prepare(in IoUringSendRecord record, byte opcode, int fd, void* address, uint length, uint msgFlags, ushort ioprio, int fixedIndex)
    {
        ulong token;
        lock (_submitLock)
        {
            io_uring_sqe* sqe = NextSqeLocked();
            token = _table.Begin(record);
            Interlocked.Increment(ref _live);
            sqe->opcode = opcode;
            sqe->fd = fd;
            sqe->addr = (ulong)address;
            sqe->len = length;
            sqe->msg_flags = msgFlags;
            sqe->ioprio = ioprio;
            sqe->buf_index = fixedIndex < 0 ? (ushort)0 : (ushort)fixedIndex;
            sqe->user_data = token;
            _ring.Publish();
        }

        return token;
    }

    /// <summary>One io_uring_enter for everything published, then the inline reap (requests the kernel finished during the enter complete on this thread).</summary>
    public void Flush()
    {
        EnterSubmit();
        ReapIfIdle();
        if (Interlocked.Read(ref _live) != 0)
        {
            // Something completes later (a parked request, a notification not posted yet): the
            // completion thread must be in the kernel waiting for it.
            WakeCompletions();
        }
    }

    /// <summary>Asks the kernel to cancel the request <paramref name="token"/> (a send parked until the socket has room). Its CQE then says -ECANCELED, or the send's real result when it won the race.</summary>
    public void Cancel(ulong token)
    {
        lock (_submitLock)
        {
            io_uring_sqe* sqe = NextSqeLocked();
            sqe->opcode = IORING_OP_ASYNC_CANCEL;
            sqe->fd = -1;
            sqe->addr = token;
            sqe->user_data = 0; // its own CQE matches no request
            _ring.Publish();
        }

        EnterSubmit();
    }

    /// <summary>
    /// Takes the batches of <paramref name="target"/>'s requests that still wait for their
    /// notification out of the table (disposal gave up on them): their later CQEs release nothing,
    /// and the caller drops their holds (as abandoned) exactly once. Allocates; disposal only.
    /// </summary>
    public System.Collections.Generic.List<IoUringSendRecord> Abandon(IIoUringSendTarget target)
    {
        var abandoned = new System.Collections.Generic.List<IoUringSendRecord>();
        lock (_submitLock)
        {
            _table.RewriteLive(record =>
            {
                if (!ReferenceEquals(record.Target, target) || record.Batch is null)
                {
                    return record;
                }

                abandoned.Add(record);
                return record.WithoutBatch();
            });
        }

        return abandoned;
    }

    /// <summary>
    /// The fixed-buffer index of <paramref name="slab"/>, registering it on first use; -1 when it
    /// cannot be registered (the send goes out unregistered).
    /// </summary>
    public int FixedIndexOf(PinnedSlab slab)
    {
        int index = slab.FixedBufferIndex;
        if (index >= 0)
        {
            return index;
        }

        return index == PinnedSlab.RegistrationRefused ? -1 : Register(slab);
    }

    private static IoUringEngine? Probe()
    {
        string? disabled = ReadIoUringDisabled();
        if (disabled is "2")
        {
            Volatile.Write(ref s_fallbackReason, "io_uring is disabled for every process (kernel.io_uring_disabled = 2)");
            return null;
        }

        IoUringRing? ring;
        try
        {
            ring = IoUringRing.TryCreate(SqEntries, CqEntries, out Errno errno, out string call);
            if (ring is null)
            {
                string hint = errno switch
                {
                    Errno.ENOSYS => " (kernel without io_uring, or a seccomp filter that refuses it)",
                    Errno.EPERM or Errno.EACCES => disabled is "1"
                        ? " (kernel.io_uring_disabled = 1 and this process is not in io_uring_group)"
                        : " (refused by a seccomp filter or an LSM, as some container runtimes do)",
                    _ => string.Empty,
                };
                Volatile.Write(ref s_fallbackReason, PosixErrors.Socket(errno, call).Message + hint);
                return null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref s_fallbackReason, $"syscall(2) is not available: {e.Message}");
            return null;
        }

        string? missing = MissingOpcodes(ring);
        if (missing is not null)
        {
            ring.Dispose();
            Volatile.Write(ref s_fallbackReason, missing);
            return null;
        }

        return new IoUringEngine(ring, RegisterSparseTable(ring));
    }

    private static string? ReadIoUringDisabled()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/io_uring_disabled").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // before 6.6 the sysctl does not exist: io_uring_setup decides
        }
    }

    /// <summary>IORING_REGISTER_PROBE: every opcode the engine issues must be supported (SEND_ZC and SENDMSG_ZC: 6.0+).</summary>
    private static string? MissingOpcodes(IoUringRing ring)
    {
        const int Ops = 256;
        int bytes = sizeof(io_uring_probe) + (Ops * sizeof(io_uring_probe_op));
        byte* buffer = stackalloc byte[bytes];
        new Span<byte>(buffer, bytes).Clear();
        var probe = (io_uring_probe*)buffer;
        if (io_uring_register(ring.Fd, IORING_REGISTER_PROBE, probe, Ops) < 0)
        {
            Errno errno = GetLastErrno();
            return $"io_uring_register(IORING_REGISTER_PROBE) failed: {PosixErrors.Socket(errno, "io_uring_register").Message} (kernel before 5.6)";
        }

        var ops = (io_uring_probe_op*)(probe + 1);
        foreach ((byte op, string name) in new[] { (IORING_OP_SEND, "IORING_OP_SEND"), (IORING_OP_SENDMSG, "IORING_OP_SENDMSG"), (IORING_OP_ASYNC_CANCEL, "IORING_OP_ASYNC_CANCEL"), (IORING_OP_SEND_ZC, "IORING_OP_SEND_ZC"), (IORING_OP_SENDMSG_ZC, "IORING_OP_SENDMSG_ZC") })
        {
            if (op > probe->last_op || (ops[op].flags & IO_URING_OP_SUPPORTED) == 0)
            {
                return $"the kernel's io_uring does not support {name} (SEND_ZC and SENDMSG_ZC need Linux 6.0+)";
            }
        }

        return null;
    }

    /// <summary>The sparse fixed-buffer table (5.19+); the refusal's reason, or null.</summary>
    private static string? RegisterSparseTable(IoUringRing ring)
    {
        io_uring_rsrc_register table = default;
        table.nr = FixedBufferSlots;
        table.flags = IORING_RSRC_REGISTER_SPARSE;
        if (io_uring_register(ring.Fd, IORING_REGISTER_BUFFERS2, &table, (uint)sizeof(io_uring_rsrc_register)) < 0)
        {
            Errno errno = GetLastErrno();
            return $"io_uring_register(IORING_REGISTER_BUFFERS2, sparse) failed: {PosixErrors.Socket(errno, "io_uring_register").Message}; pool memory is sent as unregistered SEND_ZC";
        }

        return null;
    }

    private int Register(PinnedSlab slab)
    {
        lock (_registerLock)
        {
            int index = slab.FixedBufferIndex;
            if (index != PinnedSlab.NotRegistered)
            {
                return index >= 0 ? index : -1;
            }

            if (!_fixedTable)
            {
                slab.FixedBufferIndex = PinnedSlab.RegistrationRefused;
                return -1;
            }

            if (_freeFixedCount > 0)
            {
                index = _freeFixed[--_freeFixedCount];
            }
            else if (_nextFixed < FixedBufferSlots)
            {
                index = _nextFixed++;
            }
            else
            {
                _fixedBufferFallbackReason = $"the io_uring fixed-buffer table is full ({FixedBufferSlots} slabs); further slabs are sent unregistered";
                slab.FixedBufferIndex = PinnedSlab.RegistrationRefused;
                return -1;
            }

            Errno errno = UpdateSlot(index, slab.Address, PinnedBufferPool.SlabBytes);
            if (errno != Errno.SUCCESS)
            {
                // ENOMEM: RLIMIT_MEMLOCK (registered pages are charged to it without CAP_IPC_LOCK);
                // EFAULT: the slab has quarantined segments (PROT_NONE reservations cannot be pinned).
                _freeFixed[_freeFixedCount++] = index;
                _fixedBufferFallbackReason = $"io_uring_register(IORING_REGISTER_BUFFERS_UPDATE) of a 2 MiB pool slab failed: {PosixErrors.Socket(errno, "io_uring_register").Message}"
                    + (errno == Errno.ENOMEM ? " (RLIMIT_MEMLOCK, see ulimit -l)" : string.Empty) + "; that slab is sent as unregistered SEND_ZC";
                slab.FixedBufferIndex = PinnedSlab.RegistrationRefused;
                return -1;
            }

            slab.FixedBufferIndex = index;
            return index;
        }
    }

    private void Unregister(PinnedSlab slab)
    {
        lock (_registerLock)
        {
            int index = slab.FixedBufferIndex;
            if (index < 0)
            {
                return;
            }

            // An empty iovec empties the slot; a send still in flight keeps its own reference on the pages.
            if (UpdateSlot(index, null, 0) == Errno.SUCCESS)
            {
                _freeFixed[_freeFixedCount++] = index;
            }

            slab.FixedBufferIndex = PinnedSlab.NotRegistered;
        }
    }

    private Errno UpdateSlot(int index, byte* address, int length)
    {
        iovec iov;
        iov.iov_base = address;
        iov.iov_len = (nuint)length;
        io_uring_rsrc_update2 update = default;
        update.offset = (uint)index;
        update.data = (ulong)&iov;
        update.nr = 1;
        return io_uring_register(_ring.Fd, IORING_REGISTER_BUFFERS_UPDATE, &update, (uint)sizeof(io_uring_rsrc_update2)) < 0 ? GetLastErrno() : Errno.SUCCESS;
    }

    /// <summary>A free SQE (caller holds <see cref="_submitLock"/>); when the ring is full, submits what is pending first.</summary>
    private io_uring_sqe* NextSqeLocked()
    {
        io_uring_sqe* sqe;
        while ((sqe = _ring.TryGetSqe()) == null)
        {
            // 256 SQEs published and not yet consumed: only when as many submitters are between
            // their publish and their enter. Submitting them here frees the ring.
            _ = _ring.Enter(_ring.Unsubmitted, 0, 0);
        }

        return sqe;
    }

    /// <summary>
    /// io_uring_enter for what this thread published (and whatever others published meanwhile). A
    /// published SQE cannot be taken back, so a transient refusal (EAGAIN, EBUSY: the kernel is short
    /// of request memory or the CQ overflowed) is retried after reaping; an SQE already consumed by
    /// another submitter's enter leaves nothing to do.
    /// </summary>
    private void EnterSubmit()
    {
        while (true)
        {
            uint pending = _ring.Unsubmitted;
            if (pending == 0)
            {
                return;
            }

            Interlocked.Increment(ref _enterCalls);
            SyscallResult<Errno> result = _ring.Enter(pending, 0, 0);
            if (!result.Failed)
            {
                return;
            }

            switch (result.Errno)
            {
                case Errno.EINTR:
                    continue;
                case Errno.EAGAIN:
                case Errno.EBUSY:
                    ReapIfIdle();
                    Thread.Yield();
                    continue;
                default:
                    Environment.FailFast($"ZeroCopy.Net: io_uring_enter failed while submitting: {PosixErrors.Socket(result.Errno, "io_uring_enter").Message}");
                    return;
            }
        }
    }

    /// <summary>Reaps on the submitting thread when nobody else is: a send the kernel completed inline finishes without waking the completion thread's consumer.</summary>
    private void ReapIfIdle()
    {
        if (!_ring.HasCompletions || !Monitor.TryEnter(_reapLock))
        {
            return;
        }

        try
        {
            ReapLocked();
        }
        finally
        {
            Monitor.Exit(_reapLock);
        }
    }

    /// <summary>
    /// The completion thread: while requests are outstanding, waits in the kernel for at least one
    /// CQE and reaps; while none are, sleeps on <see cref="_idleLock"/>, so that a send the submitter
    /// completed and reaped inline (request and notification both posted during its enter, as on a
    /// device that frees packets at once) does not also wake this thread. A broken ring fails the
    /// process, as the epoll reactor does.
    /// </summary>
    /// <remarks>
    /// No lost wakeup: this thread sets <see cref="_idle"/> and then reads <see cref="_live"/> under
    /// <see cref="_idleLock"/>; a submitter increments <see cref="_live"/> (a full fence) before it
    /// reads <see cref="_idle"/> and pulses under the same lock. Either this thread sees the new
    /// request, or the submitter sees it idle and wakes it.
    /// </remarks>
    private void RunCompletions()
    {
        while (true)
        {
            lock (_idleLock)
            {
                Volatile.Write(ref _idle, true);
                while (Interlocked.Read(ref _live) == 0)
                {
                    Monitor.Wait(_idleLock);
                }

                Volatile.Write(ref _idle, false);
            }

            SyscallResult<Errno> result = _ring.Enter(0, 1, IORING_ENTER_GETEVENTS);
            if (result.Failed && result.Errno is not (Errno.EINTR or Errno.EAGAIN or Errno.EBUSY))
            {
                Environment.FailFast($"ZeroCopy.Net: io_uring_enter(GETEVENTS) failed on the completion thread: {PosixErrors.Socket(result.Errno, "io_uring_enter").Message}");
            }

            lock (_reapLock)
            {
                ReapLocked();
            }
        }
    }

    private void WakeCompletions()
    {
        if (!Volatile.Read(ref _idle))
        {
            return;
        }

        lock (_idleLock)
        {
            Monitor.Pulse(_idleLock);
        }
    }

    private void ReapLocked()
    {
        Span<io_uring_cqe> cqes = stackalloc io_uring_cqe[32];
        int n;
        while ((n = _ring.Reap(cqes)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                Dispatch(cqes[i]);
            }
        }
    }

    private void Dispatch(in io_uring_cqe cqe)
    {
        CqeKind kind;
        IoUringSendRecord record;
        IoUringSendRecord submitted;
        bool released;
        lock (_submitLock)
        {
            kind = _table.OnCqe(cqe.user_data, cqe.flags, out record, out released);
            submitted = record;
            if (kind == CqeKind.Request && !released && record.Bytes != Math.Max(cqe.res, 0))
            {
                // The kernel holds only what it took; the notification releases that much.
                record = record.WithBytes(Math.Max(cqe.res, 0));
                _table.Update(cqe.user_data, record);
            }
        }

        if (released)
        {
            Interlocked.Decrement(ref _live);
        }

        switch (kind)
        {
            case CqeKind.Request:
                long held = Math.Max(cqe.res, 0);
                record.Target.OnRequestCompleted(submitted, cqe.res);
                if (released)
                {
                    record.Target.OnReleased(record.WithBytes(held), copied: true);
                }

                break;
            case CqeKind.Notification when released:
                record.Target.OnReleased(record, copied: (unchecked((uint)cqe.res) & IORING_NOTIF_USAGE_ZC_COPIED) != 0);
                break;
        }
    }
}
