using System;
using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;
using ZeroCopy.Net.Platform.Portable;
using static ZeroCopy.Net.Interop.Bsd;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>
/// The FreeBSD and macOS sender: file bodies go through sendfile(2) with an sf_hdtr carrying the
/// header and trailer iovecs, so a whole response is one call; the socket is corked with
/// TCP_NOPUSH while headers or trailers go with the file. Memory bodies and pinned sends stay on
/// the portable path it derives from.
/// </summary>
/// <remarks>
/// <para>The protocol, for a file window with headers and/or trailers:</para>
/// <code>
///   setsockopt(TCP_NOPUSH, 1)                    only when there are headers or trailers
///   sendfile(file, s, offset, ..., sf_hdtr)      EAGAIN/EINTR report the bytes sent so far:
///   ... resumed by SendfileProgress               headers advanced, file offset advanced, trailers
///   [writev(rest of the trailers)]                only if the kernel stopped inside them
///   setsockopt(TCP_NOPUSH, 0)                    pushes the tail; also on every failure or cancellation
/// </code>
/// <para>The descriptor is made O_NONBLOCK the way the Linux sender does it (toggling
/// <see cref="Socket.Blocking"/>); an EAGAIN waits on <see cref="KqueueReactor"/>, never on a blocked thread.</para>
/// </remarks>
[SupportedOSPlatform("freebsd")]
[SupportedOSPlatform("macos")]
internal sealed class BsdSocketSender : PortableSocketSender
{
    // Pieces of up to this many iovecs (headers and trailers together) build their iovec on the stack.
    private const int StackIovecs = 8;

    private readonly SafeHandle _socketHandle;
    private readonly int _fd;
    private readonly ReadinessSignal _writable = new();
    private ulong _registration;
    private ReadOnlyMemory<byte>[]? _sliceScratch;
    private MemoryHandle[]? _pinScratch;
    private iovec[]? _iovecScratch;

    /// <summary>Creates the sender for one connected socket and makes its descriptor non-blocking (invisibly to the application).</summary>
    public BsdSocketSender(Socket socket, ZeroCopyStatistics statistics, bool keepNagle)
        : base(socket, statistics, keepNagle)
    {
        _socketHandle = SocketHandleAccess.Get(socket);
        _fd = (int)_socketHandle.DangerousGetHandle();
        SocketHandleAccess.MakeDescriptorNonBlocking(socket);
    }

    /// <inheritdoc/>
    public override ZeroCopyCapabilities Capabilities =>
        ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.Cork | ZeroCopyCapabilities.AsyncReadiness;

    /// <inheritdoc/>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        SafeFileHandle file = BsdFile.OpenForRead(path, out IDisposable owner);
        try
        {
            long toSend = FileRange.Resolve(BsdFile.GetLength(file), offset, count);
            return await SendCoreAsync((int)file.DangerousGetHandle(), offset, toSend, PieceList.Empty, PieceList.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            owner.Dispose();
        }
    }

