using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using System.Threading;
using System;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform.Portable;

/// <summary>
/// Reads the file into a pooled buffer and sends it with the BCL's <see cref="Socket"/>: what a
/// careful application would write by hand. No kernel zero-copy; every byte is counted in
/// <see cref="ZeroCopyStatistics.PortableCopiedBytes"/>.
/// </summary>
/// <remarks>
/// Not sealed: the Windows and BSD senders derive from it, replace the file paths with their
/// kernel calls and keep everything else (pinned sends, memory bodies) on this correct path.
/// </remarks>
internal partial class PortableSocketSender : SocketSender
{
    // Large enough that the syscall count stays low, small enough to stay out of the LOH pool's way.
    private const int ChunkSize = 64 * 1024;

    private readonly Socket _socket;
    private readonly ZeroCopyStatistics _statistics;

    // Cancelled by disposal: wakes a send blocked in Socket.SendAsync on a peer that reads nothing
    // (the Linux path is woken by the reactor instead). Never disposed: it has no timer to release.
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly bool _keepNagle;
    private volatile bool _disposing;

    /// <param name="socket">The connected socket.</param>
    /// <param name="statistics">The wrapper's counters.</param>
    /// <param name="keepNagle"><see cref="ZeroCopySocketOptions.KeepNagle"/>: push each header send's tail
    /// instead of turning Nagle off for good (ignored when the socket's Nagle is already off).</param>
    public PortableSocketSender(Socket socket, ZeroCopyStatistics statistics, bool keepNagle)
    {
        _socket = socket;
        _statistics = statistics;
        _keepNagle = keepNagle && IsTcp(socket) && !socket.NoDelay;
    }

    public override ZeroCopyCapabilities Capabilities => ZeroCopyCapabilities.None;

    /// <summary>The socket this sender writes to.</summary>
    protected Socket Socket => _socket;

    /// <summary>The counters of the <see cref="ZeroCopySocket"/> that owns this sender.</summary>
    protected ZeroCopyStatistics Statistics => _statistics;

    /// <summary>True once disposal has started; a send then stops at its next step.</summary>
    protected bool IsDisposing => _disposing;

    /// <summary>
    /// Sets TCP_NODELAY once per socket, so the last segment of a send with headers is never held by
    /// Nagle; with <see cref="ZeroCopySocketOptions.KeepNagle"/> it does nothing and <see cref="PushTail"/>
    /// pushes the tail at the end of each send instead.
    /// </summary>
    protected void EnsureNoDelay()
    {
        if (!_noDelaySet && !_keepNagle && IsTcp(_socket))
        {
            _socket.NoDelay = true;
            _noDelaySet = true;
        }
    }

    /// <summary>
    /// With <see cref="ZeroCopySocketOptions.KeepNagle"/>, at the end of a send with headers: setting
    /// TCP_NODELAY makes the kernel send what Nagle holds, and clearing it again keeps Nagle on for
    /// the application's other writes. Without it, a no-op (Nagle is already off).
    /// </summary>
    protected void PushTail()
    {
        if (_keepNagle)
        {
            _socket.NoDelay = true;
            _socket.NoDelay = false;
        }
    }

    // A Unix-domain stream has no Nagle (and rejects the option).
    private static bool IsTcp(Socket socket)
        => socket.SocketType == SocketType.Stream && socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;

    public override async ValueTask<long> SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
#if NETSTANDARD2_0
        using FileStream stream = PortableFile.OpenRead(path);
        long toSend = FileRange.Resolve(stream.Length, offset, count);
        return await CopyLoopAsync(stream, offset, toSend, cancellationToken).ConfigureAwait(false);
#else
        using SafeFileHandle handle = PortableFile.OpenHandle(path);
        return await SendFileAsync(handle, offset, count, cancellationToken).ConfigureAwait(false);
#endif
    }

    public override async ValueTask<long> SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
