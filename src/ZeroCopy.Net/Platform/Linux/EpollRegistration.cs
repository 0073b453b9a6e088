using System;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// Everything about one socket's place in <see cref="EpollReactor"/>: whether and how it is
/// registered, which events are armed, the writability signal a send waits on, and the idle drain
/// that stands in for the reactor while a zero-copy sender is busy. The only code that calls
/// epoll_ctl for a socket.
/// </summary>
/// <remarks>
/// <para>Two modes, switched once:</para>
/// <list type="bullet">
/// <item><b>Edge-triggered</b> (file and header sends): registered lazily on the first EAGAIN with
/// EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET, and never touched again. EPOLL_CTL_ADD reports the
/// current state at once, so registering after the EAGAIN cannot miss the edge before it.</item>
/// <item><b>One-shot</b>, from the first MSG_ZEROCOPY send on: EPOLLERR | EPOLLONESHOT, plus EPOLLOUT
/// only while a send waits for writability (every freed UDP packet would be an EPOLLOUT edge). A
/// completion per send would otherwise wake the reactor once per send, and on a small machine that
/// costs all of zero-copy's gain. When the one-shot event finds the sender busy (a pinned send ran
/// since the last look) it is not re-armed: a 1 ms timer drains instead until the sender has gone
/// idle (its period doubles from 1 ms to <see cref="MaxIdlePeriodMs"/> while the sender stays busy), then re-arms,
/// so buffers come back without help once the application stops sending.</item>
/// </list>
/// <para>Arming state (armed, EPOLLOUT wanted, the idle timer) is one small set of fields under one
/// lock; only the reactor thread, the idle timer and a send that is about to wait take it, never a
/// send that the kernel takes at once.</para>
/// </remarks>
internal sealed class EpollRegistration : IReadinessTarget, IDisposable
{
    private readonly int _fd;
    private readonly ZeroCopyStatistics _statistics;
    private ulong _id;
    private ZeroCopyChannel? _completions;

    // Set by the reactor when handling an event for this socket threw; every later step fails with it.
    private volatile Exception? _fault;

    // Arming of the one-shot registration; all under _armLock.
    private readonly object _armLock = new();
    private bool _oneShot;
    private bool _armed;
    private bool _wantWrite;

    // Out of the epoll set (EPOLL_CTL_DEL) while the sender is busy, the registration id kept; ArmLocked puts it back.
    private bool _detached;
    private Timer? _idleTimer;
    private int _idleTimerScheduled;
    private int _idlePeriodMs = 1;

    /// <summary>The longest the idle timer waits between two looks at a busy sender.</summary>
    internal const int MaxIdlePeriodMs = 16;

    // Written by the sender on every pinned send (one at a time), read by the reactor and the idle
    // timer: a count, not a clock, because reading the clock on every send costs more than the
    // check it serves. The reader keeps the count it saw last under _armLock.
    private volatile bool _senderActive;
    private int _sendsEnded;
    private int _sendsObserved;

    public EpollRegistration(int fd, ZeroCopyStatistics statistics)
    {
        _fd = fd;
        _statistics = statistics;
    }

    /// <summary>Writability (or an error or hang-up, which the next syscall surfaces). Read <see cref="ReadinessSignal.Epoch"/> before the syscall that may say EAGAIN.</summary>
    public ReadinessSignal Writable { get; } = new();

    /// <summary>Why the reactor could not serve this socket, or null. The send runner fails every step with it.</summary>
    public Exception? Fault => _fault;

    /// <summary>Waits for the reactor to report writability after an EAGAIN seen at <paramref name="observedEpoch"/>.</summary>
    public ValueTask WaitWritableAsync(int observedEpoch, CancellationToken cancellationToken)
    {
        if (_id == 0)
        {
            _id = EpollReactor.Shared.Register(_fd, this, EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET, out Errno errno);
            if (_id == 0)
            {
                throw PosixErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_ADD)");
            }
        }
        else if (_oneShot)
        {
            // One-shot disarms after each event: arm EPOLLOUT for this wait.
            lock (_armLock)
            {
                _wantWrite = true;
                ArmLocked();
            }
        }

