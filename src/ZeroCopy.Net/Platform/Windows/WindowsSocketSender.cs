using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;
using ZeroCopy.Net.Platform.Portable;
using static ZeroCopy.Net.Interop.Kernel32;
using static ZeroCopy.Net.Interop.Mswsock;
using static ZeroCopy.Net.Interop.Winsock2;

namespace ZeroCopy.Net.Platform.Windows;

/// <summary>
/// The Windows sender: file bodies go through TransmitFile (the kernel reads the file from the
/// system cache and sends it), with headers and trailers in its TRANSMIT_FILE_BUFFERS so the whole
/// response is one call. Memory bodies and pinned sends stay on the portable path it derives from.
/// </summary>
/// <remarks>
/// <para>Asynchronous without a blocked thread: each call gets an OVERLAPPED whose event has its
/// low-order bit set (no packet for the runtime's completion port), the thread pool's wait threads
/// watch the event (<see cref="WindowsTransmitState"/>), and WSAGetOverlappedResult reads the outcome.
/// Cancellation and disposal call CancelIoEx on that OVERLAPPED and then wait for the call to finish:
/// the kernel may use the buffers until it does.</para>
/// <para>A call moves at most <see cref="TRANSMITFILE_MAX_CHUNK"/> file bytes: longer windows take
/// several calls, the head on the first and the tail on the last. TransmitFile completes only when
/// everything it was given is sent, so a failure part-way reports the bytes of the calls that
/// completed, not a partial count.</para>
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed class WindowsSocketSender : PortableSocketSender
{
    private readonly SafeHandle _socketHandle;
    private WindowsTransmitState? _state;

    // 1 from just before TransmitFile until its completion was read: CancelIoEx is only aimed at a
    // call this sender started and has not finished with.
    private int _inFlight;

    /// <summary>Creates the sender for one connected socket; nothing native is allocated until its first TransmitFile.</summary>
    public WindowsSocketSender(Socket socket, ZeroCopyStatistics statistics, bool keepNagle)
        : base(socket, statistics, keepNagle)
    {
        _socketHandle = SocketHandleAccess.Get(socket);
    }

    /// <inheritdoc/>
    public override ZeroCopyCapabilities Capabilities => ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.Cork;

    /// <inheritdoc/>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        nint file = WindowsFile.OpenForRead(path);
        try
        {
            long toSend = FileRange.Resolve(WindowsFile.GetDiskFileLength(file, path), offset, count);
            return await TransmitAsync(file, offset, toSend, PieceList.Empty, PieceList.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            WindowsFile.Close(file);
        }
    }

    /// <inheritdoc/>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
        bool added = false;
        try
        {
            nint handle = WindowsFile.AddRef(file, ref added);
            long toSend = FileRange.Resolve(WindowsFile.GetDiskFileLength(handle, null), offset, count);
            return await TransmitAsync(handle, offset, toSend, PieceList.Empty, PieceList.Empty, cancellationToken).ConfigureAwait(false);
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
        // Memory bodies: the portable gather send. Heads or tails beyond a DWORD cannot go in
        // TRANSMIT_FILE_BUFFERS: the portable path sends them, counted as copied.
        if (body.Kind is not (SendBodyKind.FilePath or SendBodyKind.FileHandle)
            || headers.TotalLength + trailers.TotalLength > int.MaxValue)
        {
            return await base.SendWithHeadersAsync(headers, body, trailers, cancellationToken).ConfigureAwait(false);
        }

        EnsureNoDelay();
        bool owns = body.Kind == SendBodyKind.FilePath;
        bool added = false;
        nint file = owns ? WindowsFile.OpenForRead(body.Path) : WindowsFile.AddRef(body.Handle, ref added);
        try
        {
            // The window is checked before the first header byte leaves.
            long toSend = FileRange.Resolve(WindowsFile.GetDiskFileLength(file, owns ? body.Path : null), body.Offset, body.Count);
            long sent = await TransmitAsync(file, body.Offset, toSend, headers, trailers, cancellationToken).ConfigureAwait(false);
            PushTail();
            return sent;
        }
        finally
        {
            if (owns)
            {
                WindowsFile.Close(file);
            }
            else if (added)
            {
                body.Handle.DangerousRelease();
            }
        }
    }

    /// <summary>Head, file window and tail in as few TransmitFile calls as the chunk limit allows.</summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> TransmitAsync(nint file, long offset, long count, PieceList headers, PieceList trailers, CancellationToken cancellationToken)
    {
        bool addedSocketRef = AcquireSocket();
        try
        {
            WindowsTransmitState state = _state ??= new WindowsTransmitState();
            state.Gather(headers, trailers, out int headLength, out int tailLength);
            if (headLength + tailLength > 0)
            {
                Statistics.AddHeaderGatherCopied(headLength + tailLength);
            }

            long total = headLength + count + tailLength;
            long sent = 0;
            long fileSent = 0;
            bool first = true;
            while (TransmitFileCalls.TryGetNext(count, fileSent, first, headLength, tailLength, out uint chunk, out int head, out int tail))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (IsDisposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(sent, total);
                }

                // nNumberOfBytesToWrite 0 means "the whole file": an empty window passes no file at all.
                uint expected = (uint)head + chunk + (uint)tail;
                uint transferred = await TransmitOnceAsync(state, chunk == 0 ? 0 : file, offset + fileSent, chunk, head, headLength, tail, sent, total, cancellationToken).ConfigureAwait(false);
                if (transferred < expected)
                {
                    // TransmitFile stops at end of file: the file is shorter than when we measured it.
                    throw ThrowHelper.FileShrunk(sent + transferred, total, offset);
                }

                if (head + tail > 0)
                {
                    Statistics.AddVectoredSend(head + tail);
                }

                if (chunk > 0)
                {
                    Statistics.AddKernelSendFile(chunk);
                }

                sent += expected;
                fileSent += chunk;
                first = false;
            }

            return sent;
        }
        finally
        {
            ReleaseSocket(addedSocketRef);
        }
    }

    /// <summary>One TransmitFile call, awaited on its event. Returns the bytes the kernel reports as transferred.</summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<uint> TransmitOnceAsync(WindowsTransmitState state, nint file, long fileOffset, uint chunk, int head, int headTotal, int tail, long sent, long total, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _inFlight, 1);
        int started = Start(state, file, fileOffset, chunk, head, headTotal, tail);
        if (started != 0 && started != WSA_IO_PENDING)
        {
            Volatile.Write(ref _inFlight, 0);
            throw new SocketException(started);
        }

        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((WindowsSocketSender)s!).CancelInFlight(), this)
            : default;
        try
        {
            // Disposal that began after the loop's check has seen _inFlight == 0 or will cancel
            // this call itself; either way the call is cancelled (Interlocked.Exchange is a full fence).
            if (IsDisposing)
            {
                CancelInFlight();
            }

            while (true)
            {
                // Epoch before the poll: a completion signalled after an "incomplete" answer moves it.
                int epoch = state.Completed.Epoch;
                int result = Poll(state, out uint transferred);
                if (result == 0)
                {
                    return transferred;
                }

                if (result != WSA_IO_INCOMPLETE)
                {
                    throw Failure(result, sent, total, cancellationToken);
                }

                if (started == WSA_IO_PENDING)
                {
                    Statistics.AddWouldBlockWait();
                    started = 0;
                }

                // Never with the caller's token: the kernel owns the OVERLAPPED and the buffers until
                // the call completes, cancelled or not. The token cancels the call (CancelIoEx) instead.
                await state.Completed.WaitAsync(epoch, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            // Dispose waits for a running callback, so no CancelIoEx can reach the next call.
            registration.Dispose();
            Volatile.Write(ref _inFlight, 0);
        }
    }

    /// <summary>Issues TransmitFile. Returns 0 (completed at once), WSA_IO_PENDING, or the WSA error.</summary>
    private unsafe int Start(WindowsTransmitState state, nint file, long fileOffset, uint chunk, int head, int headTotal, int tail)
    {
        TRANSMIT_FILE_BUFFERS* buffers = state.Prepare(fileOffset, head, headTotal, tail);
        if (TransmitFile(_socketHandle.DangerousGetHandle(), file, chunk, 0, state.Overlapped, buffers, 0) != 0)
        {
            return 0;
        }

        return Marshal.GetLastWin32Error();
    }

    /// <summary>Reads the call's outcome without waiting: 0 with the byte count, WSA_IO_INCOMPLETE, or the WSA error.</summary>
    private unsafe int Poll(WindowsTransmitState state, out uint transferred)
    {
        uint bytes = 0;
        uint flags = 0;
        if (WSAGetOverlappedResult(_socketHandle.DangerousGetHandle(), state.Overlapped, &bytes, 0, &flags) != 0)
        {
            transferred = bytes;
            return 0;
        }

        transferred = 0;
        return Marshal.GetLastWin32Error();
    }

    private Exception Failure(int error, long sent, long total, CancellationToken cancellationToken)
    {
        if (error == WSA_OPERATION_ABORTED)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return new OperationCanceledException(cancellationToken);
            }

            if (IsDisposing)
            {
                return ThrowHelper.SocketDisposedDuringSend(sent, total);
            }
        }

        return new SocketException(error);
    }

    /// <summary>Cancels the call in flight, if any (from the token's callback or from disposal). The call then completes with WSA_OPERATION_ABORTED.</summary>
    private unsafe void CancelInFlight()
    {
        WindowsTransmitState? state = _state;
        if (state is null || Volatile.Read(ref _inFlight) == 0)
        {
            return;
        }

        // The socket is closed: closing it cancelled every call on it already.
        if (!SocketHandleAccess.TryAcquire(_socketHandle, out bool added))
        {
            return;
        }

        try
        {
            // ERROR_NOT_FOUND: the call completed meanwhile; nothing to do.
            _ = CancelIoEx(_socketHandle.DangerousGetHandle(), state.Overlapped);
        }
        finally
        {
            ReleaseSocket(added);
        }
    }

    /// <summary>References the socket's handle for the length of one send, like the runtime's own operations (see LinuxSocketSender.AcquireSocket).</summary>
    private bool AcquireSocket() => SocketHandleAccess.Acquire(_socketHandle, Socket);

    private void ReleaseSocket(bool added) => SocketHandleAccess.Release(_socketHandle, added);

    /// <inheritdoc/>
    public override void BeginDispose()
    {
        base.BeginDispose();
        CancelInFlight();
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);

        // The owner has waited for the running send, so no call is in flight.
        _state?.Dispose();
        _state = null;
    }
}
