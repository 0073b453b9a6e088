using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.IoUring;

/// <summary>
/// A socket on the io_uring engine: pinned sends (<see cref="SendPinnedAsync"/>, so also the
/// PipeWriter) go through <see cref="IoUringEngine"/> as IORING_OP_SEND_ZC from registered pool
/// slabs, SENDMSG_ZC for several pieces; a single send below the zero-copy threshold is one plain
/// sendmsg on the epoll engine's path (cheaper than a ring round trip), a burst's copies IORING_OP_SEND;
/// everything else (sendfile, header responses, pinned bodies behind headers) is the epoll
/// engine's <see cref="LinuxSocketSender"/>, which this class wraps and which owns the socket's handle.
/// </summary>
/// <remarks>
/// <para>One send, step by step: take the socket's handle; wait for room if this send would put
/// more than MaxPinnedBytesInFlight in the kernel's hands; submit one request (the batch gains a
/// hold for a zero-copy request); await its request CQE, which the submitting thread usually reaps
/// itself right after io_uring_enter (the kernel sent inline), else the completion thread; a
/// stream socket that took part of the bytes gets a new request for the rest. The batch's hold is
/// dropped by the notification CQE (IORING_CQE_F_NOTIF), not by the end of the send, so a pool
/// buffer goes back to its pool only when the kernel no longer reads it.</para>
/// <para>No EAGAIN here: io_uring parks a request whose socket is full on its own poll and
/// retries it (the socket's O_NONBLOCK does not change that; only MSG_DONTWAIT would). Cancellation
/// and disposal cancel the parked request (IORING_OP_ASYNC_CANCEL). -ECANCELED that nobody asked
/// for means the kernel cancelled the request because the thread that submitted it exited (io_uring
/// ties requests to their submitting task; thread-pool threads retire): the same bytes are resubmitted.</para>
/// <para>Disposal waits (up to DisposeTimeout) for every notification. Unlike the error queue, the
/// ring still delivers notifications after the socket is closed, so what is still outstanding then
/// is not abandoned: its buffers go back to the pool whenever its notification arrives.</para>
/// </remarks>
internal sealed class IoUringSocketSender : SocketSender, IIoUringSendTarget, IValueTaskSource<int>
{
    private readonly Socket _socket;
    private readonly LinuxSocketSender _epoll;
    // The process's ring; for an Auto socket null until its first burst that goes on io_uring.
    private IoUringEngine _engine;

    // An Auto socket (SendEngine.Auto, datagram): single sends are the epoll engine's, bursts go
    // where BurstEngineChoice measured them cheaper.
    private readonly bool _auto;
    private readonly SocketSettings _settings;
    private readonly ZeroCopyStatistics _statistics;
    private readonly ReadinessSignal _released = new();
    private ManualResetValueTaskSourceCore<int> _request = new() { RunContinuationsAsynchronously = true };

    // The request in flight (one at a time: the socket's gate): for cancellation.
    private long _pendingToken;

    /// <summary>
    /// A burst's zero-copy threshold on the io_uring engine when the user left PinnedZeroCopyThreshold
    /// unset: 8 KiB, not the 32 KiB of one MSG_ZEROCOPY sendmsg per call. From registered memory, in a
    /// batch, SEND_ZC beats a copy from 8 KiB on both CPU kinds measured: AMD EPYC (veth rig, the
    /// library's bursts of 8: SEND_ZC 1.15-1.4x IORING_OP_SEND at 8 KiB, 1.3-1.6x at 16 KiB; raw C at
    /// depth 8, both workloads: 1.13-1.17x and 1.43-1.47x) and
    /// Intel Xeon (issue 13's raw C: SEND_ZC fixed 1.33x MSG_ZEROCOPY at 8 KiB, which itself beat a
    /// copy 1.2-1.3x there). Auto sockets measure instead (<see cref="BurstEngineChoice"/>).
    /// </summary>
    internal const int BurstZeroCopyThreshold = 8 * 1024;

    // A datagram burst in flight (SendPinnedDatagramsAsync): one slot per datagram, the request CQEs
    // still awaited (the last one completes _request), and how many slots CancelPending may read.
    private DatagramSlot[] _slots = Array.Empty<DatagramSlot>();
    private bool _burst;
    private int _awaiting;
    private int _slotsPublished;