    /// <inheritdoc/>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
        bool added = false;
        try
        {
            // Keeps the descriptor from being closed (and its number reused) while the kernel reads it.
            file.DangerousAddRef(ref added);
            long toSend = FileRange.Resolve(BsdFile.GetLength(file), offset, count);
            return await SendCoreAsync((int)file.DangerousGetHandle(), offset, toSend, PieceList.Empty, PieceList.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <inheritdoc/>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendWithHeadersAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
    {
        if (body.Kind is not (SendBodyKind.FilePath or SendBodyKind.FileHandle))
        {
            return await base.SendWithHeadersAsync(headers, body, trailers, cancellationToken).ConfigureAwait(false);
        }

        EnsureNoDelay();
        bool owns = body.Kind == SendBodyKind.FilePath;
        IDisposable? owner = null;
        bool added = false;
        SafeFileHandle file = owns ? BsdFile.OpenForRead(body.Path, out owner) : body.Handle;
        try
        {
            if (!owns)
            {
                file.DangerousAddRef(ref added);
            }

            // The window is checked before the first header byte leaves.
            long toSend = FileRange.Resolve(BsdFile.GetLength(file), body.Offset, body.Count);
            long sent = await SendCoreAsync((int)file.DangerousGetHandle(), body.Offset, toSend, headers, trailers, cancellationToken).ConfigureAwait(false);
            PushTail();
            return sent;
        }
        finally
        {
            owner?.Dispose();
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>The sendfile loop: resumes exactly after every partial call, waits on the reactor for each EAGAIN, never leaves the socket corked.</summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendCoreAsync(int fileFd, long offset, long count, PieceList headers, PieceList trailers, CancellationToken cancellationToken)
    {
        bool addedSocketRef = AcquireSocket();
        bool corked = false;
        var progress = new SendfileProgress(headers.TotalLength, offset, count, trailers.TotalLength);
        long total = progress.Remaining;
        try
        {
            if (progress.HeaderLength + progress.TrailerLength > 0)
            {
                // Without the cork, a header sent ahead of the file, or the file's last partial
                // segment ahead of the trailer, could leave as a short segment of its own.
                ThrowIfFailed(BsdLibc.SetTcpOption(_fd, TCP_NOPUSH, 1), "setsockopt(TCP_NOPUSH, 1)");
                corked = true;
                Statistics.AddCorkedSend();
            }

            while (!progress.IsComplete)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (IsDisposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(progress.Sent, total);
                }

                int epoch = _writable.Epoch;
                SendfileProgress before = progress;
                long n = TrySend(fileFd, ref progress, headers, trailers, out Errno errno, out bool wasSendfile, out long offered);
                Count(before, progress);
                if (errno == Errno.SUCCESS)
                {
                    if (wasSendfile && n < offered)
                    {
                        // A sendfile that did not fail stopped early only at end of file: the file
                        // is shorter than when we measured it.
                        throw ThrowHelper.FileShrunk(progress.FileSent, count, offset);
                    }
                }
                else if (errno == Errno.EAGAIN)
                {
                    // Also after a partial call: the socket buffer is full either way.
                    await WaitWritableAsync(epoch, cancellationToken).ConfigureAwait(false);
                }
                else if (errno != Errno.EINTR)
                {
                    throw PosixErrors.Socket(errno, wasSendfile ? "sendfile" : "writev");
                }
            }

            if (corked)
            {
                // Clearing TCP_NOPUSH sends what it held.
                corked = false;
                ThrowIfFailed(BsdLibc.SetTcpOption(_fd, TCP_NOPUSH, 0), "setsockopt(TCP_NOPUSH, 0)");
            }

            return progress.Sent;
        }
        finally
        {
            if (corked)
            {
                // Never leave the socket corked: the peer should get what was sent before the failure.
                _ = BsdLibc.SetTcpOption(_fd, TCP_NOPUSH, 0);
            }

            ReleaseSocket(addedSocketRef);
        }
    }

    /// <summary>Counts the bytes one call moved by where they came from: file bytes as kernel sendfile, header and trailer bytes as vectored.</summary>
    private void Count(in SendfileProgress before, in SendfileProgress after)
    {
        long file = after.FileSent - before.FileSent;
        long memory = (after.HeaderSent - before.HeaderSent) + (after.TrailerSent - before.TrailerSent);
        if (file > 0)
        {
            Statistics.AddKernelSendFile(file);
        }

        if (memory > 0)
        {
            Statistics.AddVectoredSend(memory);
        }
    }

    /// <summary>
    /// One non-blocking call for the next step: sendfile with the rest of the headers and (when they
    /// fit in one sf_hdtr list) the trailers while file bytes remain, otherwise writev of what is
    /// left. Advances <paramref name="progress"/> by what the kernel took and returns that count.
    /// </summary>
    private unsafe long TrySend(int fileFd, ref SendfileProgress progress, PieceList headers, PieceList trailers, out Errno errno, out bool wasSendfile, out long offered)
    {
        int headCapacity = Math.Min(headers.Count, IOV_MAX);
        int tailCapacity = Math.Min(trailers.Count, IOV_MAX);
        int capacity = headCapacity + tailCapacity;
        ReadOnlyMemory<byte>[] slices = Scratch(ref _sliceScratch, capacity);
        MemoryHandle[] pins = Scratch(ref _pinScratch, capacity);
        iovec* stackIov = stackalloc iovec[StackIovecs];
        try
        {
            long n;
            if (progress.NeedsSendfile)
            {
                var head = new IovecCursor(new PieceSequence(headers));
                head.Advance(progress.HeaderSent);
                int headEntries = head.Gather(slices.AsSpan(0, headCapacity), out long headBytes, out bool allHeaders);
                if (!allHeaders)
                {
                    // More header pieces than one sf_hdtr list holds: send a window of them first.
                    wasSendfile = false;
                    offered = headBytes;
                    n = WritevSlices(stackIov, slices, pins, headEntries, out errno);
                }
                else
                {
                    var tail = new IovecCursor(new PieceSequence(trailers));
                    tail.Advance(progress.TrailerSent);
                    int tailEntries = tail.Gather(slices.AsSpan(headEntries, tailCapacity), out long tailBytes, out bool allTrailers);
                    if (!allTrailers)
                    {
                        // Too many trailer pieces for one list: writev sends them after the file.
                        tailEntries = 0;
                        tailBytes = 0;
                    }

                    wasSendfile = true;
                    offered = progress.HeaderRemaining + progress.FileRemaining + tailBytes;
                    n = SendfileSlices(stackIov, fileFd, progress, slices, pins, headEntries, tailEntries, out errno);
                }
            }
            else
            {
                // No file bytes left (or none at all): the rest of the headers, then the trailers.
                var rest = new IovecCursor(new PieceSequence(headers, default, trailers));
                rest.Advance(progress.HeaderSent + progress.TrailerSent);
                // One writev takes at most IOV_MAX entries; a longer rest simply takes several calls.
                int entries = rest.Gather(slices.AsSpan(0, Math.Min(capacity, IOV_MAX)), out offered, out _);
                wasSendfile = false;
                n = WritevSlices(stackIov, slices, pins, entries, out errno);
            }

            if (n > 0)
            {
                progress = progress.Advance(n);
            }

            return Math.Max(n, 0);
        }
        finally
        {
            for (int i = 0; i < capacity; i++)
            {
                pins[i].Dispose();
                pins[i] = default;

                // Do not keep the caller's memory reachable from a long-lived socket.
                slices[i] = default;
            }
        }
    }

    private unsafe long SendfileSlices(iovec* stackIov, int fileFd, in SendfileProgress progress, ReadOnlyMemory<byte>[] slices, MemoryHandle[] pins, int headEntries, int tailEntries, out Errno errno)
    {
        int entries = headEntries + tailEntries;
        if (entries <= StackIovecs)
        {
            return Sendfile(stackIov, fileFd, progress, slices, pins, headEntries, tailEntries, out errno);
        }

        iovec[] iovecs = Scratch(ref _iovecScratch, entries);
        fixed (iovec* iov = iovecs)
        {
            return Sendfile(iov, fileFd, progress, slices, pins, headEntries, tailEntries, out errno);
        }
    }

    private unsafe long Sendfile(iovec* iov, int fileFd, in SendfileProgress progress, ReadOnlyMemory<byte>[] slices, MemoryHandle[] pins, int headEntries, int tailEntries, out Errno errno)
    {
        Pin(iov, slices, pins, headEntries + tailEntries);
        sf_hdtr hdtr;
        // A NULL list with a zero count: a count of 0 with a non-NULL pointer is EINVAL on both OSes.
        hdtr.headers = headEntries == 0 ? null : iov;
        hdtr.hdr_cnt = headEntries;
        hdtr.trailers = tailEntries == 0 ? null : iov + headEntries;
        hdtr.trl_cnt = tailEntries;
        return BsdLibc.Sendfile(fileFd, _fd, progress.NextFileOffset, progress.FileRemaining,
            headEntries + tailEntries == 0 ? null : &hdtr, progress.HeaderRemaining, out errno);
    }

    private unsafe long WritevSlices(iovec* stackIov, ReadOnlyMemory<byte>[] slices, MemoryHandle[] pins, int entries, out Errno errno)
    {
        if (entries <= StackIovecs)
        {
            Pin(stackIov, slices, pins, entries);
            return BsdLibc.Writev(_fd, stackIov, entries, out errno);
        }

        iovec[] iovecs = Scratch(ref _iovecScratch, entries);
        fixed (iovec* iov = iovecs)
        {
            Pin(iov, slices, pins, entries);
            return BsdLibc.Writev(_fd, iov, entries, out errno);
        }
    }

    private static unsafe void Pin(iovec* iov, ReadOnlyMemory<byte>[] slices, MemoryHandle[] pins, int entries)
    {
        for (int i = 0; i < entries; i++)
        {
            pins[i] = slices[i].Pin();
            iov[i].iov_base = pins[i].Pointer;
            iov[i].iov_len = (nuint)slices[i].Length;
        }
    }

    private static T[] Scratch<T>(ref T[]? scratch, int capacity)
    {
        if (scratch is null || scratch.Length < capacity)
        {
            // Grows to the largest window this socket has needed (at most 2 * IOV_MAX entries) and is kept.
            scratch = new T[Math.Max(capacity, StackIovecs)];
        }

        return scratch;
    }

    /// <summary>Arms a one-shot EVFILT_WRITE knote and waits for it (or for disposal, which the next check surfaces).</summary>
    private ValueTask WaitWritableAsync(int observedEpoch, CancellationToken cancellationToken)
    {
        if (_registration == 0)
        {
            _registration = KqueueReactor.Shared.Register(_writable);
        }

        Errno errno = KqueueReactor.Shared.ArmWrite(_fd, _registration);
        if (errno != Errno.SUCCESS)
        {
            throw PosixErrors.Socket(errno, "kevent(EVFILT_WRITE, EV_ADD)");
        }

        Statistics.AddWouldBlockWait();
        return _writable.WaitAsync(observedEpoch, cancellationToken);
    }

    private static void ThrowIfFailed(Errno errno, string operation)
    {
        if (errno != Errno.SUCCESS)
        {
            throw PosixErrors.Socket(errno, operation);
        }
    }

    /// <summary>References the socket's handle for the length of one send (see LinuxSocketSender.AcquireSocket for why).</summary>
    private bool AcquireSocket() => SocketHandleAccess.Acquire(_socketHandle, Socket);

    private void ReleaseSocket(bool added) => SocketHandleAccess.Release(_socketHandle, added);

    /// <inheritdoc/>
    public override void BeginDispose()
    {
        base.BeginDispose();
        _writable.Signal();
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        _writable.Signal();
        if (_registration == 0)
        {
            return;
        }

        // Only EV_DELETE by number while we hold the descriptor open (see LinuxSocketSender.DisposeAsync);
        // closed first, closing removed the knote already.
        bool held = SocketHandleAccess.TryAcquire(_socketHandle, out bool added);
        try
        {
            KqueueReactor.Shared.Unregister(held ? _fd : -1, _registration);
        }
        finally
        {
            ReleaseSocket(added);
        }

        _registration = 0;
    }
}
