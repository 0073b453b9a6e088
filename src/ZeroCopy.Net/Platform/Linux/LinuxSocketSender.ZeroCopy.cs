using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// SendPinnedAsync on Linux: sendmsg(MSG_ZEROCOPY) from pinned memory, completions read from the
/// socket's error queue.
/// </summary>
/// <remarks>
/// <para>The MSG_ZEROCOPY protocol, as this file runs it (Documentation/networking/msg_zerocopy.rst):</para>
/// <list type="number">
/// <item>Opt in once per socket, on the first pinned send: setsockopt(SOL_SOCKET, SO_ZEROCOPY, 1).
/// A refusal (ENOPROTOOPT on old kernels, EOPNOTSUPP for other protocols) turns the capability off
/// for the socket and every pinned send copies, counted. The socket is registered with the reactor
/// at the same time, before any zero-copy send, so that EPOLLERR (an entry on the error queue)
/// reaches us even while the application sends nothing.</item>
/// <item>Each send call that uses the flag is recorded in <see cref="ZeroCopyCompletionTracker{T}"/>
/// <em>before</em> the syscall (the completion can be queued and drained before sendmsg returns) and
/// taken back if the call fails: a successful call, partial sends included, consumes one 32-bit
/// sequence number; a failed one consumes none (the kernel undoes its counter on failure).</item>
/// <item>Completions are drained with recvmsg(MSG_ERRQUEUE | MSG_DONTWAIT) until EAGAIN. Who drains:
/// the sending thread, every few sends and while waiting for room; and the reactor, through a
/// <em>one-shot</em> EPOLLERR registration. A completion per send would otherwise wake the reactor
/// thread once per send, and on a small machine that cost all of zero-copy's gain. So when the
/// reactor's one-shot event finds the sender still busy (a send ran since the last look) it does not
/// re-arm: a 1 ms timer polls (drains) until the sender has gone idle, then re-arms, and from then
/// on the reactor drains as completions arrive, so buffers come back without help. A send that
/// waits for room or for writability arms it at once. Each completion releases its sends exactly
/// once; a batch's buffers go back to the pool when its last send call is released.</item>
/// <item>Small sends (below <see cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/>) are plain
/// sends: the kernel copied the bytes before sendmsg returned, so the buffers go back at once.
/// ENOBUFS (optmem_max or RLIMIT_MEMLOCK) resends the same bytes without the flag. When
/// completions keep saying COPIED, the socket switches to plain sends for good.</item>
/// <item>Backpressure: at most <see cref="ZeroCopySocketOptions.MaxPinnedBytesInFlight"/> bytes are
/// outstanding; beyond that the send waits for completions, and it never waits when nothing is
/// outstanding (no completion would ever come).</item>
/// <item>Disposal drains and waits (up to <see cref="ZeroCopySocketOptions.DisposeTimeout"/>) for
/// the outstanding completions, because after close the kernel drops them; what is still
/// outstanding then is abandoned and its buffers quarantined (never reused).</item>
/// </list>
/// </remarks>
internal sealed partial class LinuxSocketSender
{
    // Drain the error queue after this many zero-copy sends even without EPOLLERR: completions
    // pile up in the socket's optmem budget otherwise (ENOBUFS). Coalesced, 8 sends' completions
    // are usually one entry; 4 cost measurably more syscalls per byte at 16 KiB (design.md).
    private const int DrainEverySends = 8;

    // Room for one cmsg carrying sock_extended_err plus the offender sockaddr_in6, with slack for
    // other cmsgs (timestamps) that may share an entry.
    private const int ErrorQueueControlBytes = 256;

    // Read by the reactor thread, written once by the sending thread.
    private volatile ZeroCopyState? _zeroCopy;

    // Arming of the one-shot registration (see "Who drains"); all under _armLock.
    private readonly object _armLock = new();
    private bool _oneShot;
    private bool _armed;
    private bool _wantWrite;
    private Timer? _idleTimer;
    private int _idleTimerScheduled;

    // Written by the sender on every pinned send (one at a time), read by the reactor and the idle
    // timer: a count, not a clock, because reading the clock on every send costs more than the
    // check it serves. The reader keeps the count it saw last under _armLock.
    private volatile bool _senderActive;
    private int _pinnedSendsEnded;
    private int _pinnedSendsObserved;

