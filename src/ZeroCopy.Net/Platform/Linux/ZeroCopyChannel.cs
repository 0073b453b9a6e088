using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// One socket's MSG_ZEROCOPY state: the SO_ZEROCOPY opt-in, the record of sends whose pages the
/// kernel still holds, the error-queue drain that releases them, backpressure, and the bounded
/// drain at disposal. Created on the socket's first pinned send.
/// </summary>
/// <remarks>
/// <para>The MSG_ZEROCOPY protocol, as this class runs it (Documentation/networking/msg_zerocopy.rst):</para>
/// <list type="number">
/// <item>Opt in once per socket: setsockopt(SOL_SOCKET, SO_ZEROCOPY, 1). A refusal (ENOPROTOOPT on old
/// kernels, EOPNOTSUPP for other protocols) turns zero-copy off for the socket and every pinned send
/// copies, counted. The socket's <see cref="EpollRegistration"/> switches to one-shot EPOLLERR at the
/// same time, before any zero-copy send, so completions reach us even while the application sends nothing.</item>
/// <item>Each send call that uses the flag is recorded (<see cref="Record"/>) <em>before</em> the
/// syscall (its completion can be queued and drained before sendmsg returns) and taken back
/// (<see cref="Unrecord"/>) if the call fails: a successful call, partial sends included, consumes
/// one 32-bit sequence number; a failed one consumes none (the kernel undoes its counter on failure).</item>
/// <item>Completions are drained with recvmsg(MSG_ERRQUEUE | MSG_DONTWAIT) until EAGAIN, by the
/// sending thread every <see cref="DrainEverySends"/> sends and while it waits for room, and by the
/// reactor or the idle timer (see <see cref="EpollRegistration"/>). recvmsg hands each entry to exactly
/// one of them; the tracker is serialised by its lock. Each completion releases its sends exactly
/// once; a batch's buffers go back to the pool when its last send call is released.</item>
/// <item>When completions keep saying COPIED (loopback always does), the socket switches to plain
/// sends for good.</item>
/// <item>Backpressure: at most <see cref="ZeroCopySocketOptions.MaxPinnedBytesInFlight"/> bytes are
/// outstanding; beyond that a send waits for completions, and never when nothing is outstanding
/// (no completion would ever come).</item>
/// <item>Disposal drains and waits (up to <see cref="ZeroCopySocketOptions.DisposeTimeout"/>) for the
/// outstanding completions, because after close the kernel drops them; what is still outstanding
/// then is abandoned and its buffers quarantined (never reused).</item>
/// </list>
/// </remarks>
internal sealed class ZeroCopyChannel
{
    // Drain the error queue after this many zero-copy sends even without EPOLLERR: completions
    // pile up in the socket's optmem budget otherwise (ENOBUFS). Coalesced, 8 sends' completions
    // are usually one entry; 4 cost measurably more syscalls per byte at 16 KiB (design.md).
    internal const int DrainEverySends = 8;

    // Room for one cmsg carrying sock_extended_err plus the offender sockaddr_in6, with slack for
    // other cmsgs (timestamps) that may share an entry.
    private const int ErrorQueueControlBytes = 256;

    private readonly LinuxSocketSender _owner;
    private readonly ZeroCopyStatistics _statistics;
    private readonly object _lock = new();
    private readonly ZeroCopyCompletionTracker<ZeroCopyCall> _tracker;
    private readonly ReadinessSignal _completions = new();
    private readonly long _maxBytesInFlight;
    private readonly TimeSpan _disposeTimeout;
    private int _sendsSinceDrain;
    private CopiedAdaptation _copied;

    // The measured crossover (null: a fixed threshold). Sampling state is the sender's alone.
    private readonly CrossoverPolicy? _policy;
    private int _sendsUntilSample = CrossoverPolicy.SampleEvery;
    private int _exploreLeft;
    private int _samplesUntilExplore = 1; // a new socket explores at its first sample
    private int _drainsUntilSample;

    // Set (once) by whoever drains: this socket has seen a completion that really was zero-copy, so
    // its zero-copy samples tell the truth about zero-copy (a loopback socket's would not).
    private volatile bool _sawUncopied;

    // Read by the sending thread, written by whoever drains (COPIED adaptation).
    private volatile bool _enabled = true;

    // Set under _lock by disposal; read without it by the drain loop (a stale read costs one more recvmsg).
    private volatile bool _closed;

    private ZeroCopyChannel(LinuxSocketSender owner, SocketSettings settings)
    {
        _owner = owner;
        _statistics = owner.Statistics;
        _tracker = new ZeroCopyCompletionTracker<ZeroCopyCall>(OnCallReleased);
        _settings = settings;
        _policy = settings.MeasureCrossover ? CrossoverPolicy.Process : null;
        _maxBytesInFlight = settings.MaxPinnedBytesInFlight;
        _copied = new CopiedAdaptation(settings.CopiedCompletionsBeforeFallback);
        _disposeTimeout = settings.DisposeTimeout;
    }

    // The fixed crossover's rule (used when the socket does not measure it).
    private readonly SocketSettings _settings;

