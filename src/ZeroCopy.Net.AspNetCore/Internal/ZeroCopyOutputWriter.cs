using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.AspNetCore.Internal;

/// <summary>
/// The connection's output: the <see cref="PipeWriter"/> Kestrel writes responses into. It buffers in pooled arrays
/// and sends at each flush on the caller's own flush, through <see cref="ZeroCopySocket.SendWithHeadersAsync(ReadOnlyMemory{ReadOnlyMemory{byte}}, SendBody, ReadOnlyMemory{ReadOnlyMemory{byte}}, CancellationToken)"/>
/// (one vectored sendmsg for everything buffered); no pipe and no send loop sit between Kestrel and the socket.
/// </summary>
/// <remarks>
/// <para><b>File ranges.</b> Because this writer owns the output byte stream, it can be told that the next N bytes of
/// that stream are a file range (<see cref="TryBeginFile"/>). From then on the next N bytes committed to it are
/// placeholders: <see cref="GetMemory"/> hands out a shared scratch array that nobody reads, and
/// <see cref="Advance"/> counts them down without buffering anything. The flush that follows sends what was buffered
/// before the range (the response head) with MSG_MORE and the range itself with sendfile(2), in order. The
/// placeholders are committed through Kestrel's own response writer (<c>HttpProtocol.Advance</c>), so Kestrel's
/// Content-Length accounting counts them as the body bytes they stand for: the response is complete in Kestrel's
/// eyes and on the wire. See docs/aspnetcore.md.</para>
/// <para><b>Concurrency.</b> Kestrel wraps a transport's output in its ConcurrentPipeWriter, so writes never overlap a
/// pending flush and flushes never overlap each other. This writer still takes a lock around its buffer and refuses an
/// overlapping flush rather than interleave bytes.</para>
/// <para><b>Failures.</b> A send that fails (the peer reset the connection, the connection was aborted) marks the
/// writer dead and aborts the connection; that flush and every later one return
/// <see cref="FlushResult.IsCompleted"/> and drop what is written, as the socket transport's pipe does once its
/// reader is gone. A flush cancelled by its token while its bytes were being sent tears the stream: the connection
/// is aborted and the flush throws <see cref="OperationCanceledException"/>.</para>
/// </remarks>
internal sealed class ZeroCopyOutputWriter : PipeWriter
{
    /// <summary>The scratch array placeholders are "written" into: the most one GetMemory hands out for them.</summary>
    internal const int SinkLength = 256 * 1024;

    private const int SegmentSize = 16 * 1024;

    // Never read. Placeholders are committed, not written: nobody writes here either, but a writer that did would
    // only scribble over bytes that are never sent.
    private static readonly byte[] s_sink = GC.AllocateUninitializedArray<byte>(SinkLength);

    private readonly ZeroCopyConnection _connection;
    private readonly ZeroCopySocket _socket;
    private readonly object _sync = new();

    // Buffered, unflushed bytes in order; the last segment is the one GetMemory hands out.
    private byte[][] _segments = new byte[4][];
    private int[] _lengths = new int[4];
    private int _count;
    private long _unflushed;

    // The flush in flight owns these (swapped with the two above), so a flush allocates nothing.
    private byte[][] _sendingSegments = new byte[4][];
    private int _sendingCount;
    private ReadOnlyMemory<byte>[] _pieces = new ReadOnlyMemory<byte>[4];

    // The file range announced by TryBeginFile: sent after the bytes buffered before it, once all its placeholders arrived.
    private SafeFileHandle? _file;
    private long _fileOffset;
    private long _fileCount;
    private long _placeholdersLeft;

    private bool _flushing;
    private bool _cancelNextFlush;
    private bool _completed;
    private bool _dead;
    private Task _inFlight = Task.CompletedTask;