    private ZeroCopyCapabilities PinnedCapabilities
    {
        get
        {
            ZeroCopyState? state = _zeroCopy;
            return state is null || state.Enabled
                ? ZeroCopyCapabilities.MsgZeroCopy | ZeroCopyCapabilities.VectoredSend
                : ZeroCopyCapabilities.VectoredSend;
        }
    }

    public override ValueTask SendPinnedAsync(PinnedSendBatch batch, ZeroCopySocketOptions options, CancellationToken cancellationToken)
    {
        ZeroCopyState state;
        try
        {
            state = _zeroCopy ?? EnableZeroCopy(options);
        }
        catch
        {
            batch.Release();
            throw;
        }

        return SendPinnedCore(batch, state, moreFlag: 0, cancellationToken);
    }

    /// <summary>
    /// Sends a batch through the MSG_ZEROCOPY machinery and takes over the caller's hold on it.
    /// <paramref name="moreFlag"/>: MSG_MORE when bytes follow the batch (a pinned body before
    /// trailers), else 0.
    /// </summary>
    private ValueTask SendPinnedCore(PinnedSendBatch batch, ZeroCopyState state, int moreFlag, CancellationToken cancellationToken)
    {
        // The common case ends here, synchronously and without an async state machine: one
        // non-blocking sendmsg took every byte (the BCL's SocketAsyncContext tries the same way
        // first). Only a send that must wait (room, writability) or resume goes async.
        _senderActive = true;
        bool addedSocketRef = false;
        bool handedOff = false;
        try
        {
            addedSocketRef = AcquireSocket();
            PinnedProgress progress = BeginPinned(batch, state, moreFlag);
            if (progress.Total == 0 && progress.IsStream)
            {
                _statistics.AddPinnedSendCall();
                return default;
            }

            bool needsRoom = progress.ZeroCopy && _statistics.PinnedBytesInFlight + progress.Total > state.MaxBytesInFlight;
            if (needsRoom || cancellationToken.IsCancellationRequested || _disposing)
            {
                handedOff = true;
                return SendPinnedRestAsync(batch, state, progress, needsRoom, waitEpoch: null, addedSocketRef, cancellationToken);
            }

            int epoch = _writable.Epoch;
            PinnedStep step = SendPinnedStep(batch, state, ref progress);
            if (step == PinnedStep.Done)
            {
                _statistics.AddPinnedSendCall();
                return default;
            }

            handedOff = true;
            return SendPinnedRestAsync(batch, state, progress, needsRoom: false, step == PinnedStep.WaitWritable ? epoch : null, addedSocketRef, cancellationToken);
        }
        catch (Exception e) when (!handedOff)
        {
            // Reported through the returned task, as an async method would.
            return new ValueTask(Task.FromException(e));
        }
        finally
        {
            if (!handedOff)
            {
                EndPinned(batch, addedSocketRef);
            }
        }
    }