        _statistics.AddWouldBlockWait();
        return Writable.WaitAsync(observedEpoch, cancellationToken);
    }

    /// <summary>
    /// From the first MSG_ZEROCOPY send on: one-shot EPOLLERR so that completions reach
    /// <paramref name="completions"/> even while the application sends nothing. A socket already
    /// registered edge-triggered (an earlier send waited for writability) is switched over: left as
    /// it was, the reactor would never drain its error queue.
    /// </summary>
    public void SwitchToOneShot(ZeroCopyChannel completions)
    {
        const uint events = EPOLLERR | EPOLLONESHOT;
        Errno errno;
        lock (_armLock)
        {
            _completions = completions;
            if (_id == 0)
            {
                _id = EpollReactor.Shared.Register(_fd, this, events, out errno);
                if (_id == 0)
                {
                    throw PosixErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_ADD)");
                }
            }
            else if (!EpollReactor.Shared.Modify(_fd, _id, events, out errno))
            {
                throw PosixErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_MOD)");
            }

            _oneShot = true;
            _armed = true;
            _idleTimer = new Timer(static s => ((EpollRegistration)s!).OnIdleTimer(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>Before a wait for completions (room): let the reactor deliver the next one at once.</summary>
    public void ArmForCompletions()
    {
        if (!_oneShot)
        {
            return;
        }

        lock (_armLock)
        {
            if (!_armed)
            {
                ArmLocked();
            }
        }
    }

    /// <summary>A pinned send begins: the idle detection sees a busy sender.</summary>
    public void NoteSendStarted() => _senderActive = true;

    /// <summary>A pinned send ended, however it ended.</summary>
    public void NoteSendEnded()
    {
        Volatile.Write(ref _sendsEnded, _sendsEnded + 1);
        _senderActive = false;
    }

    void IReadinessTarget.OnReadiness(uint events)
    {
        ZeroCopyChannel? completions = _completions;
        if (_oneShot && completions is not null)
        {
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
                _ = completions.Drain();
            }

            RearmOrDefer(completions);
        }

        Writable.Signal();
    }

    void IReadinessTarget.OnFault(Exception error)
    {
        _fault = error;
        Writable.Signal();
        _completions?.WakeRoomWaiter();
    }

    /// <summary>
    /// Removes the registration. Only by number while the descriptor is held open: once the Socket
    /// is closed, closing removed it from the epoll set already and the number may belong to
    /// another socket (whose registration a DEL would silently remove); pass -1 then, which fails
    /// harmlessly (EBADF) while the reactor still forgets the registration id.
    /// </summary>
    public void Unregister(int fdOrMinusOne)
    {
        Dispose();
        EpollReactor.Shared.Unregister(fdOrMinusOne, _id);
        _id = 0;
    }

    /// <summary>Stops the idle drain (<see cref="Unregister"/> does this first).</summary>
    public void Dispose()
    {
        lock (_armLock)
        {
            _idleTimer?.Dispose();
            _idleTimer = null;
        }
    }

    /// <summary>EPOLL_CTL_MOD re-arms the one-shot registration; the kernel reports at once what is already pending, so nothing is missed.</summary>
    private void ArmLocked()
    {
        uint events = EPOLLERR | EPOLLONESHOT | (_wantWrite ? EPOLLOUT : 0);
        Errno errno;
        if (_detached)
        {
            // Out of the set while the sender was busy: back in (ADD reports what is pending, like MOD).
            // EBADF: closed under us, nothing to arm (as for MOD below); EEXIST: still in the set, so MOD.
            if (EpollReactor.Shared.Reattach(_fd, _id, events, out errno) || errno == Errno.EBADF)
            {
                _detached = false;
                _armed = true;
                return;
            }

            if (errno != Errno.EEXIST)
            {
                throw PosixErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_ADD)");
            }

            _detached = false;
        }

        if (!EpollReactor.Shared.Modify(_fd, _id, events, out errno) && errno != Errno.EBADF && errno != Errno.ENOENT)
        {
            throw PosixErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_MOD)");
        }

        _armed = true;
    }

    /// <summary>Under _armLock: whether a send is running or ended since the last look (the idle timer looks every 1-16 ms).</summary>
    private bool SenderRecentlyActiveLocked()
    {
        int ended = Volatile.Read(ref _sendsEnded);
        bool active = _senderActive || ended != _sendsObserved;
        _sendsObserved = ended;
        return active;
    }

    /// <summary>After a drain by the reactor or the idle timer: hand completions back to the reactor when the sender is idle, else poll again soon.</summary>
    private void RearmOrDefer(ZeroCopyChannel completions)
    {
        lock (_armLock)
        {
            if (_armed || completions.Closed)
            {
                return;
            }

            // While the sender is busy, the timer polls, whether or not sends are outstanding right
            // now: with completions as fast as sends (a device that frees packets at once), "nothing
            // outstanding" is true after almost every drain, and re-arming then would wake the
            // reactor every few sends, the pattern the one-shot registration exists to avoid.
            if (_wantWrite || !SenderRecentlyActiveLocked())
            {
                _idlePeriodMs = 1;
                ArmLocked();
                return;
            }

            // The busy sender drains every few sends itself; the timer only has to notice when it stops.
            // Each tick wakes a thread-pool worker, which then spins for work (LowLevelLifoSemaphore,
            // sched_yield) before it sleeps: at one tick per millisecond that was 6-7% of the CPU of a
            // sender on the veth rig (2 vCPUs). So the period doubles while the sender stays busy, up to
            // MaxIdlePeriodMs, and is 1 ms again once it went idle: completions that arrive after the
            // last send wait at most that long for the reactor.
            // And while it is busy the socket leaves the epoll set (EPOLL_CTL_DEL; back in with ADD when it
            // goes idle or a send waits): disarmed but registered, it still had an entry in the socket's
            // wait queue, and every packet the kernel freed (sock_wfree) and every completion it queued woke
            // that queue into ep_poll_callback, 5-7% of a 32 KiB sender's CPU on the veth rig. One
            // epoll_ctl per busy period, not per send.
            if (!_detached)
            {
                _detached = EpollReactor.Shared.Detach(_fd, out _);
            }

            if (_idleTimer is not null && Interlocked.CompareExchange(ref _idleTimerScheduled, 1, 0) == 0)
            {
                _ = _idleTimer.Change(_idlePeriodMs, Timeout.Infinite);
                _idlePeriodMs = Math.Min(_idlePeriodMs * 2, MaxIdlePeriodMs);
            }
        }
    }

    private void OnIdleTimer()
    {
        Volatile.Write(ref _idleTimerScheduled, 0);
        ZeroCopyChannel? completions = _completions;
        if (completions is null || completions.Closed)
        {
            return;
        }

        _ = completions.Drain();
        RearmOrDefer(completions);
    }
}