    // Requests whose memory is not released yet (disposal waits for 0).
    private long _outstanding;

    // Written by the reaping thread (COPIED adaptation), read by the sender.
    private volatile bool _zeroCopy = true;

    // Reaping thread only (the engine reaps under one lock).
    private CopiedAdaptation _copied;
    private volatile bool _disposing;

    // sendmsg scratch for a batch of several pieces: one msghdr and the iovecs, native (the kernel
    // reads them during io_uring_enter), grown on demand.
    private unsafe msghdr* _msg;
    private unsafe iovec* _iovecs;
    private int _iovecCapacity;

    public IoUringSocketSender(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics, IoUringEngine engine)
        : this(socket, settings, statistics, engine, auto: false)
    {
    }

    private IoUringSocketSender(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics, IoUringEngine? engine, bool auto)
    {
        _auto = auto;
        _socket = socket;
        _settings = settings;
        _statistics = statistics;
        _engine = engine!;
        _copied = new CopiedAdaptation(settings.CopiedCompletionsBeforeFallback);
        _epoll = new LinuxSocketSender(socket, settings, statistics);
    }

    /// <summary>
    /// A <see cref="SendEngine.Auto"/> datagram socket: everything is the epoll engine's except
    /// datagram bursts, which go on the engine <see cref="BurstEngineChoice"/> measured cheaper (and
    /// are measured while it decides). The ring is looked up only when a burst first needs it.
    /// </summary>
    public static IoUringSocketSender CreateAuto(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics)
        => new(socket, settings, statistics, engine: null, auto: true);

    /// <summary>Whether this is an Auto socket (see <see cref="CreateAuto"/>), whose single sends are the epoll engine's.</summary>
    public bool IsAuto => _auto;

    /// <summary>The epoll sender's, with zero-copy pinned sends while this socket still has them (SEND_ZC stands in for MSG_ZEROCOPY).</summary>
    public override ZeroCopyCapabilities Capabilities
        => _auto ? _epoll.Capabilities : (_epoll.Capabilities & ~ZeroCopyCapabilities.MsgZeroCopy) | (_zeroCopy ? ZeroCopyCapabilities.MsgZeroCopy : 0);

    /// <summary>Whether the socket still sends zero-copy (false after too many COPIED notifications or EOPNOTSUPP).</summary>
    public bool ZeroCopyEnabled => _zeroCopy;

    public override ValueTask<long> SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
        => _epoll.SendFileAsync(path, offset, count, cancellationToken);

    public override ValueTask<long> SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
        => _epoll.SendFileAsync(file, offset, count, cancellationToken);

    public override ValueTask<long> SendWithHeadersAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
        => _epoll.SendWithHeadersAsync(headers, body, trailers, cancellationToken);

    public override ValueTask<long> SendWithPinnedBodyAsync(PieceList headers, PinnedSendBatch body, PieceList trailers, CancellationToken cancellationToken)
        => _epoll.SendWithPinnedBodyAsync(headers, body, trailers, cancellationToken);

    public override ValueTask SendPinnedAsync(PinnedSendBatch batch, CancellationToken cancellationToken)
    {
        if (_auto)
        {
            return _epoll.SendPinnedAsync(batch, cancellationToken);
        }

        if (!_zeroCopy || !_settings.ReachesZeroCopyThreshold(batch.TotalLength))
        {
            // A copy: one synchronous sendmsg (the epoll engine's path) costs less than a ring round
            // trip (SQE, enter, CQE) and takes the bytes the same way (veth rig: IORING_OP_SEND was
            // 0.94x of it at 8-16 KiB). Bursts keep their copies in the ring, where they batch.
            return _epoll.SendPinnedCopyAsync(batch, _zeroCopy ? PinnedCopyReason.BelowThreshold : PinnedCopyReason.ZeroCopyOff, cancellationToken);
        }

        if (_epoll.AcquireSocketOrError(out bool added) is Exception e)
        {
            batch.Release();
            return new ValueTask(Task.FromException(e));
        }

        return SendAsync(batch, added, cancellationToken);
    }

    public override void BeginDispose()
    {
        _disposing = true;
        CancelPending();
        _released.Signal();
        _epoll.BeginDispose();
    }

