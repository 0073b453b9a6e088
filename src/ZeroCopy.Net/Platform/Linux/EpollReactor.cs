using System;
using System.Collections.Concurrent;
using System.Threading;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>Receives readiness events for one registered socket, on the reactor thread.</summary>
internal interface IReadinessTarget
{
    /// <summary>Called on the reactor thread with the epoll event mask. Must not block.</summary>
    void OnReadiness(uint events);

    /// <summary>
    /// Called on the reactor thread when <see cref="OnReadiness"/> threw: the target must fail its
    /// socket's waiting and later sends with <paramref name="error"/>, not lose it. Must not throw.
    /// </summary>
    void OnFault(Exception error);
}

/// <summary>
/// The library's own readiness mechanism: one epoll instance and one background thread per process.
/// </summary>
/// <remarks>
/// Why our own, when the runtime has one: the runtime's SocketAsyncEngine never tells user code
/// that a socket became writable, and it never reads the error queue. We need both: a sendfile or
/// sendmsg that returned EAGAIN waits here for EPOLLOUT, and MSG_ZEROCOPY completions are read when
/// EPOLLERR says the error queue has entries.
///
/// Protocol:
/// - A socket registers once (lazily, on its first EAGAIN or when zero-copy is switched on) with
///   EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET. Edge-triggered, so an idle writable socket costs
///   nothing; each new edge (space freed, an error-queue entry queued, a hang-up) is reported once.
///   EPOLL_CTL_ADD reports current readiness at once, so registering after an EAGAIN cannot miss
///   the edge that happened before it.
/// - epoll_event.data carries a registration id, not a pointer: the dictionary lookup turns an
///   event that raced with unregistration into a no-op instead of a use-after-free.
/// - Targets do the minimum on this thread (bump an epoch, complete a waiter, drain the error
///   queue without blocking); user continuations run on the thread pool.
/// The runtime's own epoll also holds the socket and will see EPOLLERR while our error queue has
/// entries: that costs it a spurious wakeup, nothing more, because we drain the queue ourselves.
/// </remarks>
internal sealed unsafe class EpollReactor
{
    private const int MaxEvents = 256;

    private static readonly Lazy<EpollReactor> s_shared = new(() => new EpollReactor(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly int _epfd;
    private readonly ConcurrentDictionary<ulong, IReadinessTarget> _targets = new();
    private long _nextId;

    private EpollReactor()
    {
        _epfd = epoll_create1(EPOLL_CLOEXEC);
        if (_epfd < 0)
        {
            Errno errno = GetLastErrno();
            throw new InvalidOperationException($"epoll_create1 failed: errno {(int)errno} ({errno}).");
        }

        var thread = new Thread(static s => ((EpollReactor)s!).Run())
        {
            IsBackground = true,
            Name = "ZeroCopy.Net epoll reactor",
        };
#if NETSTANDARD2_0
        thread.Start(this);
#else
        // No ExecutionContext to flow into a process-lifetime thread.
        thread.UnsafeStart(this);
#endif
    }

    /// <summary>The process-wide reactor, created on first use.</summary>
    public static EpollReactor Shared => s_shared.Value;

    /// <summary>Registers <paramref name="fd"/>; returns the registration id, or 0 with <paramref name="errno"/> set.</summary>
    public ulong Register(int fd, IReadinessTarget target, out Errno errno)
        => Register(fd, target, EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET, out errno);

    /// <summary>Registers <paramref name="fd"/> for <paramref name="events"/>; returns the registration id, or 0 with <paramref name="errno"/> set.</summary>
    public ulong Register(int fd, IReadinessTarget target, uint events, out Errno errno)
    {
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        _targets[id] = target;
        if (!Control(EPOLL_CTL_ADD, fd, id, events, out errno))
        {
            _targets.TryRemove(id, out _);
            return 0;
        }

        return id;
    }

    /// <summary>
    /// Changes the events of a registration (EPOLL_CTL_MOD). The kernel checks readiness at once,
    /// so an edge that happened before the change is reported, not lost.
    /// </summary>
    public bool Modify(int fd, ulong id, uint events, out Errno errno) => Control(EPOLL_CTL_MOD, fd, id, events, out errno);

    /// <summary>
    /// Takes <paramref name="fd"/> out of the epoll set (EPOLL_CTL_DEL) but keeps its registration id, so
    /// <see cref="Reattach"/> can put it back under the same id: a socket out of the set has no entry in its
    /// wait queue, so the kernel's wake-ups for it (every freed UDP packet, every zero-copy completion) stop
    /// calling into epoll. Returns false with <paramref name="errno"/> set when the kernel refused.
    /// </summary>
    public bool Detach(int fd, out Errno errno) => Control(EPOLL_CTL_DEL, fd, 0, 0, out errno);

    /// <summary>Puts a <see cref="Detach"/>ed descriptor back (EPOLL_CTL_ADD) under its registration id; the kernel reports at once what is pending.</summary>
    public bool Reattach(int fd, ulong id, uint events, out Errno errno) => Control(EPOLL_CTL_ADD, fd, id, events, out errno);

    /// <summary>One epoll_ctl: <paramref name="events"/> and <paramref name="id"/> as the event's data (ignored by DEL).</summary>
    private bool Control(int op, int fd, ulong id, uint events, out Errno errno)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + EpollEventDataOffset) = id;
        if (epoll_ctl(_epfd, op, fd, ev) != 0)
        {
            errno = GetLastErrno();
            return false;
        }

        errno = Errno.SUCCESS;
        return true;
    }