#if NETSTANDARD2_0
        // A non-owning wrapper: disposing the stream must not close the caller's handle. Note that
        // reading through it moves the handle's shared file position (netstandard2.0 has no pread).
        long toSend = FileRange.Resolve(PortableFile.GetLength(file), offset, count);
        using var stream = new FileStream(new SafeFileHandle(file.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
        return await CopyLoopAsync(stream, offset, toSend, cancellationToken).ConfigureAwait(false);
#else
        long toSend = FileRange.Resolve(PortableFile.GetLength(file), offset, count);
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkSize, Math.Max(toSend, 1)));

        // The caller's token and disposal both stop the send, even while the BCL waits for buffer space.
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposeCts.Token)
            : null;
        CancellationToken token = linked?.Token ?? _disposeCts.Token;
        long sent = 0;
        try
        {
            while (sent < toSend)
            {
                ThrowIfDisposing(sent, toSend);
                int want = (int)Math.Min(buffer.Length, toSend - sent);
                int read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, want), offset + sent, token).ConfigureAwait(false);
                if (read == 0)
                {
                    throw ThrowHelper.FileShrunk(sent, toSend, offset);
                }

                long before = _statistics.PortableCopiedBytes;
                try
                {
                    await SendAllAsync(buffer, read, token).ConfigureAwait(false);
                }
                finally
                {
                    // Count what went out even when the send is stopped part-way.
                    sent += _statistics.PortableCopiedBytes - before;
                }
            }

            return sent;
        }
        catch (OperationCanceledException) when (_disposing && !cancellationToken.IsCancellationRequested)
        {
            throw ThrowHelper.SocketDisposedDuringSend(sent, toSend);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException && !_disposing && SocketHandleAccess.IsDisposed(_socket))
        {
            throw ThrowHelper.SocketClosedDuringSend(sent, toSend, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
#endif
    }

#if NETSTANDARD2_0
    private async ValueTask<long> CopyLoopAsync(FileStream stream, long offset, long toSend, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkSize, Math.Max(toSend, 1)));
        long sent = 0;

        // The caller's token and disposal both stop the send, even while the BCL waits for buffer space.
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposeCts.Token);
        CancellationToken token = linked.Token;
        try
        {
            stream.Seek(offset, SeekOrigin.Begin);
            while (sent < toSend)
            {
                ThrowIfDisposing(sent, toSend);
                int want = (int)Math.Min(buffer.Length, toSend - sent);
                int read = await stream.ReadAsync(buffer, 0, want, token).ConfigureAwait(false);
                if (read == 0)
                {
                    throw ThrowHelper.FileShrunk(sent, toSend, offset);
                }

                await SendAllAsync(buffer, read, token).ConfigureAwait(false);
                sent += read;
            }

            return sent;
        }
        catch (OperationCanceledException) when (_disposing && !cancellationToken.IsCancellationRequested)
        {
            throw ThrowHelper.SocketDisposedDuringSend(sent, toSend);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException && !_disposing && SocketHandleAccess.IsDisposed(_socket))
        {
            throw ThrowHelper.SocketClosedDuringSend(sent, toSend, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
#endif

    private async ValueTask SendAllAsync(byte[] buffer, int length, CancellationToken cancellationToken)
    {
        int offset = 0;
        while (offset < length)
        {
#if NETSTANDARD2_0
            cancellationToken.ThrowIfCancellationRequested();
            int n = await AbortableAsync(_socket.SendAsync(new ArraySegment<byte>(buffer, offset, length - offset), SocketFlags.None), cancellationToken).ConfigureAwait(false);
#else
            int n = await _socket.SendAsync(buffer.AsMemory(offset, length - offset), SocketFlags.None, cancellationToken).ConfigureAwait(false);
#endif
            offset += n;
            _statistics.AddPortableCopied(n);
        }
    }

    /// <summary>
    /// Awaits a BCL send that takes no token (the gather overload, and every send on netstandard2.0)
    /// so that <paramref name="token"/> still ends it promptly: when the token fires while the send
    /// waits for buffer space, the socket is shut down (both ways), which completes the pending
    /// send with an error on every runtime. The stream is cut short either way, as it is when the
    /// kernel path is cancelled mid-send; the shutdown only makes it visible at once.
    /// </summary>
    private async Task<int> AbortableAsync(Task<int> send, CancellationToken token)
    {
        if (send.IsCompleted || !token.CanBeCanceled)
        {
            return await send.ConfigureAwait(false);
        }

        using (token.Register(static state => ((PortableSocketSender)state!).AbortPendingSend(), this))
        {
            try
            {
                return await send.ConfigureAwait(false);
            }
            catch (Exception e) when (token.IsCancellationRequested && e is SocketException or ObjectDisposedException)
            {
                throw new OperationCanceledException("The send was cancelled while it waited for buffer space; the socket was shut down.", e, token);
            }
        }
    }

    private void AbortPendingSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already shut down or reset: the pending send fails on its own.
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: the pending send was aborted with it.
        }
    }

    private void ThrowIfDisposing(long sent, long requested)
    {
        if (_disposing)
        {
            throw ThrowHelper.SocketDisposedDuringSend(sent, requested);
        }
    }

    /// <inheritdoc/>
    public override void BeginDispose()
    {
        _disposing = true;
        _disposeCts.Cancel();
    }

    public override ValueTask DisposeAsync()
    {
        BeginDispose();
        return default;
    }

    private readonly List<ArraySegment<byte>> _segments = new();
    private long _gatherSent;
    private ReadOnlyMemory<byte>[]? _sliceScratch;
    private bool _noDelaySet;

    /// <summary>
    /// SendWithHeadersAsync through the BCL: header and trailer pieces go in one gather send
    /// (<c>Socket.SendAsync(IList&lt;ArraySegment&lt;byte&gt;&gt;, SocketFlags)</c>), a memory body in the same
    /// gather send, a file body through the copy loop. No cork exists here, so the socket gets
    /// <see cref="Socket.NoDelay"/> once, as on Linux, and the tail is never held by Nagle.
    /// </summary>
    public override async ValueTask<long> SendWithHeadersAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
    {
        EnsureNoDelay();
        if (body.Kind is not (SendBodyKind.FilePath or SendBodyKind.FileHandle))
        {
            long gathered = await SendGatherAsync(new PieceSequence(headers, body.Memory, trailers), cancellationToken).ConfigureAwait(false);
            PushTail();
            return gathered;
        }

        long sent;
#if NETSTANDARD2_0
        // A non-owning wrapper for a caller's handle: disposing the stream must not close it.
        using (FileStream stream = body.Kind == SendBodyKind.FilePath
            ? PortableFile.OpenRead(body.Path)
            : new FileStream(new SafeFileHandle(body.Handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1))
        {
            // The window is checked before the first header byte leaves.
            long toSend = FileRange.Resolve(body.Kind == SendBodyKind.FilePath ? stream.Length : PortableFile.GetLength(body.Handle), body.Offset, body.Count);
            sent = await SendGatherAsync(new PieceSequence(headers), cancellationToken).ConfigureAwait(false);
            sent += await CopyLoopAsync(stream, body.Offset, toSend, cancellationToken).ConfigureAwait(false);
        }
#else
        bool owns = body.Kind == SendBodyKind.FilePath;
        SafeFileHandle handle = owns
            ? PortableFile.OpenHandle(body.Path)
            : body.Handle;
        try
        {
            // The window is checked before the first header byte leaves.
            long toSend = FileRange.Resolve(PortableFile.GetLength(handle), body.Offset, body.Count);
            sent = await SendGatherAsync(new PieceSequence(headers), cancellationToken).ConfigureAwait(false);
            sent += await SendFileAsync(handle, body.Offset, toSend, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (owns)
            {
                handle.Dispose();
            }
        }
#endif
        sent += await SendGatherAsync(new PieceSequence(trailers), cancellationToken).ConfigureAwait(false);
        PushTail();
        return sent;
    }

    /// <summary>Gather-sends the pieces with the BCL, resuming after a short send at the exact byte.</summary>
    private async ValueTask<long> SendGatherAsync(PieceSequence pieces, CancellationToken cancellationToken)
    {
        var cursor = new IovecCursor(pieces);
        long total = cursor.Remaining;
        int capacity = Math.Min(pieces.Count, Interop.Linux.UIO_MAXIOV);
        if (_sliceScratch is null || _sliceScratch.Length < capacity)
        {
            _sliceScratch = new ReadOnlyMemory<byte>[capacity];
        }

        ReadOnlyMemory<byte>[] slices = _sliceScratch;

        // The caller's token and disposal both stop the send, even while the BCL waits for buffer space.
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposeCts.Token)
            : null;
        CancellationToken token = linked?.Token ?? _disposeCts.Token;
        try
        {
            return await GatherLoopAsync(cursor, slices, capacity, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposing && !cancellationToken.IsCancellationRequested)
        {
            throw ThrowHelper.SocketDisposedDuringSend(_gatherSent, total);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException && !_disposing && SocketHandleAccess.IsDisposed(_socket))
        {
            throw ThrowHelper.SocketClosedDuringSend(_gatherSent, total, e);
        }
    }

    private async ValueTask<long> GatherLoopAsync(IovecCursor cursor, ReadOnlyMemory<byte>[] slices, int capacity, CancellationToken token)
    {
        long total = cursor.Remaining;
        _gatherSent = 0;
        while (!cursor.IsComplete)
        {
            token.ThrowIfCancellationRequested();
            ThrowIfDisposing(total - cursor.Remaining, total);
            int entries = cursor.Gather(slices.AsSpan(0, capacity), out _, out _);
            byte[]?[]? copies = null;
            try
            {
                _segments.Clear();
                for (int i = 0; i < entries; i++)
                {
                    if (MemoryMarshal.TryGetArray(slices[i], out ArraySegment<byte> segment))
                    {
                        _segments.Add(segment);
                    }
                    else
                    {
                        // Native or manager-backed memory: the BCL's list send takes arrays only.
                        copies ??= new byte[]?[entries];
                        byte[] copy = ArrayPool<byte>.Shared.Rent(slices[i].Length);
                        copies[i] = copy;
                        slices[i].Span.CopyTo(copy);
                        _segments.Add(new ArraySegment<byte>(copy, 0, slices[i].Length));
                    }
                }

                int n = await AbortableAsync(_socket.SendAsync(_segments, SocketFlags.None), token).ConfigureAwait(false);
                cursor.Advance(n);
                _gatherSent += n;
                _statistics.AddPortableCopied(n);
            }
            finally
            {
                _segments.Clear();
                slices.AsSpan(0, entries).Clear();
                if (copies is not null)
                {
                    foreach (byte[]? copy in copies)
                    {
                        if (copy is not null)
                        {
                            ArrayPool<byte>.Shared.Return(copy);
                        }
                    }
                }
            }
        }

        return total;
    }
}
