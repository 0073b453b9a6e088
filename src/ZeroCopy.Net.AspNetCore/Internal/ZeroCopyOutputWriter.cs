using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
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
/// <para><b>Concurrency.</b> Kestrel wraps a transport's output in its ConcurrentPipeWriter, which it calls under the
/// connection's lock and which buffers writes itself while a flush of this writer is pending: so there is one writer
/// at a time, writes never overlap a pending flush and flushes never overlap each other. This writer therefore takes
/// no lock: <see cref="GetMemory"/>, <see cref="GetSpan"/> and <see cref="Advance"/> touch plain fields, and a flush
/// swaps the buffer for a second set of arrays that only it touches until its send ends. One interlocked word of
/// state orders what can really come from another thread: <see cref="Complete"/> (the connection's DisposeAsync)
/// and <see cref="CancelPendingFlush"/> against a flush starting or ending, an abort (<see cref="MarkDead"/>) through
/// a volatile flag. An overlapping flush is still refused with <see cref="InvalidOperationException"/> rather than
/// interleave bytes. A flush whose send completes at once allocates nothing and runs no state machine; one that waits
/// continues in a pooled async method, and nothing else awaits it (the drain after Complete waits on a signal that
/// only Complete allocates).</para>
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

    // The bits of _state.
    private const int Flushing = 1;      // a flush owns the sending arrays (from its start until its bytes are sent or dropped)
    private const int CancelNext = 2;    // CancelPendingFlush found no flush in flight: the next flush returns IsCanceled
    private const int Completed = 4;     // Complete was called

    private readonly ZeroCopyConnection _connection;
    private readonly ZeroCopySocket _socket;

    // Buffered, unflushed bytes in order; the last segment is the one GetMemory hands out. Only the writer (Kestrel's
    // one writing thread at a time) touches these, and the drain once the writer is completed.
    private byte[][] _segments = new byte[4][];
    private int[] _lengths = new int[4];
    private int _count;
    private long _unflushed;

    // The flush in flight owns these (swapped with the two above), so a flush allocates nothing.
    private byte[][] _sendingSegments = new byte[4][];
    private int[] _sendingLengths = new int[4];
    private int _sendingCount;
    private ReadOnlyMemory<byte>[] _pieces = new ReadOnlyMemory<byte>[4];

    // The file range announced by TryBeginFile: sent after the bytes buffered before it, once all its placeholders arrived.
    private SafeFileHandle? _file;
    private long _fileOffset;
    private long _fileCount;
    private long _placeholdersLeft;

    // Flushing, CancelNext and Completed, changed only with Interlocked: the one word the threads that can race
    // (a flush ending, Complete, CancelPendingFlush) agree through.
    private int _state;

    // Set by a send that failed or by an abort, from any thread; read when a flush starts.
    private volatile bool _dead;

    // Complete found a flush in flight: that flush completes this when it ends, and the drain waits for it.
    private TaskCompletionSource? _flushEnded;

    /// <summary>Creates the output of <paramref name="connection"/>, sending through <paramref name="socket"/>.</summary>
    public ZeroCopyOutputWriter(ZeroCopyConnection connection, ZeroCopySocket socket)
    {
        _connection = connection;
        _socket = socket;
    }

    /// <inheritdoc/>
    public override bool CanGetUnflushedBytes => true;

    /// <summary>The bytes committed and not yet flushed, file range placeholders included.</summary>
    /// <remarks>Read without a lock: exact when read by the writer (Kestrel reads it while writing the response), a snapshot otherwise.</remarks>
    public override long UnflushedBytes => _unflushed + (_file is null ? 0 : _fileCount - _placeholdersLeft);

    /// <inheritdoc/>
    /// <remarks>
    /// No lock: Kestrel's ConcurrentPipeWriter calls this under its connection's lock, never while a flush of this
    /// writer is pending, and a flush in flight only touches the arrays it took at its start.
    /// </remarks>
    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);

        if (_placeholdersLeft > 0)
        {
            return sizeHint <= SinkLength ? s_sink : new byte[sizeHint];
        }

        if ((Volatile.Read(ref _state) & Completed) != 0)
        {
            ThrowCompleted();
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

    /// <inheritdoc/>
    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <inheritdoc/>
    /// <remarks>No lock, for the reasons given on <see cref="GetMemory"/>.</remarks>
    public override void Advance(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);

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

    /// <summary>
    /// Announces that the next <paramref name="count"/> bytes of the output stream are <paramref name="file"/>'s range
    /// [<paramref name="offset"/>, +<paramref name="count"/>). Succeeds only when what is buffered ends a response head
    /// (CRLF CRLF) and nothing else is pending, so the range is a whole response body; on success the writer owns
    /// <paramref name="file"/> and disposes it after the send.
    /// </summary>
    /// <remarks>
    /// Called by the response's own code between Kestrel writing the head (StartAsync) and the placeholder writes, on
    /// the thread that writes the response: an HTTP/1.1 connection awaits each response's last flush before the next
    /// request, and a response that has not started has flushed nothing, so no flush is in flight here and the buffer
    /// holds exactly what Kestrel wrote. A flush in flight all the same (the one case where Kestrel could be writing
    /// into this writer from its flush continuation) refuses the range rather than read a buffer that is changing.
    /// </remarks>
    public bool TryBeginFile(SafeFileHandle file, long offset, long count)
    {
        if (_dead || (Volatile.Read(ref _state) & (Flushing | Completed)) != 0 || _file is not null || count <= 0 || !EndsWithHeadTerminator())
        {
            return false;
        }

        _file = file;
        _fileOffset = offset;
        _fileCount = count;
        _placeholdersLeft = count;
        return true;
    }

    /// <summary>The placeholders of an announced range will not all come (the app's write failed): the stream is torn.</summary>
    /// <remarks>Called on the thread that writes the response (the placeholder writes failed), as <see cref="TryBeginFile"/> is.</remarks>
    public void AbandonFile()
    {
        SafeFileHandle? file = _file;
        _file = null;
        _placeholdersLeft = 0;
        _dead = true;
        file?.Dispose();
    }

    /// <summary>
    /// Makes the next flush return <see cref="FlushResult.IsCanceled"/> if no flush is in flight. A send in flight
    /// cannot be stopped without tearing the stream: it ends when the kernel takes its bytes or the connection is
    /// aborted, and the cancel is dropped.
    /// </summary>
    /// <remarks>
    /// May come from any thread (Kestrel calls it outside its connection lock). One compare-exchange on the state
    /// decides it against a flush starting or ending at the same moment: either the flush sees the cancel, or the
    /// cancel sees the flush.
    /// </remarks>
    public override void CancelPendingFlush()
    {
        int state = Volatile.Read(ref _state);
        while ((state & Flushing) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state | CancelNext, state);
            if (seen == state)
            {
                return;
            }

            state = seen;
        }
    }

    /// <summary>
    /// Sends everything buffered (and an announced file range whose placeholders all arrived) in one vectored send.
    /// A send the socket takes at once costs no state machine and no allocation; one that waits for socket space
    /// continues in a pooled async method, so it allocates nothing either once the pool is warm.
    /// </summary>
    /// <remarks>
    /// No lock. Kestrel never overlaps flushes or a write with a pending flush; one interlocked operation claims the
    /// flush all the same, so an overlapping flush is refused with <see cref="InvalidOperationException"/> instead of
    /// interleaving bytes, and Complete and CancelPendingFlush from other threads see whether a flush is in flight.
    /// </remarks>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<FlushResult>(cancellationToken);
        }

        int state = Volatile.Read(ref _state);
        while (true)
        {
            if ((state & Flushing) != 0)
            {
                ThrowFlushInProgress();
            }

            int seen = Interlocked.CompareExchange(ref _state, (state | Flushing) & ~CancelNext, state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        // This flush owns the sending arrays (and, under Kestrel's contract, the buffer) until EndFlush.
        if (_dead)
        {
            DropBuffered();
            EndFlush();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
        }

        if ((state & CancelNext) != 0)
        {
            EndFlush();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }

        SafeFileHandle? file = null;
        long fileOffset = 0, fileCount = 0;
        if (_file is not null && _placeholdersLeft == 0)
        {
            file = _file;
            fileOffset = _fileOffset;
            fileCount = _fileCount;
            _file = null;
        }

        if (_unflushed == 0 && file is null)
        {
            EndFlush();
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

        int pieces = 0;
        for (int i = 0; i < _sendingCount; i++)
        {
            if (_sendingLengths[i] > 0)
            {
                _pieces[pieces++] = _sendingSegments[i].AsMemory(0, _sendingLengths[i]);
            }
        }

        ValueTask<long> send;
        try
        {
            SendBody body = file is null ? SendBody.None : SendBody.FromFile(file, fileOffset, fileCount);
            send = _socket.SendWithHeadersAsync(_pieces.AsMemory(0, pieces), body, default, cancellationToken);
        }
        catch (Exception ex)
        {
            // Thrown before a send started (the socket is disposed, say): handled as a failed send, on the slow path.
            send = ValueTask.FromException<long>(ex);
        }

        if (send.IsCompletedSuccessfully)
        {
            _ = send.Result;
            EndSend(pieces, file);
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }

        return AwaitSendAsync(send, pieces, file, cancellationToken);
    }

    /// <summary>The rest of a flush whose send did not complete at once: waits for it, then frees what it held.</summary>
    /// <remarks>Pooled: the state machine box is reused, so a flush that waits for socket space allocates nothing.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> AwaitSendAsync(ValueTask<long> send, int pieces, SafeFileHandle? file, CancellationToken cancellationToken)
    {
        try
        {
            _ = await send.ConfigureAwait(false);
            return new FlushResult(isCanceled: false, isCompleted: false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _dead = true;
            _connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("A flush was cancelled while its bytes were being sent: the response on the wire is torn."));
            throw;
        }
        catch (Exception ex)
        {
            _dead = true;
            _connection.OnSendFailed(ex);
            return new FlushResult(isCanceled: false, isCompleted: true);
        }
        finally
        {
            // Before the result is set: the flush's caller may flush again as soon as it resumes.
            EndSend(pieces, file);
        }
    }

    /// <summary>After a send: disposes its file, returns its segments to the pool, then ends the flush.</summary>
    private void EndSend(int pieces, SafeFileHandle? file)
    {
        file?.Dispose();
        Array.Clear(_pieces, 0, pieces);
        for (int i = 0; i < _sendingCount; i++)
        {
            ArrayPool<byte>.Shared.Return(_sendingSegments[i]);
            _sendingSegments[i] = null!;
        }

        _sendingCount = 0;
        EndFlush();
    }

    /// <summary>
    /// Ends a flush: clears <c>Flushing</c> (publishing what the flush wrote) and, if Complete came while it was in
    /// flight, lets the drain go on.
    /// </summary>
    private void EndFlush()
    {
        int before = Interlocked.And(ref _state, ~Flushing);
        if ((before & Completed) != 0)
        {
            // Complete published _flushEnded before setting Completed, if it saw this flush in flight; null otherwise.
            Volatile.Read(ref _flushEnded)?.TrySetResult();
        }
    }

    /// <summary>
    /// No more writes. The drain (wait for the flush in flight, send what is left, free everything) starts now, or
    /// when the flush in flight ends, and the connection shuts the socket down once it is done.
    /// </summary>
    /// <remarks>
    /// May come from another thread while a flush is in flight (the connection's DisposeAsync). One compare-exchange
    /// on the state orders it against the flush's end: either Complete sees the flush in flight and the flush's end
    /// releases the drain, or the flush has ended and the drain can go at once. Only this rare path allocates.
    /// </remarks>
    public override void Complete(Exception? exception = null)
    {
        TaskCompletionSource? flushEnded = null;
        int state = Volatile.Read(ref _state);
        while (true)
        {
            if ((state & Completed) != 0)
            {
                return;
            }

            if ((state & Flushing) != 0 && flushEnded is null)
            {
                flushEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _flushEnded, flushEnded);
            }

            int seen = Interlocked.CompareExchange(ref _state, state | Completed, state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        _connection.OnOutputCompleted(DrainAsync(exception, (state & Flushing) != 0 ? flushEnded!.Task : null));
    }

    /// <inheritdoc/>
    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        Complete(exception);
        return default;
    }

    /// <summary>Marks the writer dead: later flushes drop their bytes and report the output completed.</summary>
    /// <remarks>From any thread (an abort); a flush in flight ends when the aborted socket fails its send.</remarks>
    public void MarkDead() => _dead = true;

    /// <summary>
    /// After Complete: waits for the flush in flight (<paramref name="flushEnded"/>), sends what was left unflushed
    /// (unless completed with an error), frees everything.
    /// </summary>
    private async Task DrainAsync(Exception? exception, Task? flushEnded)
    {
        if (flushEnded is not null)
        {
            // Never faults: the flush's own caller saw its outcome, and a failed send aborted the connection already.
            await flushEnded.ConfigureAwait(false);
        }

        bool flush = exception is null && !_dead && (_unflushed > 0 || (_file is not null && _placeholdersLeft == 0));
        if (flush)
        {
            try
            {
                // Flushing what is buffered is still allowed after Complete (only GetMemory refuses).
                _ = await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A send failure is reported through the connection (OnSendFailed); an overlapping flush (a writer
                // breaking the contract after Complete) sends the bytes itself.
            }
        }

        DropBuffered();
        SafeFileHandle? file = _file;
        _file = null;
        _placeholdersLeft = 0;
        _dead = true;
        file?.Dispose();
    }

    /// <summary>Returns the buffered (not sending) segments to the pool.</summary>
    private void DropBuffered()
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

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowCompleted() => throw new InvalidOperationException("Writing is not allowed after the writer was completed.");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowFlushInProgress() => throw new InvalidOperationException("A flush is already in progress on this connection's output.");
}