    public override async ValueTask DisposeAsync()
    {
        BeginDispose();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref _outstanding) != 0 && deadline.Elapsed < _settings.DisposeTimeout)
        {
            // Disposal is rare: polling keeps the one-waiter release signal free for a send that may still run.
            await Task.Delay(5).ConfigureAwait(false);
        }

        // As the epoll engine does: what the kernel still holds after DisposeTimeout is abandoned and
        // its buffers quarantined (never reused). The pages stay safe for the kernel: it holds its own
        // references (registered slabs: the registration's; unregistered: the request's pins).
        if (_engine is not null)
        {
            foreach (IoUringSendRecord record in _engine.Abandon(this))
            {
                _statistics.AddZeroCopyAbandoned(record.Bytes);
                record.Batch!.Abandon();
            }
        }

        await _epoll.DisposeAsync().ConfigureAwait(false);
        FreeScratch();
    }

    /// <inheritdoc/>
    public void OnRequestCompleted(in IoUringSendRecord record, int result)
    {
        if (record.Batch is not null)
        {
            // A zero-copy request: the kernel holds only what it took.
            long accepted = Math.Max(result, 0);
            if (accepted < record.Bytes)
            {
                _statistics.AddPinnedInFlight(-(record.Bytes - accepted));
            }
        }

        if (!_burst)
        {
            _request.SetResult(result);
            return;
        }

        _slots[record.Index].Result = result;
        if (Interlocked.Decrement(ref _awaiting) == 0)
        {
            _request.SetResult(0);
        }
    }

    /// <inheritdoc/>
    public void OnReleased(in IoUringSendRecord record, bool copied)
    {
        if (record.Batch is PinnedSendBatch batch)
        {
            _statistics.AddPinnedInFlight(-record.Bytes);
            // A failed request (its error reached the sender) sent nothing: nothing to count.
            if (record.Bytes != 0 && _copied.ShouldSwitchToCopies(copied) && _zeroCopy)
            {
                _zeroCopy = false;
                _statistics.SetZeroCopyDisabledByCopied();
            }

            if (record.Bytes > 0)
            {
                _statistics.AddZeroCopyNotification();
                _statistics.AddZeroCopyCompleted(copied, record.Bytes);
                ZeroCopyStatistics.AddReleaseTime(record.StartTimestamp);
            }

            batch.Release();
        }

        Interlocked.Decrement(ref _outstanding);
        _released.Signal();
    }

    int IValueTaskSource<int>.GetResult(short token) => _request.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _request.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _request.OnCompleted(continuation, state, token, flags);

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(PinnedSendBatch batch, bool added, CancellationToken cancellationToken)
    {
        long total = batch.TotalLength;
        long sent = 0;
        bool isStream = _epoll.IsStream;
        bool zeroCopy = _zeroCopy && _settings.ReachesZeroCopyThreshold(total);
        PinnedCopyReason reason = _zeroCopy ? PinnedCopyReason.BelowThreshold : PinnedCopyReason.ZeroCopyOff;
        bool succeeded = false;
        try
        {
            if (total == 0 && isStream)
            {
                succeeded = true;
                return; // nothing to put in the stream
            }

            if (zeroCopy && NeedsRoom(total))
            {
                await WaitForRoomAsync(total, cancellationToken).ConfigureAwait(false);
            }

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_disposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(sent, total);
                }

                // Registered after the submit: a token cancelled in between cancels this request at once.
                ValueTask<int> request = Submit(batch, sent, total - sent, zeroCopy);
                int result;
                using (cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static s => ((IoUringSocketSender)s!).CancelPending(), this) : default)
                {
                    result = await request.ConfigureAwait(false);
                }

                if (result >= 0)
                {
                    if (zeroCopy)
                    {
                        _statistics.AddPinnedZeroCopy(result);
                    }
                    else
                    {
                        _statistics.AddPinnedCopied(result, reason);
                    }

                    sent += result;
                    if (!isStream || sent >= total)
                    {
                        break;
                    }

                    continue;
                }

                var errno = (Errno)(-result);
                if (!SendsAgain(errno, ref zeroCopy, ref reason))
                {
                    throw PosixErrors.Socket(errno, zeroCopy ? "io_uring send_zc" : "io_uring send");
                }

                // Again; the loop's top ends a send that was cancelled or disposed meanwhile.
            }

            succeeded = true;
        }
        catch (ZeroCopySocketException e) when (SocketHandleAccess.IsDisposed(_socket))
        {
            // Socket.Dispose shut the connection down under the send (we hold its handle).
            throw ThrowHelper.SocketClosedDuringSend(sent, total, e);
        }
        finally
        {
            if (succeeded)
            {
                _statistics.AddPinnedSendCall();
            }

            batch.Release();
            _epoll.ReleaseSocket(added);
        }
    }

    /// <summary>
    /// A burst of datagrams: every datagram still to send is one SQE (SEND_ZC from its registered
    /// slab at or above the threshold, else SEND), all of them in one io_uring_enter; the call
    /// waits for all their request CQEs, then resubmits, again together, the ones the kernel asks
    /// to retry (EAGAIN, a cancellation nobody asked for, ENOBUFS or EOPNOTSUPP as copies).
    /// </summary>
    public override ValueTask SendPinnedDatagramsAsync(PinnedSendBatch[] datagrams, int count, CancellationToken cancellationToken)
    {
        if (_auto)
        {
            return SendAutoBurst(datagrams, count, cancellationToken);
        }

        return SendBurstOnRing(datagrams, count, measuredCrossover: false, cancellationToken);
    }

    /// <summary>An Auto socket's burst: on the engine measured cheaper, or, while measuring, on the next engine to sample, timed.</summary>
    private ValueTask SendAutoBurst(PinnedSendBatch[] datagrams, int count, CancellationToken cancellationToken)
    {
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            bytes += datagrams[i].TotalLength;
        }

        int sizeClass = BurstEngineChoice.ClassOf(bytes, count);
        SendEngine engine = BurstEngineChoice.Next(sizeClass);
        if (engine == SendEngine.IoUring && _engine is null)
        {
            if (IoUringEngine.Shared is IoUringEngine ring)
            {
                _engine = ring;
            }
            else
            {
                BurstEngineChoice.IoUringUnavailable(IoUringEngine.FallbackReason ?? "the probe refused it");
                engine = SendEngine.Epoll;
            }
        }

        if (BurstEngineChoice.Choice(sizeClass) != SendEngine.Auto)
        {
            return engine == SendEngine.IoUring ? SendBurstOnRing(datagrams, count, measuredCrossover: true, cancellationToken) : _epoll.SendPinnedDatagramsAsync(datagrams, count, cancellationToken);
        }

        long start = ThreadCpuNanoseconds();
        ValueTask send = engine == SendEngine.IoUring ? SendBurstOnRing(datagrams, count, measuredCrossover: true, cancellationToken) : _epoll.SendPinnedDatagramsAsync(datagrams, count, cancellationToken);
        if (send.IsCompletedSuccessfully)
        {
            // Only a burst the kernel took at once: a wait would time the peer, not the engine.
            BurstEngineChoice.Record(sizeClass, engine, ThreadCpuNanoseconds() - start, bytes);
        }

        return send;
    }

    /// <summary>A burst on the ring (<see cref="SendBurstAsync"/>), after taking the socket's handle.</summary>
    /// <param name="datagrams">The datagrams; taken over.</param>
    /// <param name="count">How many.</param>
    /// <param name="cancellationToken">Cancels parked requests.</param>
    /// <param name="measuredCrossover">
    /// An Auto burst: every non-empty datagram goes as SEND_ZC, whatever PinnedZeroCopyThreshold says.
    /// That threshold is the crossover of one MSG_ZEROCOPY sendmsg per call; from registered memory, in
    /// a batch, zero-copy pays from much smaller datagrams (veth rig, AMD EPYC: 1.24-1.47x sendmmsg's
    /// zero-copy bursts at 8-32 KiB, against 0.9-1.05x when the ring copies below 32 KiB), and
    /// <see cref="BurstEngineChoice"/> compares this against the epoll engine per size class, so a
    /// class where it does not pay (tiny datagrams) stays on epoll.
    /// </param>
    private ValueTask SendBurstOnRing(PinnedSendBatch[] datagrams, int count, bool measuredCrossover, CancellationToken cancellationToken)
    {
        if (_epoll.AcquireSocketOrError(out bool added) is Exception e)
        {
            ReleaseDatagrams(datagrams, count);
            return new ValueTask(Task.FromException(e));
        }

        int threshold = measuredCrossover ? 1
            : _settings.PinnedZeroCopyThresholdIsFixed ? _settings.PinnedZeroCopyThreshold
            : BurstZeroCopyThreshold;
        return SendBurstAsync(datagrams, count, added, threshold, cancellationToken);
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendBurstAsync(PinnedSendBatch[] datagrams, int count, bool added, int threshold, CancellationToken cancellationToken)
    {
        if (_slots.Length < count)
        {
            // Grown once to the largest burst; a steady burst size allocates nothing.
            _slots = new DatagramSlot[Math.Max(count, 2 * _slots.Length)];
        }

        DatagramSlot[] slots = _slots;
        long zeroCopyBytes = 0;
        long totalBytes = 0;
        long sentBytes = 0;
        for (int i = 0; i < count; i++)
        {
            int length = datagrams[i].LengthOf(0);
            totalBytes += length;
            bool zeroCopy = _zeroCopy && length > 0 && length >= threshold;
            slots[i] = new DatagramSlot { ZeroCopy = zeroCopy, Reason = _zeroCopy ? PinnedCopyReason.BelowThreshold : PinnedCopyReason.ZeroCopyOff, State = DatagramState.ToSend };
            zeroCopyBytes += zeroCopy ? length : 0;
        }

        Errno failure = Errno.SUCCESS;
        string failedCall = string.Empty;
        int toSend = count;
        try
        {
            if (zeroCopyBytes > 0 && NeedsRoom(zeroCopyBytes))
            {
                await WaitForRoomAsync(zeroCopyBytes, cancellationToken).ConfigureAwait(false);
            }

            while (toSend > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_disposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(sentBytes, totalBytes);
                }

                ValueTask<int> requests = SubmitBurst(datagrams, count, toSend);
                using (cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static s => ((IoUringSocketSender)s!).CancelPending(), this) : default)
                {
                    _ = await requests.ConfigureAwait(false);
                }

                Volatile.Write(ref _slotsPublished, 0);
                for (int i = 0; i < count; i++)
                {
                    ref DatagramSlot slot = ref slots[i];
                    if (slot.State != DatagramState.Submitted)
                    {
                        continue;
                    }

                    slot.Token = 0;
                    int result = slot.Result;
                    if (result >= 0)
                    {
                        slot.State = DatagramState.Sent;
                        toSend--;
                        sentBytes += result;
                        if (slot.ZeroCopy)
                        {
                            _statistics.AddPinnedZeroCopy(result);
                        }
                        else
                        {
                            _statistics.AddPinnedCopied(result, slot.Reason);
                        }

                        _statistics.AddPinnedSendCall();
                        continue;
                    }

                    slot.State = DatagramState.ToSend;
                    if (!SendsAgain((Errno)(-result), ref slot.ZeroCopy, ref slot.Reason))
                    {
                        // This datagram failed; the others still go. The first failure is reported.
                        slot.State = DatagramState.Failed;
                        toSend--;
                        if (failure == Errno.SUCCESS)
                        {
                            failure = (Errno)(-result);
                            failedCall = slot.ZeroCopy ? "io_uring send_zc" : "io_uring send";
                        }
                    }
                }
            }
        }
        catch (ZeroCopySocketException e) when (SocketHandleAccess.IsDisposed(_socket))
        {
            throw ThrowHelper.SocketClosedDuringSend(sentBytes, totalBytes, e);
        }
        finally
        {
            Volatile.Write(ref _slotsPublished, 0);
            ReleaseDatagrams(datagrams, count);
            _epoll.ReleaseSocket(added);
        }

        if (failure != Errno.SUCCESS)
        {
            throw PosixErrors.Socket(failure, failedCall);
        }
    }

    /// <summary>
    /// Prepares one SQE per datagram still to send (in order) and enters once; the task completes
    /// with the last of their request CQEs, each result in its slot.
    /// </summary>
    private unsafe ValueTask<int> SubmitBurst(PinnedSendBatch[] datagrams, int count, int toSend)
    {
        _request.Reset();
        _burst = true;

        // Before the first SQE is published: another submitter's enter may issue it, and the
        // reaper complete it, before this thread has prepared the rest.
        Volatile.Write(ref _awaiting, toSend);
        DatagramSlot[] slots = _slots;
        for (int i = 0; i < count; i++)
        {
            ref DatagramSlot slot = ref slots[i];
            if (slot.State != DatagramState.ToSend)
            {
                continue;
            }

            PinnedSendBatch batch = datagrams[i];
            int length = batch.LengthOf(0);
            IoUringSendRecord record;
            int fixedIndex = -1;
            ushort ioprio = 0;
            if (slot.ZeroCopy)
            {
                batch.AddRef(); // the request's own hold, dropped by its notification
                _statistics.AddPinnedInFlight(length);
                record = new IoUringSendRecord(this, batch, length, i);
                ioprio = IORING_SEND_ZC_REPORT_USAGE;
                if (batch.SegmentOf(0) is PinnedSegment segment && (fixedIndex = _engine.FixedIndexOf(segment.Slab)) >= 0)
                {
                    ioprio |= IORING_RECVSEND_FIXED_BUF;
                }
            }
            else
            {
                record = new IoUringSendRecord(this, null, length, i);
            }

            Interlocked.Increment(ref _outstanding);
            slot.State = DatagramState.Submitted;
            slot.Result = 0;
            ulong token = _engine.Prepare(record, slot.ZeroCopy ? IORING_OP_SEND_ZC : IORING_OP_SEND, _epoll.Fd, batch.PointerOf(0), (uint)length, (uint)MSG_NOSIGNAL, ioprio, fixedIndex);
            Volatile.Write(ref slot.Token, token);
        }

        Volatile.Write(ref _slotsPublished, count);
        _engine.Flush();
        return AfterSubmit();
    }

    /// <summary>After a submit: a disposal that began meanwhile cancels what was just submitted; the task is the request(s)' completion.</summary>
    private ValueTask<int> AfterSubmit()
    {
        if (_disposing)
        {
            CancelPending();
        }

        short version = _request.Version;
        return _request.GetStatus(version) == ValueTaskSourceStatus.Pending
            ? new ValueTask<int>(this, version)
            : new ValueTask<int>(_request.GetResult(version));
    }

    /// <summary>
    /// Whether a request that failed with <paramref name="errno"/> sent nothing and goes again, and
    /// how: EINTR and EAGAIN as it was; ECANCELED as it was (nobody asked: the submitting thread
    /// exited; a cancellation or disposal that did ask is seen by the caller's loop before it
    /// resubmits); on SEND_ZC, EOPNOTSUPP (a socket type without zero-copy send: the socket copies from
    /// now on) and ENOBUFS (this request) as a copy. False: the request failed for good.
    /// </summary>
    private bool SendsAgain(Errno errno, ref bool zeroCopy, ref PinnedCopyReason reason)
    {
        switch (errno)
        {
            case Errno.EINTR:
            case Errno.EAGAIN:
            case Errno.ECANCELED:
                return true;
            case Errno.EOPNOTSUPP when zeroCopy:
                _zeroCopy = false;
                zeroCopy = false;
                reason = PinnedCopyReason.ZeroCopyOff;
                _statistics.SetZeroCopyOptInRefused();
                return true;
            case Errno.ENOBUFS when zeroCopy:
                _statistics.AddNoBufsFallback();
                zeroCopy = false;
                reason = PinnedCopyReason.NoBufs;
                return true;
            default:
                return false;
        }
    }

    private bool NeedsRoom(long bytes) => _statistics.PinnedBytesInFlight + bytes > _settings.MaxPinnedBytesInFlight;

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForRoomAsync(long needed, CancellationToken cancellationToken)
    {
        while (true)
        {
            int epoch = _released.Epoch;
            long inFlight = _statistics.PinnedBytesInFlight;
            if (inFlight == 0 || inFlight + needed <= _settings.MaxPinnedBytesInFlight)
            {
                return;
            }

            if (_disposing)
            {
                throw ThrowHelper.SocketDisposedDuringSend(0, needed);
            }

            _statistics.AddPinnedBackpressureWait();
            await _released.WaitAsync(epoch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Submits one request for <paramref name="requested"/> bytes of the batch from <paramref name="offset"/>; the task is its request CQE's result.</summary>
    private unsafe ValueTask<int> Submit(PinnedSendBatch batch, long offset, long requested, bool zeroCopy)
    {
        _request.Reset();
        _burst = false;
        IoUringSendRecord record;
        if (zeroCopy)
        {
            // The request's own hold on the batch: dropped by its notification.
            batch.AddRef();
            _statistics.AddPinnedInFlight(requested);
            record = new IoUringSendRecord(this, batch, requested);
        }
        else
        {
            record = new IoUringSendRecord(this, null, requested);
        }

        Interlocked.Increment(ref _outstanding);

        // Find the piece that holds byte `offset`.
        int piece = 0;
        long skip = offset;
        while (skip >= batch.LengthOf(piece) && piece < batch.Count - 1)
        {
            skip -= batch.LengthOf(piece);
            piece++;
        }

        ulong token;
        uint flags = (uint)MSG_NOSIGNAL;
        if (piece == batch.Count - 1 || batch.Count <= 1)
        {
            // The rest lies in one buffer: SEND_ZC (from its registered slab when it has one) or SEND.
            byte* address = batch.Count == 0 ? null : batch.PointerOf(piece) + skip;
            int fixedIndex = -1;
            ushort ioprio = 0;
            if (zeroCopy)
            {
                ioprio = IORING_SEND_ZC_REPORT_USAGE;
                if (batch.SegmentOf(piece) is PinnedSegment segment && (fixedIndex = _engine.FixedIndexOf(segment.Slab)) >= 0)
                {
                    ioprio |= IORING_RECVSEND_FIXED_BUF;
                }
            }

            token = _engine.Submit(record, zeroCopy ? IORING_OP_SEND_ZC : IORING_OP_SEND, _epoll.Fd, address, (uint)requested, flags, ioprio, fixedIndex);
        }
        else
        {
            // Several buffers: one sendmsg over all of them (unregistered: SENDMSG_ZC takes no fixed buffer).
            int count = batch.Count - piece;
            EnsureScratch(count);
            for (int i = 0; i < count; i++)
            {
                long start = i == 0 ? skip : 0;
                _iovecs[i].iov_base = batch.PointerOf(piece + i) + start;
                _iovecs[i].iov_len = (nuint)(batch.LengthOf(piece + i) - start);
            }

            *_msg = default;
            _msg->msg_iov = _iovecs;
            _msg->msg_iovlen = (nuint)count;
            token = _engine.Submit(record, zeroCopy ? IORING_OP_SENDMSG_ZC : IORING_OP_SENDMSG, _epoll.Fd, _msg, 1, flags, zeroCopy ? IORING_SEND_ZC_REPORT_USAGE : (ushort)0, -1);
        }

        Volatile.Write(ref _pendingToken, (long)token);
        return AfterSubmit();
    }

    /// <summary>Cancels the request in flight, or every request of a burst, if any (a stale token matches nothing).</summary>
    private void CancelPending()
    {
        long token = Volatile.Read(ref _pendingToken);
        if (token != 0)
        {
            _engine.Cancel((ulong)token);
        }

        DatagramSlot[] slots = _slots;
        int published = Math.Min(Volatile.Read(ref _slotsPublished), slots.Length);
        for (int i = 0; i < published; i++)
        {
            ulong slotToken = Volatile.Read(ref slots[i].Token);
            if (slotToken != 0)
            {
                _engine.Cancel(slotToken);
            }
        }
    }

    private unsafe void EnsureScratch(int count)
    {
        if (_msg == null)
        {
            _msg = (msghdr*)Marshal.AllocHGlobal(sizeof(msghdr));
        }

        if (count > _iovecCapacity)
        {
            int capacity = Math.Max(count, Math.Max(8, _iovecCapacity * 2));
            if (_iovecs != null)
            {
                Marshal.FreeHGlobal((IntPtr)_iovecs);
            }

            _iovecs = (iovec*)Marshal.AllocHGlobal(capacity * sizeof(iovec));
            _iovecCapacity = capacity;
        }
    }

    private unsafe void FreeScratch()
    {
        if (_msg != null)
        {
            Marshal.FreeHGlobal((IntPtr)_msg);
            _msg = null;
        }

        if (_iovecs != null)
        {
            Marshal.FreeHGlobal((IntPtr)_iovecs);
            _iovecs = null;
            _iovecCapacity = 0;
        }
    }

    private enum DatagramState : byte
    {
        ToSend,
        Submitted,
        Sent,
        Failed,
    }

    /// <summary>One datagram of a burst: its request's token (for cancellation), its result, and how it goes out.</summary>
    private struct DatagramSlot
    {
        public ulong Token;
        public int Result;
        public DatagramState State;
        public bool ZeroCopy;
        public PinnedCopyReason Reason;
    }
}