    /// <summary>Removes a registration. Events already read for it are dropped by the id lookup.</summary>
    public void Unregister(int fd, ulong id)
    {
        if (id == 0)
        {
            return;
        }

        // ENOENT/EBADF here mean the socket was closed first, which removed it from the epoll set already.
        _ = Control(EPOLL_CTL_DEL, fd, 0, 0, out _);
        _targets.TryRemove(id, out _);
    }

    private void Run()
    {
        int stride = EpollEventSize;
        byte* events = stackalloc byte[MaxEvents * 16];
        while (true)
        {
            int n = epoll_wait(_epfd, events, MaxEvents, -1);
            if (n < 0)
            {
                Errno errno = GetLastErrno();
                if (errno != Errno.EINTR)
                {
                    // EBADF, EFAULT, EINVAL: the epoll instance itself is broken. Every parked send
                    // in the process would wait forever; a busy loop would burn a core. Fail the
                    // process loudly, as the runtime's SocketAsyncEngine does.
                    Environment.FailFast($"ZeroCopy.Net: epoll_wait on the reactor failed with errno {(int)errno} ({errno}); readiness can no longer be delivered.");
                }

                continue;
            }

            for (int i = 0; i < n; i++)
            {
                byte* ev = events + (i * stride);
                uint mask = *(uint*)ev;
                ulong id = *(ulong*)(ev + EpollEventDataOffset);
                if (_targets.TryGetValue(id, out IReadinessTarget? target))
                {
                    Deliver(target, mask);
                }
            }
        }
    }

    /// <summary>
    /// One event to one target. A target that throws (an epoll_ctl it makes fails, say) loses
    /// neither the error nor the reactor: its socket is failed with the exception, and every other
    /// socket in the process keeps getting its events. A target that cannot even take its fault
    /// leaves a socket that would hang: the process fails loudly.
    /// </summary>
    internal static void Deliver(IReadinessTarget target, uint mask)
    {
        try
        {
            target.OnReadiness(mask);
        }
#pragma warning disable CA1031 // Handed to the target's socket, not swallowed.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            try
            {
                target.OnFault(ex);
            }
#pragma warning disable CA1031 // Nothing is left to hand it to.
            catch (Exception fatal)
#pragma warning restore CA1031
            {
                Environment.FailFast($"ZeroCopy.Net: a readiness target failed ({ex.Message}) and could not take its fault.", fatal);
            }
        }
    }
}
