using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// SendWithHeadersAsync on Linux.
/// </summary>
/// <remarks>
/// <para>The protocol, for a file body larger than <see cref="HeaderSendTuning.SmallFileThreshold"/>:</para>
/// <code>
///   [setsockopt(TCP_CORK, 1)]           only when trailers follow the body
///   sendmsg(header iovec, MSG_MORE)     the kernel queues the header without sending a short segment
///   sendfile(file) ...                  its last chunk is pushed (the kernel sets MSG_MORE on every chunk but the last)
///   [sendmsg(trailer iovec)]
///   [setsockopt(TCP_CORK, 0)]           pushes the tail; also on every failure or cancellation
/// </code>
/// <para>Why cork only with trailers: sendfile(2) on a socket cannot be told that more follows (the
/// splice flag SPLICE_F_MORE is not reachable through sendfile), so its last chunk is always pushed.
/// Without trailers that is exactly right and MSG_MORE on the header suffices (2 syscalls); with
/// trailers the pushed chunk would leave as a short segment before them, so TCP_CORK holds it.</para>
/// <para>Small file bodies are read into one array with the headers and trailers and sent with one
/// sendmsg (LinuxSocketSender.SmallBody.cs); memory bodies go in the same sendmsg as the headers and
/// trailers, as iovec entries: one syscall for the whole response. Pinned bodies: see
/// LinuxSocketSender.PinnedBody.cs. Every exit pushes what MSG_MORE held back: TCP_NODELAY is set on
/// the socket once (see <see cref="TailPushMode"/>), and a failed send re-asserts it, which makes the
/// kernel push pending frames.</para>
/// </remarks>
internal sealed partial class LinuxSocketSender
{
    private ReadOnlyMemory<byte>[]? _sliceScratch;
    private MemoryHandle[]? _pinScratch;
    private iovec[]? _iovecScratch;
    private bool _noDelaySet;

    public override ValueTask<long> SendWithHeadersAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
        => body.Kind switch
        {
            SendBodyKind.FileHandle when body.Count is long count && IsSmallBodyResponse(headers, count, trailers)
                => SendSmallFileHandleResponse(headers, body.Handle, body.Offset, (int)count, trailers, cancellationToken),
            SendBodyKind.FilePath or SendBodyKind.FileHandle => SendWithHeadersCoreAsync(headers, body, trailers, cancellationToken),
            _ => SendMemoryResponse(headers, body.Memory, trailers, cancellationToken),
        };

    /// <summary>
    /// A small file body from a handle, with the count given: no statx, no async state machine
    /// when the socket takes the response at once (the common case of a static-file server that
    /// keeps its files open and knows their lengths).
    /// </summary>
    private ValueTask<long> SendSmallFileHandleResponse(PieceList headers, SafeFileHandle file, long offset, int count, PieceList trailers, CancellationToken cancellationToken)
        => WithSocketHeld(
            (headers, file, offset, count, trailers),
            static (sender, a, ct) =>
            {
                // Keeps the descriptor from being closed (and its number reused) while pread reads it;
                // the body is in memory once SendSmallFileResponse returns, so the file is let go then.
                bool addedFileRef = false;
                try
                {
                    a.file.DangerousAddRef(ref addedFileRef);
                    return sender.SendSmallFileResponse(a.headers, (int)a.file.DangerousGetHandle(), a.offset, a.count, a.trailers, windowChecked: false, null, ct);
                }
                finally
                {
                    if (addedFileRef)
                    {
                        a.file.DangerousRelease();
                    }
                }
            },
            cancellationToken);