    /// <summary>
    /// Whether a send of <paramref name="bytes"/> goes zero-copy, by the fixed threshold or the
    /// measured crossover; <paramref name="timed"/>: this send is one of the sampled ones (one in
    /// <see cref="CrossoverPolicy.SampleEvery"/>, or one of the last sends of an exploration run in the
    /// other mode, which keeps both estimates current). Called once per send, by the sender only.
    /// </summary>
    public bool ChooseZeroCopy(long bytes, out bool timed)
    {
        timed = false;
        if (_policy is null)
        {
            return _settings.ReachesZeroCopyThreshold(bytes);
        }

        int sizeClass = CrossoverPolicy.ClassOf(bytes);
        if (sizeClass < 0)
        {
            return false; // under a page: always a copy, never explored
        }

        bool zeroCopy = _policy.UseZeroCopyForClass(sizeClass);

        // Exploration goes the other way for a run of consecutive sends and times only the last of them:
        // a lone zero-copy send among copies costs more than one in a stream (its own notification, no
        // coalescing with the previous send's, a drain per send), and timed alone it made zero-copy look
        // 1.6x dearer at 32 KiB on the rig than it is when the class uses it, which kept the class on copies.
        if (_exploreLeft > 0)
        {
            _exploreLeft--;
            timed = _exploreLeft < CrossoverPolicy.ExploreTimed;
            return !zeroCopy;
        }

        if (--_sendsUntilSample > 0)
        {
            return zeroCopy;
        }

        _sendsUntilSample = CrossoverPolicy.SampleEvery;
        if (--_samplesUntilExplore <= 0)
        {
            _samplesUntilExplore = CrossoverPolicy.ExploreEvery;
            _exploreLeft = CrossoverPolicy.ExploreRun - 1;
            return !zeroCopy;
        }

        timed = true;
        return zeroCopy;
    }

    /// <summary>The current choice for a send of <paramref name="bytes"/>, without sampling (a pinned body deciding whether to ride with its headers).</summary>
    public bool WouldUseZeroCopy(long bytes) => _policy is null ? _settings.ReachesZeroCopyThreshold(bytes) : _policy.UseZeroCopy(bytes);

    /// <summary>A timed send's result (the sending thread's CPU around its sendmsg).</summary>
    public void RecordTimedSend(long bytes, bool zeroCopy, long cpuNanoseconds)
    {
        if (_policy is not null && (!zeroCopy || _sawUncopied))
        {
            _policy.Record(bytes, zeroCopy, cpuNanoseconds);
        }
    }

    /// <summary>Whether this socket still sends with MSG_ZEROCOPY (false after a refused opt-in or too many COPIED completions).</summary>
    public bool Enabled => _enabled;

    /// <summary>Set once disposal has abandoned what was outstanding; drains stop.</summary>
    public bool Closed => _closed;

    /// <summary>Opts the socket in (SO_ZEROCOPY) and switches its registration to one-shot EPOLLERR.</summary>
    public static unsafe ZeroCopyChannel Open(LinuxSocketSender owner, SocketSettings settings, EpollRegistration registration)
    {
        var channel = new ZeroCopyChannel(owner, settings);
        int one = 1;
        if (setsockopt(owner.Fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(int)) != 0)
        {
            // ENOPROTOOPT (kernel before 4.14), EOPNOTSUPP (not TCP/UDP): copy instead, and say so.
            channel._enabled = false;
            owner.Statistics.SetZeroCopyOptInRefused();
        }
        else
        {
            registration.SwitchToOneShot(channel);
        }

        return channel;
    }

    /// <summary>Whether a zero-copy send of <paramref name="bytes"/> must first wait for completions.</summary>
    public bool NeedsRoom(long bytes) => _statistics.PinnedBytesInFlight + bytes > _maxBytesInFlight;

    /// <summary>
    /// Records one MSG_ZEROCOPY call of <paramref name="bytes"/> from <paramref name="batch"/> before it
    /// is made (the batch gains a hold that its completion drops). Returns the call's sequence
    /// number. Throws if disposal already closed the channel.
    /// </summary>
    public uint Record(PinnedSendBatch batch, long bytes, long sentBefore)
    {
        batch.AddRef();
        uint sequence;
        lock (_lock)
        {
            if (_closed)
            {
                batch.Release();
                throw ThrowHelper.SocketDisposedDuringSend(sentBefore, batch.TotalLength);
            }

            sequence = _tracker.NextSequence;
            _tracker.Append(new ZeroCopyCall(batch, bytes));
        }

        _statistics.AddPinnedInFlight(bytes);
        return sequence;
    }

    /// <summary>
    /// The kernel took only <paramref name="accepted"/> of the <paramref name="requested"/> bytes a
    /// recorded call asked for (a stream socket whose buffer filled): the call holds, and its
    /// completion counts, only what the kernel took. Full sends never come here (no extra lock).
    /// </summary>
    public void AcceptedPart(uint sequence, PinnedSendBatch batch, long requested, long accepted)
    {
        long surplus = requested - accepted;
        lock (_lock)
        {
            if (_tracker.TryReplace(sequence, new ZeroCopyCall(batch, accepted)))
            {
                _statistics.AddPinnedInFlight(-surplus);
                return;
            }
        }

        // Rare: the completion was drained (on the reactor) before sendmsg returned, and released the
        // call with the requested count: in flight it balanced (added and removed alike); the
        // completed-bytes counters took the surplus, which is taken back here.
        _statistics.CorrectZeroCopyCompletedBytes(-surplus);
    }

