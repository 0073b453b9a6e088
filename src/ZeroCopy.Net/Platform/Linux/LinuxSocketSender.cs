using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// The Linux sender for one socket: non-blocking syscalls on the socket's descriptor, and a wait
/// on <see cref="EpollReactor"/> only when the kernel says EAGAIN.
/// </summary>
/// <remarks>
/// The descriptor must be O_NONBLOCK. The runtime keeps a socket's descriptor non-blocking once it
/// has been switched (it then emulates blocking for synchronous calls), so toggling
/// <see cref="Socket.Blocking"/> off and back on makes the descriptor non-blocking without changing
/// what the application sees.
/// </remarks>
internal sealed partial class LinuxSocketSender : SocketSender, IReadinessTarget
{
    // UIO_FASTIOV: the kernel's own on-stack iovec count. Vectored sends of up to this many pieces
    // build their iovec on the stack; larger ones use one per-socket scratch array (sends are serialised).
    private const int StackIovecs = 8;

    private readonly Socket _socket;
    private readonly SafeHandle _socketHandle;
    private readonly int _fd;
    private readonly ZeroCopyStatistics _statistics;
    private readonly ReadinessSignal _writable = new();
    private ulong _registration;

    // Written by disposal on any thread, read by the send loop after every wakeup.
    private volatile bool _disposing;

    public LinuxSocketSender(Socket socket, ZeroCopySocketOptions options, ZeroCopyStatistics statistics)
    {
        _ = options;
        _socket = socket;
        _statistics = statistics;
        _socketHandle = SocketHandleAccess.Get(socket);
        _fd = (int)_socketHandle.DangerousGetHandle();
        SocketHandleAccess.MakeDescriptorNonBlocking(socket);
    }

    public override ZeroCopyCapabilities Capabilities =>
        ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.AsyncReadiness | PinnedCapabilities;

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        int fileFd = LinuxFile.OpenForRead(path);
        try
        {
            long toSend = FileRange.Resolve(LinuxFile.GetRegularFileLength(fileFd, path), offset, count);
            return await SendFileCoreAsync(fileFd, offset, toSend, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            LinuxFile.Close(fileFd);
        }
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
        bool added = false;
        try
        {
            // Keeps the descriptor from being closed (and its number reused) while the kernel reads it.
            file.DangerousAddRef(ref added);
            int fileFd = (int)file.DangerousGetHandle();
            long toSend = FileRange.Resolve(LinuxFile.GetRegularFileLength(fileFd, null), offset, count);
            return await SendFileCoreAsync(fileFd, offset, toSend, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>The sendfile loop: as many non-blocking calls as it takes, waiting on the reactor for each EAGAIN.</summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendFileCoreAsync(int fileFd, long offset, long count, CancellationToken cancellationToken)
    {
        bool addedSocketRef = AcquireSocket();
        try
        {
            long sent = 0;
            while (sent < count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_disposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(sent, count);
                }

                int epoch = _writable.Epoch;
                long n = TrySendFile(fileFd, offset + sent, count - sent, out Errno errno);
                if (n > 0)
                {
                    sent += n;
                    _statistics.AddKernelSendFile(n);
                }
                else if (n == 0)
                {
                    // sendfile returns 0 only at end of file: the file is shorter than when we checked it.
                    throw ThrowHelper.FileShrunk(sent, count, offset);
                }
                else if (errno == Errno.EAGAIN)
                {
                    await WaitWritableAsync(epoch, cancellationToken).ConfigureAwait(false);
                }
                else if (errno != Errno.EINTR)
                {
                    throw LinuxErrors.Socket(errno, "sendfile");
                }
            }

            return sent;
        }
        finally
        {
            ReleaseSocket(addedSocketRef);
        }
    }

    /// <summary>
    /// Takes a reference on the socket's handle for the length of one send; every path that issues
    /// syscalls on <see cref="_fd"/> brackets them with this and <see cref="ReleaseSocket"/>.
    /// </summary>
    /// <remarks>
    /// Like the runtime's own socket operations, hold a reference on the socket's handle for the
    /// whole send. Without it, Socket.Dispose closes the descriptor at once: the kernel drops it
    /// from our epoll set (a parked send would never wake) and may hand its number to a new
    /// socket that the next sendfile would write to. With the reference held, Socket.Dispose
    /// shuts the connection down instead and waits for us; the shutdown wakes a parked send
    /// (EPOLLHUP) and the next sendfile fails it.
    /// </remarks>
    private bool AcquireSocket() => SocketHandleAccess.Acquire(_socketHandle, _socket);

    /// <summary>Like <see cref="AcquireSocket"/>, for callers that must not throw (the reactor thread): false once the socket is closed.</summary>
    private bool TryAcquireSocket(out bool added) => SocketHandleAccess.TryAcquire(_socketHandle, out added);

    private void ReleaseSocket(bool added) => SocketHandleAccess.Release(_socketHandle, added);

    private unsafe long TrySendFile(int fileFd, long offset, long remaining, out Errno errno)
    {
        long position = offset;
        nint n = sendfile(_fd, fileFd, &position, (nuint)Math.Min(remaining, SENDFILE_MAX_CHUNK));
        errno = n < 0 ? GetLastErrno() : Errno.SUCCESS;
        return n;
    }

    /// <summary>Waits for the reactor to report writability (or an error/hang-up, which the next syscall will surface).</summary>
    private ValueTask WaitWritableAsync(int observedEpoch, CancellationToken cancellationToken)
    {
        EnsureRegistered();
        _statistics.AddWouldBlockWait();
        return _writable.WaitAsync(observedEpoch, cancellationToken);
    }

    private void EnsureRegistered()
    {
        if (_registration != 0)
        {
            EnsureWriteInterest();
            return;
        }

        _registration = EpollReactor.Shared.Register(_fd, this, out Errno errno);
        if (_registration == 0)
        {
            throw LinuxErrors.Socket(errno, "epoll_ctl(EPOLL_CTL_ADD)");
        }
    }

    void IReadinessTarget.OnReadiness(uint events)
    {
        OnZeroCopyReadiness(events);
        _writable.Signal();
    }

    public override void BeginDispose()
    {
        _disposing = true;
        _writable.Signal();
        BeginDisposeZeroCopy();
    }

    public override async ValueTask DisposeAsync()
    {
        BeginDispose();

        // While still registered: completions arrive through EPOLLERR and our own drains.
        await DisposeZeroCopyAsync().ConfigureAwait(false);

        // Only EPOLL_CTL_DEL by number while we hold the descriptor open: once the Socket is closed,
        // closing removed it from the epoll set already and the number may belong to another socket
        // (whose registration a DEL would silently remove). Closed first: fd -1 makes epoll_ctl fail
        // harmlessly (EBADF), and the reactor still forgets the registration id.
        bool held = TryAcquireSocket(out bool added);
        try
        {
            EpollReactor.Shared.Unregister(held ? _fd : -1, _registration);
        }
        finally
        {
            ReleaseSocket(added);
        }

        _registration = 0;
    }
}
