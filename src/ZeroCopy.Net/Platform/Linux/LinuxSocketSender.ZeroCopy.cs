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
/// reactor's one-shot event finds the sender still busy (a send within the last 2 ms) it does not
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
    // pile up in the socket's optmem budget otherwise (ENOBUFS), and a drain that finds nothing
    // costs one recvmsg returning EAGAIN.
    private const int DrainEverySends = 4;

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

    // Written by the sender on every pinned send, read by the reactor and the idle timer.
    private volatile bool _senderActive;
    private long _lastSendExit;

    // A sender counts as active for this long after its last send returned.
    private static readonly long s_activeWindow = System.Diagnostics.Stopwatch.Frequency / 500; // 2 ms

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

        return SendPinnedCoreAsync(batch, state, 0, cancellationToken);
    }

    // moreFlag: MSG_MORE when bytes follow the batch (a pinned body before trailers), else 0.
#if !NETSTANDARD2_0
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
#endif
    private async ValueTask SendPinnedCoreAsync(PinnedSendBatch batch, ZeroCopyState state, int moreFlag, CancellationToken cancellationToken)
    {
        _senderActive = true;
        bool addedSocketRef = false;
        try
        {
            addedSocketRef = AcquireSocket();
            long total = batch.TotalLength;
            bool isStream = _socket.SocketType == SocketType.Stream;
            if (total == 0 && isStream)
            {
                _statistics.AddPinnedSendCall();
                return;
            }

            PinnedCopyReason reason = PinnedCopyReason.BelowThreshold;
            bool zeroCopy = false;
            if (!state.Enabled)
            {
                reason = PinnedCopyReason.ZeroCopyOff;
            }
            else if (total > 0 && total >= state.Threshold)
            {
                zeroCopy = true;
                if (Volatile.Read(ref state.BytesInFlight) + total > state.MaxBytesInFlight)
                {
                    await WaitForRoomAsync(state, total, cancellationToken).ConfigureAwait(false);
                }
            }

            long sent = 0;
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_disposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(sent, total);
                }

                int epoch = _writable.Epoch;
                long n;
                Errno errno;
                if (zeroCopy)
                {
                    n = TrySendZeroCopy(batch, state, sent, total - sent, moreFlag, out errno);
                }
                else
                {
                    n = TrySendMsg(batch, sent, MSG_DONTWAIT | MSG_NOSIGNAL | moreFlag, out errno);
                    if (n >= 0)
                    {
                        _statistics.AddPinnedCopied(n, reason);
                    }
                }

                if (n >= 0)
                {
                    sent += n;
                    if (!isStream)
                    {
                        break; // a datagram goes out whole or not at all
                    }

                    continue;
                }

                switch (errno)
                {
                    case Errno.EAGAIN:
                        await WaitWritableAsync(epoch, cancellationToken).ConfigureAwait(false);
                        break;
                    case Errno.EINTR:
                        break;
                    case Errno.ENOBUFS when zeroCopy:
                        // optmem_max or RLIMIT_MEMLOCK: the kernel would not pin more. Copy these
                        // bytes instead of failing; the next call tries zero-copy again.
                        _statistics.AddNoBufsFallback();
                        zeroCopy = false;
                        reason = PinnedCopyReason.NoBufs;
                        break;
                    default:
                        throw LinuxErrors.Socket(errno, "sendmsg");
                }
            }
            while (sent < total);

            _statistics.AddPinnedSendCall();
        }
        finally
        {
            ReleaseSocket(addedSocketRef);
            batch.Release();
            Volatile.Write(ref _lastSendExit, System.Diagnostics.Stopwatch.GetTimestamp());
            _senderActive = false;
        }
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

        Interlocked.Add(ref state.BytesInFlight, requested);
        _statistics.AddPinnedInFlight(requested);
        long n = TrySendMsg(batch, offset, MSG_ZEROCOPY | MSG_DONTWAIT | MSG_NOSIGNAL | moreFlag, out errno);
        if (n < 0)
        {
            lock (state.Lock)
            {
                _ = state.Tracker.RemoveLast();
            }

            Interlocked.Add(ref state.BytesInFlight, -requested);
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
            long inFlight = Volatile.Read(ref state.BytesInFlight);
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
            lock (state.Lock)
            {
                released += state.Tracker.Complete(lo, hi, copied);
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
        Interlocked.Add(ref state.BytesInFlight, -call.Bytes);
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
        else if (_registration == 0)
        {
            // One-shot EPOLLERR (see "Who drains" above). EPOLLOUT is armed only while a send
            // waits for writability: an EPOLLOUT edge follows every freed UDP packet.
            _registration = EpollReactor.Shared.Register(_fd, this, EPOLLERR | EPOLLONESHOT, out Errno errno);
            if (_registration == 0)
            {
                throw LinuxErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_ADD)");
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

    private bool SenderRecentlyActive =>
        _senderActive || System.Diagnostics.Stopwatch.GetTimestamp() - Volatile.Read(ref _lastSendExit) < s_activeWindow;

    /// <summary>After a drain by the reactor or the idle timer: hand completions back to the reactor when the sender is idle, else poll again soon.</summary>
    private void RearmOrDefer(ZeroCopyState state)
    {
        lock (_armLock)
        {
            if (_armed || state.Closed)
            {
                return;
            }

            int outstanding;
            lock (state.Lock)
            {
                outstanding = state.Tracker.Outstanding;
            }

            if (_wantWrite || outstanding == 0 || !SenderRecentlyActive)
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

    /// <summary>One sendmsg(MSG_ZEROCOPY) call waiting for its completion.</summary>
    private readonly struct ZeroCopyCall
    {
        public ZeroCopyCall(PinnedSendBatch batch, long bytes)
        {
            Batch = batch;
            Bytes = bytes;
            StartTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        public PinnedSendBatch Batch { get; }

        public long Bytes { get; }

        /// <summary>When the send was issued (Stopwatch ticks), for the send-to-release histogram.</summary>
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
        public long BytesInFlight;
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