    /// <summary>The rest of a pinned send that could not finish in one non-blocking attempt: waits for room or writability, then sends what is left.</summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendPinnedRestAsync(PinnedSendBatch batch, ZeroCopyState state, PinnedProgress progress, bool needsRoom, int? waitEpoch, bool addedSocketRef, CancellationToken cancellationToken)
    {
        try
        {
            if (needsRoom)
            {
                await WaitForRoomAsync(state, progress.Total, cancellationToken).ConfigureAwait(false);
            }

            if (waitEpoch is int firstEpoch)
            {
                await WaitWritableAsync(firstEpoch, cancellationToken).ConfigureAwait(false);
            }

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_disposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(progress.Sent, progress.Total);
                }

                int epoch = _writable.Epoch;
                switch (SendPinnedStep(batch, state, ref progress))
                {
                    case PinnedStep.Done:
                        _statistics.AddPinnedSendCall();
                        return;
                    case PinnedStep.WaitWritable:
                        await WaitWritableAsync(epoch, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        break; // Retry at once (EINTR, ENOBUFS fallback, partial stream send)
                }
            }
        }
        finally
        {
            EndPinned(batch, addedSocketRef);
        }
    }

    /// <summary>How a pinned send goes out: MSG_ZEROCOPY at or above the threshold while the socket has it, else a counted copy.</summary>
    private PinnedProgress BeginPinned(PinnedSendBatch batch, ZeroCopyState state, int moreFlag)
    {
        long total = batch.TotalLength;
        var progress = new PinnedProgress
        {
            Total = total,
            MoreFlag = moreFlag,
            IsStream = _socket.SocketType == SocketType.Stream,
            Reason = PinnedCopyReason.BelowThreshold,
        };

        if (!state.Enabled)
        {
            progress.Reason = PinnedCopyReason.ZeroCopyOff;
        }
        else if (total > 0 && total >= state.Threshold)
        {
            progress.ZeroCopy = true;
        }

        return progress;
    }

    /// <summary>One non-blocking sendmsg of what is left; throws on an error that ends the send.</summary>
    private PinnedStep SendPinnedStep(PinnedSendBatch batch, ZeroCopyState state, ref PinnedProgress progress)
    {
        long n;
        Errno errno;
        if (progress.ZeroCopy)
        {
            n = TrySendZeroCopy(batch, state, progress.Sent, progress.Total - progress.Sent, progress.MoreFlag, out errno);
        }
        else
        {
            n = TrySendMsg(batch, progress.Sent, MSG_DONTWAIT | MSG_NOSIGNAL | progress.MoreFlag, out errno);
            if (n >= 0)
            {
                _statistics.AddPinnedCopied(n, progress.Reason);
            }
        }

        if (n >= 0)
        {
            progress.Sent += n;

            // A datagram goes out whole or not at all; a stream send may take part of the bytes.
            return !progress.IsStream || progress.Sent >= progress.Total ? PinnedStep.Done : PinnedStep.Retry;
        }

        switch (errno)
        {
            case Errno.EAGAIN:
                return PinnedStep.WaitWritable;
            case Errno.EINTR:
                return PinnedStep.Retry;
            case Errno.ENOBUFS when progress.ZeroCopy:
                // optmem_max or RLIMIT_MEMLOCK: the kernel would not pin more. Copy these
                // bytes instead of failing; the next call tries zero-copy again.
                _statistics.AddNoBufsFallback();
                progress.ZeroCopy = false;
                progress.Reason = PinnedCopyReason.NoBufs;
                return PinnedStep.Retry;
            default:
                throw LinuxErrors.Socket(errno, "sendmsg");
        }
    }

    /// <summary>Every exit of a pinned send: the socket's handle, the sender's hold on the batch, and the idle detection's send count.</summary>
    private void EndPinned(PinnedSendBatch batch, bool addedSocketRef)
    {
        ReleaseSocket(addedSocketRef);
        batch.Release();
        Volatile.Write(ref _pinnedSendsEnded, _pinnedSendsEnded + 1);
        _senderActive = false;
    }

    /// <summary>One sendmsg(MSG_ZEROCOPY): recorded in the tracker before the call, taken back if it fails.</summary>
    private long TrySendZeroCopy(PinnedSendBatch batch, ZeroCopyState state, long offset, long requested, int moreFlag, out Errno errno)
    {
        var call = new ZeroCopyCall(batch, requested);
        batch.AddRef();
        lock (state.Lock)
        {
            if (state.Closed)
            {
                batch.Release();
                throw ThrowHelper.SocketDisposedDuringSend(offset, batch.TotalLength);
            }

            state.Tracker.Append(call);
        }

        _statistics.AddPinnedInFlight(requested);
        long n = TrySendMsg(batch, offset, MSG_ZEROCOPY | MSG_DONTWAIT | MSG_NOSIGNAL | moreFlag, out errno);
        if (n < 0)
        {
            lock (state.Lock)
            {
                _ = state.Tracker.RemoveLast();
            }

            _statistics.AddPinnedInFlight(-requested);
            batch.Release();
            return n;
        }

        _statistics.AddPinnedZeroCopy(n);
        if (++state.SendsSinceDrain >= DrainEverySends)
        {
            state.SendsSinceDrain = 0;
            DrainErrorQueue(state);
        }

        return n;
    }

    /// <summary>One non-blocking sendmsg of the batch's bytes from <paramref name="offset"/> on, as one iovec per piece.</summary>
    private unsafe long TrySendMsg(PinnedSendBatch batch, long offset, int flags, out Errno errno)
    {
        // Skip the pieces already sent.
        int first = 0;
        long skip = offset;
        while (first < batch.Count && skip > 0 && skip >= batch.LengthOf(first))
        {
            skip -= batch.LengthOf(first);
            first++;
        }

        int count = Math.Max(batch.Count - first, 0);
        iovec* stackIov = stackalloc iovec[StackIovecs];
        if (count <= StackIovecs)
        {
            return SendIovecs(stackIov, batch, first, count, skip, flags, out errno);
        }

        fixed (iovec* iov = Scratch(ref _iovecScratch, count))
        {
            return SendIovecs(iov, batch, first, count, skip, flags, out errno);
        }
    }

    private unsafe long SendIovecs(iovec* iov, PinnedSendBatch batch, int first, int count, long skip, int flags, out Errno errno)
    {
        for (int i = 0; i < count; i++)
        {
            int piece = first + i;
            long start = i == 0 ? skip : 0;
            iov[i].iov_base = batch.PointerOf(piece) + start;
            iov[i].iov_len = (nuint)(batch.LengthOf(piece) - start);
        }

        msghdr msg = default;
        msg.msg_iov = iov;
        msg.msg_iovlen = (nuint)count;
        nint n = sendmsg(_fd, &msg, flags);
        errno = n < 0 ? GetLastErrno() : Errno.SUCCESS;
        return n;
    }

    /// <summary>Waits until the bytes in flight leave room for <paramref name="needed"/> more, or nothing is in flight.</summary>
    private async ValueTask WaitForRoomAsync(ZeroCopyState state, long needed, CancellationToken cancellationToken)
    {
        while (true)
        {
            int epoch = state.Completions.Epoch;
            DrainErrorQueue(state);
            long inFlight = _statistics.PinnedBytesInFlight;
            if (inFlight == 0 || inFlight + needed <= state.MaxBytesInFlight)
            {
                return;
            }

            if (_disposing)
            {
                throw ThrowHelper.SocketDisposedDuringSend(0, needed);
            }

            _statistics.AddPinnedBackpressureWait();
            if (_oneShot)
            {
                // Waiting, not sending: let the reactor deliver the next completion at once.
                lock (_armLock)
                {
                    if (!_armed)
                    {
                        ArmLocked();
                    }
                }
            }

            await state.Completions.WaitAsync(epoch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the error queue until EAGAIN and applies every completion. Runs on the reactor thread
    /// (EPOLLERR) and on the sending thread; recvmsg hands each entry to exactly one of them, and the
    /// tracker is serialised by its lock.
    /// </summary>
    private unsafe void DrainErrorQueue(ZeroCopyState state)
    {
        // Once the application has closed the Socket, the descriptor number may belong to another
        // socket whose error queue is not ours to read.
        if (!TryAcquireSocket(out bool addedSocketRef))
        {
            return;
        }

        try
        {
            DrainErrorQueueCore(state);
        }
        finally
        {
            ReleaseSocket(addedSocketRef);
        }
    }

    private unsafe void DrainErrorQueueCore(ZeroCopyState state)
    {
        byte* control = stackalloc byte[ErrorQueueControlBytes];
        int released = 0;
        while (!state.Closed)
        {
            msghdr msg = default;
            msg.msg_control = control;
            msg.msg_controllen = ErrorQueueControlBytes;
            nint rc = recvmsg(_fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
            if (rc < 0)
            {
                if (GetLastErrno() == Errno.EINTR)
                {
                    continue;
                }

                break; // EAGAIN: the queue is empty (or the descriptor is gone)
            }

            if ((msg.msg_flags & MSG_CTRUNC) != 0)
            {
                _statistics.AddErrorQueueTruncated();
                continue;
            }

            if (ErrorQueueParser.Parse(control, msg.msg_controllen, out uint lo, out uint hi, out bool copied) != ErrorQueueEntry.ZeroCopyCompletion)
            {
                _statistics.AddErrorQueueOther();
                continue;
            }

            _statistics.AddZeroCopyNotification();
            bool allReleased;
            lock (state.Lock)
            {
                released += state.Tracker.Complete(lo, hi, copied);
                allReleased = state.Tracker.Outstanding == 0;
            }

            if (allReleased)
            {
                // Every send made so far is released, and a completion can only follow a send that
                // was recorded first: nothing more for us can be queued. Skipping the recvmsg that
                // would return EAGAIN saves one syscall per drain (half of them, when completions
                // coalesce as they do on a device that frees packets at once).
                break;
            }
        }

        if (released > 0)
        {
            state.Completions.Signal();
        }
    }

    /// <summary>The tracker's release callback (inside the tracker lock): accounting, COPIED adaptation, and the batch's reference.</summary>
    private void OnCallReleased(ZeroCopyCall call, bool copied)
    {
        ZeroCopyState state = _zeroCopy!;
        _statistics.AddPinnedInFlight(-call.Bytes);
        _statistics.AddZeroCopyCompleted(copied, call.Bytes);
        ZeroCopyStatistics.AddReleaseTime(call.StartTimestamp);
        if (!copied)
        {
            state.CopiedStreak = 0;
        }
        else if (++state.CopiedStreak >= state.CopiedLimit && state.CopiedLimit > 0 && state.Enabled)
        {
            state.Enabled = false;
            _statistics.SetZeroCopyDisabledByCopied();
        }

        call.Batch.Release();
    }

    private unsafe ZeroCopyState EnableZeroCopy(ZeroCopySocketOptions options)
    {
        if (options.PinnedZeroCopyThreshold < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), "ZeroCopySocketOptions.PinnedZeroCopyThreshold must not be negative.");
        }

        if (options.MaxPinnedBytesInFlight <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), "ZeroCopySocketOptions.MaxPinnedBytesInFlight must be positive.");
        }

        var state = new ZeroCopyState(this, options);
        int one = 1;
        if (setsockopt(_fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(int)) != 0)
        {
            // ENOPROTOOPT (kernel before 4.14), EOPNOTSUPP (not TCP/UDP): copy instead, and say so.
            state.Enabled = false;
            _statistics.SetZeroCopyOptInRefused();
        }
        else
        {
            // One-shot EPOLLERR (see "Who drains" above). EPOLLOUT is armed only while a send
            // waits for writability: an EPOLLOUT edge follows every freed UDP packet. A socket
            // already registered (an earlier file or header send waited for writability) switches
            // its registration over; left edge-triggered, the reactor would never drain the error
            // queue for it, and a send waiting for room would wait for a signal nobody gives.
            const uint events = EPOLLERR | EPOLLONESHOT;
            Errno errno;
            if (_registration == 0)
            {
                _registration = EpollReactor.Shared.Register(_fd, this, events, out errno);
                if (_registration == 0)
                {
                    throw LinuxErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_ADD)");
                }
            }
            else if (!EpollReactor.Shared.Modify(_fd, _registration, events, out errno))
            {
                throw LinuxErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_MOD)");
            }

            _oneShot = true;
            _armed = true;
            _idleTimer = new Timer(static s => ((LinuxSocketSender)s!).OnIdleTimer(), this, Timeout.Infinite, Timeout.Infinite);
        }

        _zeroCopy = state;
        return state;
    }

    /// <summary>Before a wait for writability: arm the one-shot registration for EPOLLOUT too (every time: one-shot disarms after each event).</summary>
    private void EnsureWriteInterest()
    {
        if (!_oneShot)
        {
            return;
        }

        lock (_armLock)
        {
            _wantWrite = true;
            ArmLocked();
        }
    }

    /// <summary>EPOLL_CTL_MOD re-arms the one-shot registration; the kernel reports at once what is already pending, so nothing is missed.</summary>
    private void ArmLocked()
    {
        uint events = EPOLLERR | EPOLLONESHOT | (_wantWrite ? EPOLLOUT : 0);
        if (!EpollReactor.Shared.Modify(_fd, _registration, events, out Errno errno) && errno != Errno.EBADF && errno != Errno.ENOENT)
        {
            throw LinuxErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_MOD)");
        }

        _armed = true;
    }

    /// <summary>Under _armLock: whether a send is running or ended since the last look (the idle timer looks every millisecond).</summary>
    private bool SenderRecentlyActiveLocked()
    {
        int ended = Volatile.Read(ref _pinnedSendsEnded);
        bool active = _senderActive || ended != _pinnedSendsObserved;
        _pinnedSendsObserved = ended;
        return active;
    }

    /// <summary>After a drain by the reactor or the idle timer: hand completions back to the reactor when the sender is idle, else poll again soon.</summary>
    private void RearmOrDefer(ZeroCopyState state)
    {
        lock (_armLock)
        {
            if (_armed || state.Closed)
            {
                return;
            }

            // While the sender is busy, the timer polls, whether or not sends are outstanding right
            // now: with completions as fast as sends (a device that frees packets at once), "nothing
            // outstanding" is true after almost every drain, and re-arming then would wake the
            // reactor every few sends, the pattern the one-shot registration exists to avoid.
            if (_wantWrite || !SenderRecentlyActiveLocked())
            {
                ArmLocked();
                return;
            }
        }

        if (Interlocked.CompareExchange(ref _idleTimerScheduled, 1, 0) == 0)
        {
            _ = _idleTimer?.Change(1, Timeout.Infinite);
        }
    }

    private void OnIdleTimer()
    {
        Volatile.Write(ref _idleTimerScheduled, 0);
        ZeroCopyState? state = _zeroCopy;
        if (state is null || state.Closed)
        {
            return;
        }

        DrainErrorQueue(state);
        RearmOrDefer(state);
    }

    /// <summary>On the reactor thread: EPOLLERR means the error queue has entries (or the socket has an error).</summary>
    private void OnZeroCopyReadiness(uint events)
    {
        ZeroCopyState? state = _zeroCopy;
        if (state is null || !_oneShot)
        {
            return;
        }

        // The one-shot registration is disarmed now.
        lock (_armLock)
        {
            _armed = false;
            if ((events & EPOLLOUT) != 0)
            {
                _wantWrite = false;
            }
        }

        if ((events & (EPOLLERR | EPOLLHUP)) != 0)
        {
            DrainErrorQueue(state);
        }

        RearmOrDefer(state);
    }

    /// <summary>Wakes a send waiting for room; it then observes disposal.</summary>
    private void BeginDisposeZeroCopy() => _zeroCopy?.Completions.Signal();

    /// <summary>Waits (bounded) for every outstanding completion, then abandons what is left: those buffers are quarantined.</summary>
    private async ValueTask DisposeZeroCopyAsync()
    {
        ZeroCopyState? state = _zeroCopy;
        if (state is null)
        {
            return;
        }

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            DrainErrorQueue(state);
            int outstanding;
            lock (state.Lock)
            {
                outstanding = state.Tracker.Outstanding;
            }

            if (outstanding == 0 || deadline.Elapsed >= state.DisposeTimeout)
            {
                break;
            }

            // Disposal is rare: polling keeps the one-waiter completion signal free for a send
            // that may still be running.
            await Task.Delay(5).ConfigureAwait(false);
        }

        _idleTimer?.Dispose();
        lock (state.Lock)
        {
            state.Closed = true;
            state.Tracker.AbandonAll(call =>
            {
                _statistics.AddZeroCopyAbandoned(call.Bytes);
                call.Batch.Abandon();
            });
        }
    }

    /// <summary>What one step of a pinned send asks for next.</summary>
    private enum PinnedStep
    {
        Done,
        Retry,
        WaitWritable,
    }

    /// <summary>Where a pinned send stands between attempts.</summary>
    private struct PinnedProgress
    {
        public long Sent;
        public long Total;
        public bool IsStream;
        public int MoreFlag;
        public bool ZeroCopy;
        public PinnedCopyReason Reason;
    }

    /// <summary>One sendmsg(MSG_ZEROCOPY) call waiting for its completion.</summary>
    private readonly struct ZeroCopyCall
    {
        public ZeroCopyCall(PinnedSendBatch batch, long bytes)
        {
            Batch = batch;
            Bytes = bytes;
            StartTimestamp = ZeroCopyStatistics.ReleaseTimeStart();
        }

        public PinnedSendBatch Batch { get; }

        public long Bytes { get; }

        /// <summary>When the send was issued (Stopwatch ticks), for the send-to-release histogram; 0 when nobody listens.</summary>
        public long StartTimestamp { get; }
    }

    /// <summary>Per-socket zero-copy state, created on the first pinned send.</summary>
    private sealed class ZeroCopyState
    {
        public readonly object Lock = new();
        public readonly ZeroCopyCompletionTracker<ZeroCopyCall> Tracker;
        public readonly ReadinessSignal Completions = new();
        public readonly int Threshold;
        public readonly long MaxBytesInFlight;
        public readonly int CopiedLimit;
        public readonly TimeSpan DisposeTimeout;
        public int SendsSinceDrain;
        public int CopiedStreak;

        // Read by the sending thread, written by the reactor thread (COPIED adaptation).
        public volatile bool Enabled = true;

        // Set under Lock by disposal; read without it by the drain loop (a stale read costs one more recvmsg).
        public volatile bool Closed;

        public ZeroCopyState(LinuxSocketSender owner, ZeroCopySocketOptions options)
        {
            Tracker = new ZeroCopyCompletionTracker<ZeroCopyCall>(owner.OnCallReleased);
            Threshold = options.PinnedZeroCopyThreshold;
            MaxBytesInFlight = options.MaxPinnedBytesInFlight;
            CopiedLimit = options.CopiedCompletionsBeforeFallback;
            DisposeTimeout = options.DisposeTimeout;
        }
    }
}