    public ZeroCopyOutputWriter(ZeroCopyConnection connection, ZeroCopySocket socket)
    {
        _connection = connection;
        _socket = socket;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes
    {
        get
        {
            lock (_sync)
            {
                return _unflushed + (_file is null ? 0 : _fileCount - _placeholdersLeft);
            }
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);

        lock (_sync)
        {
            if (_placeholdersLeft > 0)
            {
                return sizeHint <= SinkLength ? s_sink : new byte[sizeHint];
            }

            if (_completed)
            {
                throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
            }

            if (_count > 0)
            {
                byte[] tail = _segments[_count - 1];
                int used = _lengths[_count - 1];
                if (tail.Length - used >= Math.Max(sizeHint, 1))
                {
                    return tail.AsMemory(used);
                }
            }

            byte[] fresh = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, SegmentSize));
            if (_count == _segments.Length)
            {
                Array.Resize(ref _segments, _count * 2);
                Array.Resize(ref _lengths, _count * 2);
            }

            _segments[_count] = fresh;
            _lengths[_count] = 0;
            _count++;
            return fresh;
        }
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);

        lock (_sync)
        {
            if (_placeholdersLeft > 0)
            {
                if (bytes > _placeholdersLeft)
                {
                    throw new InvalidOperationException("Advanced past the end of the file range: a placeholder write carried more bytes than the range.");
                }

                _placeholdersLeft -= bytes;
                return;
            }

            if (bytes == 0)
            {
                return;
            }

            if (_count == 0 || _segments[_count - 1].Length - _lengths[_count - 1] < bytes)
            {
                throw new ArgumentOutOfRangeException(nameof(bytes), "Cannot advance past the end of the buffer.");
            }

            _lengths[_count - 1] += bytes;
            _unflushed += bytes;
        }
    }

    /// <summary>
    /// Announces that the next <paramref name="count"/> bytes of the output stream are <paramref name="file"/>'s range
    /// [<paramref name="offset"/>, +<paramref name="count"/>). Succeeds only when what is buffered ends a response head
    /// (CRLF CRLF) and nothing else is pending, so the range is a whole response body; on success the writer owns
    /// <paramref name="file"/> and disposes it after the send.
    /// </summary>
    public bool TryBeginFile(SafeFileHandle file, long offset, long count)
    {
        lock (_sync)
        {
            if (_dead || _completed || _flushing || _file is not null || count <= 0 || !EndsWithHeadTerminator())
            {
                return false;
            }

            _file = file;
            _fileOffset = offset;
            _fileCount = count;
            _placeholdersLeft = count;
            return true;
        }
    }

    /// <summary>The placeholders of an announced range will not all come (the app's write failed): the stream is torn.</summary>
    public void AbandonFile()
    {
        SafeFileHandle? file;
        lock (_sync)
        {
            file = _file;
            _file = null;
            _placeholdersLeft = 0;
            _dead = true;
        }

        file?.Dispose();
    }

    public override void CancelPendingFlush()
    {
        lock (_sync)
        {
            // A send in flight cannot be stopped without tearing the stream; it ends when the kernel takes its bytes
            // or the connection is aborted. A flush not yet started returns IsCanceled, as Pipe's does.
            if (!_flushing)
            {
                _cancelNextFlush = true;
            }
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        }

        SafeFileHandle? file = null;
        long fileOffset = 0, fileCount = 0;
        int pieces;
        lock (_sync)
        {
            if (_flushing)
            {
                throw new InvalidOperationException("A flush is already in progress on this connection's output.");
            }

            if (_dead)
            {
                DropBufferedLocked();
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
            }

            if (_cancelNextFlush)
            {
                _cancelNextFlush = false;
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
            }

            if (_file is not null && _placeholdersLeft == 0)
            {
                file = _file;
                fileOffset = _fileOffset;
                fileCount = _fileCount;
                _file = null;
            }

            if (_unflushed == 0 && file is null)
            {
                return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
            }

            // Hand the buffered segments to this flush: writes after this point go to fresh segments.
            (_segments, _sendingSegments) = (_sendingSegments, _segments);
            (_lengths, _sendingLengths) = (_sendingLengths, _lengths);
            _sendingCount = _count;
            _count = 0;
            _unflushed = 0;
            if (_pieces.Length < _sendingCount)
            {
                _pieces = new ReadOnlyMemory<byte>[_sendingSegments.Length];
            }

            pieces = 0;
            for (int i = 0; i < _sendingCount; i++)
            {
                if (_sendingLengths[i] > 0)
                {
                    _pieces[pieces++] = _sendingSegments[i].AsMemory(0, _sendingLengths[i]);
                }
            }

            _flushing = true;
        }

        ValueTask<FlushResult> send = SendAsync(pieces, file, fileOffset, fileCount, cancellationToken);
        if (!send.IsCompleted)
        {
            lock (_sync)
            {
                _inFlight = send.AsTask();
                return new ValueTask<FlushResult>((Task<FlushResult>)_inFlight);
            }
        }

        return send;
    }

    private int[] _sendingLengths = new int[4];

    private async ValueTask<FlushResult> SendAsync(int pieces, SafeFileHandle? file, long fileOffset, long fileCount, CancellationToken cancellationToken)
    {
        try
        {
            SendBody body = file is null ? SendBody.None : SendBody.FromFile(file, fileOffset, fileCount);
            await _socket.SendWithHeadersAsync(_pieces.AsMemory(0, pieces), body, default, cancellationToken).ConfigureAwait(false);
            return new FlushResult(isCanceled: false, isCompleted: false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            MarkDead();
            _connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("A flush was cancelled while its bytes were being sent: the response on the wire is torn."));
            throw;
        }
        catch (Exception ex)
        {
            MarkDead();
            _connection.OnSendFailed(ex);
            return new FlushResult(isCanceled: false, isCompleted: true);
        }
        finally
        {
            file?.Dispose();
            lock (_sync)
            {
                Array.Clear(_pieces, 0, pieces);
                for (int i = 0; i < _sendingCount; i++)
                {
                    ArrayPool<byte>.Shared.Return(_sendingSegments[i]);
                    _sendingSegments[i] = null!;
                }

                _sendingCount = 0;
                _flushing = false;
            }
        }
    }

    public override void Complete(Exception? exception = null)
    {
        lock (_sync)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
        }

        _connection.OnOutputCompleted(DrainAsync(exception));
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Complete(exception);
        return default;
    }

    /// <summary>Marks the writer dead: later flushes drop their bytes and report the output completed.</summary>
    public void MarkDead()
    {
        lock (_sync)
        {
            _dead = true;
        }
    }

    /// <summary>After Complete: waits for the flush in flight, sends what was left unflushed (unless completed with an error), frees everything.</summary>
    private async Task DrainAsync(Exception? exception)
    {
        Task inFlight;
        lock (_sync)
        {
            inFlight = _inFlight;
        }

        try
        {
            await inFlight.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The flush's own caller saw its outcome; the connection is aborted already.
        }

        bool flush;
        lock (_sync)
        {
            flush = exception is null && !_dead && !_flushing && (_unflushed > 0 || (_file is not null && _placeholdersLeft == 0));
        }

        if (flush)
        {
            try
            {
                await FlushCompletedAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Reported through the connection (OnSendFailed) by SendAsync.
            }
        }

        SafeFileHandle? file;
        lock (_sync)
        {
            DropBufferedLocked();
            file = _file;
            _file = null;
            _placeholdersLeft = 0;
            _dead = true;
        }

        file?.Dispose();
    }

    private async Task FlushCompletedAsync()
    {
        // FlushAsync refuses writes after Complete only in GetMemory; flushing what is buffered is still allowed.
        _ = await FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private void DropBufferedLocked()
    {
        for (int i = 0; i < _count; i++)
        {
            ArrayPool<byte>.Shared.Return(_segments[i]);
            _segments[i] = null!;
        }

        _count = 0;
        _unflushed = 0;
    }

    private bool EndsWithHeadTerminator()
    {
        // The last four buffered bytes, possibly spread over segments, must be "\r\n\r\n".
        ReadOnlySpan<byte> terminator = "\r\n\r\n"u8;
        int want = terminator.Length;
        for (int i = _count - 1; i >= 0 && want > 0; i--)
        {
            ReadOnlySpan<byte> segment = _segments[i].AsSpan(0, _lengths[i]);
            for (int j = segment.Length - 1; j >= 0 && want > 0; j--)
            {
                if (segment[j] != terminator[--want])
                {
                    return false;
                }
            }
        }

        return want == 0;
    }
}