    /// <summary>Takes back the call <see cref="Record"/> made last: the kernel refused it and consumed no sequence number.</summary>
    public void Unrecord(PinnedSendBatch batch, long bytes)
    {
        lock (_lock)
        {
            _ = _tracker.RemoveLast();
        }

        _statistics.AddPinnedInFlight(-bytes);
        batch.Release();
    }

    /// <summary>After a successful zero-copy call: drains every few sends, so completions do not pile up in optmem.</summary>
    public void AfterSend()
    {
        if (++_sendsSinceDrain >= DrainEverySends)
        {
            _sendsSinceDrain = 0;
            if (_policy is not null && _sawUncopied && --_drainsUntilSample <= 0)
            {
                // One sender drain in eight is timed: what completions cost the sending thread per send.
                _drainsUntilSample = 8;
                long start = Interop.Linux.ThreadCpuNanoseconds();
                int released = Drain();
                _policy.RecordDrain(released, Interop.Linux.ThreadCpuNanoseconds() - start);
            }
            else
            {
                _ = Drain();
            }
        }
    }

    /// <summary>Waits until the bytes in flight leave room for <paramref name="needed"/> more, or nothing is in flight.</summary>
    [PooledAsync(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WaitForRoomAsync(long needed, EpollRegistration registration, CancellationToken cancellationToken)
    {
        while (true)
        {
            int epoch = _completions.Epoch;
            _ = Drain();
            long inFlight = _statistics.PinnedBytesInFlight;
            if (inFlight == 0 || inFlight + needed <= _maxBytesInFlight)
            {
                return;
            }

            if (_owner.IsDisposing)
            {
                throw ThrowHelper.SocketDisposedDuringSend(0, needed);
            }

            if (registration.Fault is not null)
            {
                return; // the runner's next step fails the send with the reactor's fault
            }

            _statistics.AddPinnedBackpressureWait();

            // Waiting, not sending: let the reactor deliver the next completion at once.
            registration.ArmForCompletions();
            await _completions.WaitAsync(epoch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the error queue until EAGAIN and applies every completion. Runs on the reactor thread,
    /// the idle timer and the sending thread.
    /// </summary>
    /// <returns>How many sends the drain released.</returns>
    public int Drain()
    {
        // Once the application has closed the Socket, the descriptor number may belong to another
        // socket whose error queue is not ours to read.
        if (!_owner.TryAcquireSocket(out bool added))
        {
            return 0;
        }

        try
        {
            return DrainHeld();
        }
        finally
        {
            _owner.ReleaseSocket(added);
        }
    }

    /// <summary>Wakes a send waiting for room, which then observes disposal or a reactor fault (both call this).</summary>
    public void WakeRoomWaiter() => _completions.Signal();

    /// <summary>Waits (bounded) for every outstanding completion, then abandons what is left: those buffers are quarantined.</summary>
    public async ValueTask DisposeAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            _ = Drain();
            int outstanding;
            lock (_lock)
            {
                outstanding = _tracker.Outstanding;
            }

            if (outstanding == 0 || deadline.Elapsed >= _disposeTimeout)
            {
                break;
            }

            // Disposal is rare: polling keeps the one-waiter completion signal free for a send
            // that may still be running.
            await Task.Delay(5).ConfigureAwait(false);
        }

        lock (_lock)
        {
            _closed = true;
            _tracker.AbandonAll(call =>
            {
                _statistics.AddZeroCopyAbandoned(call.Bytes);
                call.Batch.Abandon();
            });
        }
    }

    private unsafe int DrainHeld()
    {
        byte* control = stackalloc byte[ErrorQueueControlBytes];
        int released = 0;
        int fd = _owner.Fd;
        while (!_closed)
        {
            msghdr msg = default;
            msg.msg_control = control;
            msg.msg_controllen = ErrorQueueControlBytes;
            nint rc = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
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
            lock (_lock)
            {
                released += _tracker.Complete(lo, hi, copied);
                allReleased = _tracker.Outstanding == 0;
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
            _completions.Signal();
        }

        return released;
    }

    /// <summary>The tracker's release callback (inside the tracker lock): accounting, COPIED adaptation, and the batch's hold.</summary>
    private void OnCallReleased(ZeroCopyCall call, bool copied)
    {
        _statistics.AddPinnedInFlight(-call.Bytes);
        _statistics.AddZeroCopyCompleted(copied, call.Bytes);
        ZeroCopyStatistics.AddReleaseTime(call.StartTimestamp);
        if (!copied)
        {
            _sawUncopied = true;
        }

        if (_copied.ShouldSwitchToCopies(copied) && _enabled)
        {
            _enabled = false;
            _statistics.SetZeroCopyDisabledByCopied();
        }

        call.Batch.Release();
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
}