    /// <summary>
    /// Holds the socket's descriptor (and sets TCP_NODELAY once) around a send that usually completes
    /// synchronously: released at once when it did, when it ends otherwise. Exceptions come back as a
    /// faulted task, as from an async method.
    /// </summary>
    private ValueTask<long> WithSocketHeld<TState>(TState state, Func<LinuxSocketSender, TState, CancellationToken, ValueTask<long>> send, CancellationToken cancellationToken)
    {
        bool addedSocketRef = false;
        ValueTask<long> started;
        try
        {
            addedSocketRef = AcquireSocket();
            SetNoDelayOnce();
            started = send(this, state, cancellationToken);
        }
        catch (Exception e)
        {
            ReleaseSocket(addedSocketRef);
            return new ValueTask<long>(Task.FromException<long>(e));
        }

        if (started.IsCompleted)
        {
            ReleaseSocket(addedSocketRef);
            return started;
        }

        return ReleaseSocketWhenDoneAsync(started, addedSocketRef);
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> ReleaseSocketWhenDoneAsync(ValueTask<long> send, bool addedSocketRef)
    {
        try
        {
            return await send.ConfigureAwait(false);
        }
        finally
        {
            ReleaseSocket(addedSocketRef);
        }
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendWithHeadersCoreAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
    {
        bool addedSocketRef = AcquireSocket();
        try
        {
            SetNoDelayOnce();
            switch (body.Kind)
            {
                case SendBodyKind.FilePath:
                    return await SendFileBodyAsync(headers, body.Path, body.Offset, body.Count, trailers, cancellationToken).ConfigureAwait(false);
                default:
                    return await SendFileBodyAsync(headers, body.Handle, body.Offset, body.Count, trailers, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ReleaseSocket(addedSocketRef);
        }
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendFileBodyAsync(PieceList headers, string path, long offset, long? count, PieceList trailers, CancellationToken cancellationToken)
    {
        int fileFd = LinuxFile.OpenForRead(path);
        try
        {
            long toSend = FileRange.Resolve(LinuxFile.GetRegularFileLength(fileFd, path), offset, count);
            return await SendFileBodyCoreAsync(headers, fileFd, offset, toSend, trailers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            LinuxFile.Close(fileFd);
        }
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendFileBodyAsync(PieceList headers, SafeFileHandle file, long offset, long? count, PieceList trailers, CancellationToken cancellationToken)
    {
        bool added = false;
        try
        {
            // Keeps the descriptor from being closed (and its number reused) while the kernel reads it.
            file.DangerousAddRef(ref added);
            int fileFd = (int)file.DangerousGetHandle();
            long toSend = FileRange.Resolve(LinuxFile.GetRegularFileLength(fileFd, null), offset, count);
            return await SendFileBodyCoreAsync(headers, fileFd, offset, toSend, trailers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    private ValueTask<long> SendFileBodyCoreAsync(PieceList headers, int fileFd, long offset, long toSend, PieceList trailers, CancellationToken cancellationToken)
    {
        if (toSend > HeaderSendTuning.SmallFileThreshold)
        {
            return SendLargeFileBodyAsync(headers, fileFd, offset, toSend, trailers, cancellationToken);
        }

        return IsSmallBodyResponse(headers, toSend, trailers)
            ? SendSmallFileResponse(headers, fileFd, offset, (int)toSend, trailers, windowChecked: true, null, cancellationToken)
            : SendSmallFileBodyAsync(headers, fileFd, offset, (int)toSend, trailers, cancellationToken);
    }

    /// <summary>Reads a small body into a pooled buffer and sends header, body and trailer in one sendmsg.</summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendSmallFileBodyAsync(PieceList headers, int fileFd, long offset, int count, PieceList trailers, CancellationToken cancellationToken)
    {
        byte[]? buffer = count == 0 ? null : ArrayPool<byte>.Shared.Rent(count);
        try
        {
            if (buffer is not null)
            {
                ReadWindow(fileFd, buffer, 0, offset, count, windowChecked: true, null);
                _statistics.AddSmallFileCopied(count);
            }

            var body = new ReadOnlyMemory<byte>(buffer, 0, count);
            return await SendPiecesWithTailPush(new PieceSequence(headers, body, trailers), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendLargeFileBodyAsync(PieceList headers, int fileFd, long offset, long count, PieceList trailers, CancellationToken cancellationToken)
    {
        bool corked = false;
        try
        {
            if (HeaderSendTuning.AlwaysCork || trailers.TotalLength > 0)
            {
                SetTcpOption(TCP_CORK, 1, "setsockopt(TCP_CORK, 1)");
                corked = true;
                _statistics.AddCorkedSend();
            }

            long sent = await SendPiecesAsync(new PieceSequence(headers), moreFollows: true, cancellationToken).ConfigureAwait(false);
            sent += await SendFileCoreAsync(fileFd, offset, count, cancellationToken).ConfigureAwait(false);
            sent += await SendPiecesAsync(new PieceSequence(trailers), moreFollows: false, cancellationToken).ConfigureAwait(false);
            if (corked)
            {
                corked = false;
                SetTcpOption(TCP_CORK, 0, "setsockopt(TCP_CORK, 0)");
            }

            PushTail();
            return sent;
        }
        catch
        {
            PushAfterFailure(corked);
            throw;
        }
    }

    /// <summary>
    /// On a failed or cancelled header send: never leave the socket corked, nor bytes held back by
    /// MSG_MORE. The caller will most likely close the connection, and the peer should get what was
    /// sent before the failure. Best effort: the socket may already be gone.
    /// </summary>
    private void PushAfterFailure(bool corked)
    {
        if (corked)
        {
            _ = TrySetTcpOption(TCP_CORK, 0);
        }

        _ = TrySetTcpOption(TCP_NODELAY, 1);
        if (HeaderSendTuning.TailPush == TailPushMode.TogglePerSend)
        {
            _ = TrySetTcpOption(TCP_NODELAY, 0);
        }
    }

    /// <summary>The first header send on a socket sets TCP_NODELAY and leaves it (see <see cref="TailPushMode"/>).</summary>
    private void SetNoDelayOnce()
    {
        if (HeaderSendTuning.TailPush == TailPushMode.NoDelayOnce && !_noDelaySet)
        {
            SetTcpOption(TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)");
            _noDelaySet = true;
        }
    }

    /// <summary>
    /// A whole response as one vectored send, its first sendmsg made synchronously (no state machine
    /// when the socket takes everything), then the tail pushed. On failure nothing is left held back.
    /// </summary>
    private ValueTask<long> SendPiecesWithTailPush(PieceSequence pieces, CancellationToken cancellationToken)
    {
        try
        {
            var cursor = new IovecCursor(pieces);
            long total = cursor.Remaining;
            int? waitEpoch = cursor.IsComplete ? null : SendPiecesStep(ref cursor, pieces.Count, total, moreFollows: false, cancellationToken);
            if (cursor.IsComplete)
            {
                PushTail();
                return new ValueTask<long>(total);
            }

            return PushTailWhenDoneAsync(SendPiecesFromAsync(pieces.Count, cursor, total, moreFollows: false, waitEpoch, cancellationToken));
        }
        catch
        {
            PushAfterFailure(corked: false);
            throw;
        }
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> PushTailWhenDoneAsync(ValueTask<long> rest)
    {
        try
        {
            long sent = await rest.ConfigureAwait(false);
            PushTail();
            return sent;
        }
        catch
        {
            PushAfterFailure(corked: false);
            throw;
        }
    }

    /// <summary>The vectored send loop: as many sendmsg calls as it takes, resuming at the exact byte after a partial write.</summary>
    private ValueTask<long> SendPiecesAsync(PieceSequence pieces, bool moreFollows, CancellationToken cancellationToken)
    {
        var cursor = new IovecCursor(pieces);
        return SendPiecesFromAsync(pieces.Count, cursor, cursor.Remaining, moreFollows, waitEpoch: null, cancellationToken);
    }

    /// <summary>
    /// The vectored send loop from where <paramref name="cursor"/> stands (after a synchronous first
    /// step, first waiting for <paramref name="waitEpoch"/> when that step met EAGAIN). Returns <paramref name="total"/>.
    /// </summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendPiecesFromAsync(int pieceCount, IovecCursor cursor, long total, bool moreFollows, int? waitEpoch, CancellationToken cancellationToken)
    {
        if (waitEpoch is int firstEpoch)
        {
            await WaitWritableAsync(firstEpoch, cancellationToken).ConfigureAwait(false);
        }

        while (!cursor.IsComplete)
        {
            if (SendPiecesStep(ref cursor, pieceCount, total, moreFollows, cancellationToken) is int epoch)
            {
                await WaitWritableAsync(epoch, cancellationToken).ConfigureAwait(false);
            }
        }

        return total;
    }

    /// <summary>
    /// One step of the vectored send loop: checks cancellation and disposal, makes one non-blocking
    /// sendmsg of the cursor's next window and advances the cursor past what the kernel took.
    /// Returns the readiness epoch to wait for after EAGAIN, else null; throws on any other error.
    /// </summary>
    private int? SendPiecesStep(ref IovecCursor cursor, int pieceCount, long total, bool moreFollows, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_disposing)
        {
            throw ThrowHelper.SocketDisposedDuringSend(total - cursor.Remaining, total);
        }

        int epoch = _writable.Epoch;
        long n = TrySendPieces(ref cursor, pieceCount, moreFollows, out Errno errno);
        if (n >= 0)
        {
            cursor.Advance(n);
            _statistics.AddVectoredSend(n);
            return null;
        }

        if (errno == Errno.EAGAIN)
        {
            return epoch;
        }

        if (errno != Errno.EINTR)
        {
            throw LinuxErrors.Socket(errno, "sendmsg");
        }

        return null;
    }

    /// <summary>One non-blocking sendmsg of the cursor's next window (at most UIO_MAXIOV entries). Returns the bytes taken, or -1 with <paramref name="errno"/>.</summary>
    private unsafe long TrySendPieces(ref IovecCursor cursor, int pieceCount, bool moreFollows, out Errno errno)
    {
        int capacity = Math.Min(pieceCount, UIO_MAXIOV);
        ReadOnlyMemory<byte>[] slices = Scratch(ref _sliceScratch, capacity);
        MemoryHandle[] pins = Scratch(ref _pinScratch, capacity);
        int entries = cursor.Gather(slices.AsSpan(0, capacity), out _, out bool isLastWindow);

        // MSG_MORE on every window but the last, and on the last too when a body or trailer follows.
        int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (moreFollows || !isLastWindow ? MSG_MORE : 0);
        try
        {
            if (entries <= StackIovecs)
            {
                iovec* iov = stackalloc iovec[StackIovecs];
                return SendIovecs(iov, slices, pins, entries, flags, out errno);
            }

            iovec[] iovecs = Scratch(ref _iovecScratch, capacity);
            fixed (iovec* iov = iovecs)
            {
                return SendIovecs(iov, slices, pins, entries, flags, out errno);
            }
        }
        finally
        {
            for (int i = 0; i < entries; i++)
            {
                pins[i].Dispose();
                pins[i] = default;

                // Do not keep the caller's memory reachable from a long-lived socket.
                slices[i] = default;
            }
        }
    }

    private unsafe long SendIovecs(iovec* iov, ReadOnlyMemory<byte>[] slices, MemoryHandle[] pins, int entries, int flags, out Errno errno)
    {
        for (int i = 0; i < entries; i++)
        {
            pins[i] = slices[i].Pin();
            iov[i].iov_base = pins[i].Pointer;
            iov[i].iov_len = (nuint)slices[i].Length;
        }

        msghdr msg = default;
        msg.msg_iov = iov;
        msg.msg_iovlen = (nuint)entries;
        nint n = sendmsg(_fd, &msg, flags);
        errno = n < 0 ? GetLastErrno() : Errno.SUCCESS;
        return n;
    }

    private static T[] Scratch<T>(ref T[]? scratch, int capacity)
    {
        if (scratch is null || scratch.Length < capacity)
        {
            // Grows to the largest window this socket has needed (at most UIO_MAXIOV entries) and is kept.
            scratch = new T[Math.Max(capacity, StackIovecs)];
        }

        return scratch;
    }

    /// <summary>Makes sure nothing is left waiting for Nagle or MSG_MORE once the last byte is handed over.</summary>
    private void PushTail()
    {
        if (HeaderSendTuning.TailPush == TailPushMode.TogglePerSend)
        {
            // Setting TCP_NODELAY pushes pending frames at once (tcp_push_pending_frames); clearing it
            // again restores Nagle for the application's own sends.
            SetTcpOption(TCP_NODELAY, 1, "setsockopt(TCP_NODELAY, 1)");
            SetTcpOption(TCP_NODELAY, 0, "setsockopt(TCP_NODELAY, 0)");
        }
    }

    private void SetTcpOption(int option, int value, string operation)
    {
        Errno errno = TrySetTcpOption(option, value);
        if (errno != Errno.SUCCESS)
        {
            throw LinuxErrors.Socket(errno, operation);
        }
    }

    private unsafe Errno TrySetTcpOption(int option, int value)
        => setsockopt(_fd, IPPROTO_TCP, option, &value, sizeof(int)) == 0 ? Errno.SUCCESS : GetLastErrno();
}
