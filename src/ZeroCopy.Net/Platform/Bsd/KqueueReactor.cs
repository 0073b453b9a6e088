using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Bsd;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>
/// The BSD counterpart of <c>EpollReactor</c>: one kqueue and one background thread per process,
/// waking the <see cref="ReadinessSignal"/> of a socket whose sendfile or writev said EAGAIN.
/// </summary>
/// <remarks>
/// Why our own: the runtime's kqueue engine never tells user code that a socket became writable.
/// Protocol:
/// - A socket gets a registration id once (no kernel call). Each time a send says EAGAIN it arms
///   one EVFILT_WRITE knote with EV_ADD | EV_ONESHOT and the id in udata. Adding a knote checks
///   readiness at once, so a socket that became writable between the EAGAIN and the arming fires
///   at once: the edge cannot be missed. One-shot: the knote is gone after it fires, so an idle
///   writable socket costs nothing. The signal's epoch (read before the syscall) covers the rest.
/// - udata carries an id, not a pointer: an event that raced with unregistration is a dictionary
///   miss, not a use-after-free.
/// - EV_EOF and EV_ERROR wake the waiter too; its next syscall surfaces the error.
/// - Closing a descriptor removes its knotes, so a closed socket leaves nothing behind.
/// </remarks>
internal sealed unsafe class KqueueReactor
{
    private const int MaxEvents = 256;

    private static readonly Lazy<KqueueReactor> s_shared = new(() => new KqueueReactor(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly int _kq;
    private readonly ConcurrentDictionary<ulong, ReadinessSignal> _targets = new();
    private long _nextId;

    private KqueueReactor()
    {
        _kq = BsdLibc.Kqueue();
        if (_kq < 0)
        {
            Errno errno = GetLastErrno();
            throw new InvalidOperationException($"kqueue failed: errno {(int)errno} ({errno}).");
        }

        var thread = new Thread(static s => ((KqueueReactor)s!).Run())
        {
            IsBackground = true,
            Name = "ZeroCopy.Net kqueue reactor",
        };
#if NETSTANDARD2_0
        thread.Start(this);
#else
        // No ExecutionContext to flow into a process-lifetime thread.
        thread.UnsafeStart(this);
#endif
    }

    /// <summary>The process-wide reactor, created on first use.</summary>
    public static KqueueReactor Shared => s_shared.Value;

    /// <summary>Gives <paramref name="signal"/> a registration id (no kernel call yet).</summary>
    public ulong Register(ReadinessSignal signal)
    {
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        _targets[id] = signal;
        return id;
    }

    /// <summary>Arms one EVFILT_WRITE one-shot knote for <paramref name="fd"/>. Returns SUCCESS or the errno.</summary>
    public Errno ArmWrite(int fd, ulong id) => Change(fd, id, EV_ADD | EV_ONESHOT);

    /// <summary>Removes a registration: the knote if still armed (ENOENT when it fired already), then the id.</summary>
    /// <param name="fd">The socket's descriptor while the caller holds it open, or -1 once the socket is closed (closing removed the knote).</param>
    /// <param name="id">The id from <see cref="Register"/>.</param>
    public void Unregister(int fd, ulong id)
    {
        if (id == 0)
        {
            return;
        }

        if (fd >= 0)
        {
            _ = Change(fd, id, EV_DELETE);
        }

        _targets.TryRemove(id, out _);
    }

    private Errno Change(int fd, ulong id, ushort flags)
    {
        byte* change = stackalloc byte[sizeof(kevent_freebsd)];
        new Span<byte>(change, sizeof(kevent_freebsd)).Clear();
        var common = (kevent_macos*)change;
        common->ident = (nuint)fd;
        common->filter = EVFILT_WRITE;
        common->flags = flags;
        common->udata = (void*)id;
        return BsdLibc.Kevent(_kq, change, 1, null, 0) < 0 ? GetLastErrno() : Errno.SUCCESS;
    }

    private void Run()
    {
        int stride = BsdLibc.KeventSize;
        byte* events = stackalloc byte[MaxEvents * sizeof(kevent_freebsd)];
        while (true)
        {
            int n = BsdLibc.Kevent(_kq, null, 0, events, MaxEvents);
            if (n < 0)
            {
                Errno errno = GetLastErrno();
                Debug.Assert(errno == Errno.EINTR, $"kevent failed: {errno}");
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                // The first 32 bytes are laid out alike on both OSes (see kevent_macos).
                var ev = (kevent_macos*)(events + (i * stride));
                if (_targets.TryGetValue((ulong)ev->udata, out ReadinessSignal? signal))
                {
                    signal.Signal();
                }
            }
        }
    }
}
