using System;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Pipelines;

/// <summary>
/// A <see cref="PipeWriter"/> over a <see cref="ZeroCopySocket"/>: <see cref="GetMemory"/> and <see cref="GetSpan"/>
/// hand out memory of pinned buffers from the socket's <see cref="ZeroCopySocket.BufferPool"/>, <see cref="Advance"/>
/// commits it, and <see cref="FlushAsync"/> sends every committed buffer with one vectored
/// <see cref="ZeroCopySocket.SendPinnedAsync(ReadOnlySpan{PinnedBuffer}, ReadOnlySpan{int}, CancellationToken)"/>
/// (MSG_ZEROCOPY at or above <see cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/>, a copy below it).
/// Ownership of the flushed buffers passes to the send: each goes back to the pool when the kernel's
/// completion says it no longer reads it, so the writer never copies and never waits for completions
/// except through the socket's in-flight limit (<see cref="ZeroCopySocketOptions.MaxPinnedBytesInFlight"/>).
/// </summary>
/// <remarks>
/// <para>Like any <see cref="PipeWriter"/>, one writer at a time: no call may overlap a pending <see cref="FlushAsync"/>
/// except <see cref="CancelPendingFlush"/>. Memory from <see cref="GetMemory"/> is valid until the next
/// <see cref="Advance"/>, <see cref="FlushAsync"/> or <see cref="Complete"/>.</para>
/// <para>A flush cancelled while its send runs (by <see cref="CancelPendingFlush"/> or the token) returns or throws as
/// the contract says, but the peer may have received part of the flushed bytes; later flushes then throw
/// <see cref="InvalidOperationException"/>, since the byte stream is torn: close the connection. A
/// <see cref="CancelPendingFlush"/> that arrives before a flush starts sending cancels it without sending anything,
/// and the bytes stay buffered for the next flush. So does a flush the socket refuses before it takes a buffer
/// (another send is running on it: <see cref="InvalidOperationException"/>): nothing was sent, and the writer stays usable.</para>
/// <para>Send failures (e.g. the peer reset the connection) throw from <see cref="FlushAsync"/>, as a stream-backed
/// writer does; <see cref="FlushResult.IsCompleted"/> is always <see langword="false"/>.</para>
/// </remarks>
// A CancellationTokenSource without a timer holds nothing to dispose; disposing it would make a racing
// CancelPendingFlush throw ObjectDisposedException, so the writer does not.
#pragma warning disable CA1001
public sealed class ZeroCopyPipeWriter : PipeWriter
#pragma warning restore CA1001
{
    private readonly ZeroCopySocket _socket;
    private readonly PinnedBufferPool _pool;
    private readonly int _segmentSize;
    private readonly bool _leaveOpen;

    // Buffers rented and not yet flushed, in order; the last is the one GetMemory writes into.
    private PinnedBuffer[] _buffers = new PinnedBuffer[8];
    private int[] _lengths = new int[8];
    private int _count;

    // The arrays of the flush in progress live here between flushes, so a flush costs no allocation.
    private PinnedBuffer[] _spareBuffers = new PinnedBuffer[8];
    private int[] _spareLengths = new int[8];

    private long _unflushed;
    private volatile CancellationTokenSource _flushCancellation = new();
    private int _flushing;
    private bool _completed;
    private bool _torn;

    private ZeroCopyPipeWriter(ZeroCopySocket socket, ZeroCopyPipeWriterOptions options)
    {
        _socket = socket;
        _pool = socket.BufferPool;
        _segmentSize = options.MinimumSegmentSize;
        _leaveOpen = options.LeaveOpen;
    }

    /// <summary>Creates a writer over <paramref name="socket"/> (the same as <see cref="ZeroCopySocket.CreatePipeWriter"/>).</summary>
    /// <param name="socket">The socket to send on. The writer owns it unless <see cref="ZeroCopyPipeWriterOptions.LeaveOpen"/> is set.</param>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The writer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ZeroCopyPipeWriterOptions.MinimumSegmentSize"/> is not 1 to <see cref="PinnedBufferPool.MaxBufferSize"/>.</exception>
    public static ZeroCopyPipeWriter Create(ZeroCopySocket socket, ZeroCopyPipeWriterOptions? options = null)
    {
        if (socket is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(socket));
        }

        options ??= new ZeroCopyPipeWriterOptions();
        if (options.MinimumSegmentSize < 1 || options.MinimumSegmentSize > PinnedBufferPool.MaxBufferSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), $"MinimumSegmentSize must be 1 to {PinnedBufferPool.MaxBufferSize}; it is {options.MinimumSegmentSize}.");
        }

        return new ZeroCopyPipeWriter(socket, options);
    }

    /// <summary>The socket this writer sends on.</summary>
    public ZeroCopySocket Socket => _socket;

    /// <inheritdoc/>
    public override bool CanGetUnflushedBytes => true;

    /// <inheritdoc/>
    public override long UnflushedBytes => _unflushed;

    /// <summary>Returns memory of at least <paramref name="sizeHint"/> bytes (at least 1 when 0) inside a pinned pool buffer.</summary>
    /// <param name="sizeHint">The bytes needed, 0 to <see cref="PinnedBufferPool.MaxBufferSize"/>.</param>
    /// <returns>The memory to write, valid until the next <see cref="Advance"/> or flush.</returns>
    /// <exception cref="InvalidOperationException">The writer is completed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeHint"/> is negative or larger than the pool's largest buffer.</exception>
    /// <exception cref="InsufficientMemoryException">The pool is at its limit (<see cref="PinnedBufferPoolOptions.MaxTotalBytes"/>).</exception>
    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        int offset = Reserve(sizeHint);
        return _buffers[_count - 1].Memory.Slice(offset);
    }

    /// <summary>Returns a span of at least <paramref name="sizeHint"/> bytes (at least 1 when 0) inside a pinned pool buffer.</summary>
    /// <param name="sizeHint">The bytes needed, 0 to <see cref="PinnedBufferPool.MaxBufferSize"/>.</param>
    /// <returns>The span to write, valid until the next <see cref="Advance"/> or flush.</returns>
    /// <exception cref="InvalidOperationException">The writer is completed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sizeHint"/> is negative or larger than the pool's largest buffer.</exception>
    /// <exception cref="InsufficientMemoryException">The pool is at its limit.</exception>
    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        int offset = Reserve(sizeHint);
        return _buffers[_count - 1].Span.Slice(offset);
    }

    /// <summary>Commits <paramref name="bytes"/> written into the memory last returned by <see cref="GetMemory"/> or <see cref="GetSpan"/>.</summary>
    /// <param name="bytes">0 to the length of that memory.</param>
    /// <exception cref="InvalidOperationException">The writer is completed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative or beyond the memory handed out.</exception>
    public override void Advance(int bytes)
    {
        ThrowIfCompleted();
        int available = _count == 0 ? 0 : _buffers[_count - 1].Capacity - _lengths[_count - 1];
        if ((uint)bytes > (uint)available)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(bytes), $"Advance must be 0 to the {available} bytes of memory handed out; it is {bytes}.");
        }

        if (bytes > 0)
        {
            _lengths[_count - 1] += bytes;
            _unflushed += bytes;
        }
    }

    /// <summary>Cancels the pending <see cref="FlushAsync"/>, or the next one if none is pending; it returns <see cref="FlushResult.IsCanceled"/>.</summary>
    public override void CancelPendingFlush() => _flushCancellation.Cancel();

    /// <summary>Sends every committed byte (one vectored send per 1024 buffers) and hands the buffers to the kernel.</summary>
    /// <param name="cancellationToken">Stops a wait for socket space or completions; a send cut short tears the stream (see the remarks on the class).</param>
    /// <returns>When the kernel has taken every byte: <see cref="FlushResult.IsCanceled"/> after <see cref="CancelPendingFlush"/>.</returns>
    /// <exception cref="InvalidOperationException">The writer is completed, another flush is pending, or an earlier flush was cut short.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (Interlocked.Exchange(ref _flushing, 1) != 0)
        {
            throw new InvalidOperationException("A flush is already pending on this ZeroCopyPipeWriter: await it before flushing again.");
        }

        if (_torn)
        {
            Volatile.Write(ref _flushing, 0);
            throw new InvalidOperationException(
                "An earlier flush of this ZeroCopyPipeWriter was cancelled or failed while sending: the peer may have received part of it, so the byte stream is torn. Close the connection.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _flushing, 0);
            return new ValueTask<FlushResult>(Task.FromCanceled<FlushResult>(cancellationToken));
        }

        if (_flushCancellation.IsCancellationRequested)
        {
            // CancelPendingFlush before this flush: nothing is sent, the bytes stay for the next flush.
            _flushCancellation = new CancellationTokenSource();
            Volatile.Write(ref _flushing, 0);
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }

        int sending = TakeCommitted();
        if (sending == 0)
        {
            Volatile.Write(ref _flushing, 0);
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }

        return SendAsync(sending, cancellationToken);
    }

    /// <summary>Completes the writer: without <paramref name="exception"/>, flushes what is committed first (blocking); then disposes the socket unless <see cref="ZeroCopyPipeWriterOptions.LeaveOpen"/>.</summary>
    /// <param name="exception">The reason writing stopped, or <see langword="null"/>. With an exception, unflushed bytes are dropped, not sent.</param>
    public override void Complete(Exception? exception = null) => CompleteAsync(exception).AsTask().GetAwaiter().GetResult();

    /// <summary>Completes the writer: without <paramref name="exception"/>, flushes what is committed first; then disposes the socket unless <see cref="ZeroCopyPipeWriterOptions.LeaveOpen"/>. Completing twice does nothing.</summary>
    /// <param name="exception">The reason writing stopped, or <see langword="null"/>. With an exception, unflushed bytes are dropped, not sent.</param>
    /// <returns>When the bytes are flushed and the socket disposed (which waits for the kernel to release in-flight buffers).</returns>
    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        try
        {
            if (exception is null && _unflushed > 0 && !_torn)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _completed = true;
            ReleaseUnsent(_buffers, _count);
            _count = 0;
            _unflushed = 0;
            if (!_leaveOpen)
            {
                await _socket.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private int Reserve(int sizeHint)
    {
        ThrowIfCompleted();
        if ((uint)sizeHint > PinnedBufferPool.MaxBufferSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(sizeHint), $"sizeHint must be 0 to {PinnedBufferPool.MaxBufferSize} (the pool's largest buffer); it is {sizeHint}.");
        }

        int needed = Math.Max(sizeHint, 1);
        if (_count > 0)
        {
            ref PinnedBuffer last = ref _buffers[_count - 1];
            int used = _lengths[_count - 1];
            if (last.Capacity - used >= needed)
            {
                return used;
            }

            if (used == 0)
            {
                // Nothing written into it: swap it for a buffer big enough rather than send an empty iovec.
                last.Dispose();
                last = default;
                _count--;
            }
        }

        PinnedBuffer rented = _pool.Rent(Math.Max(needed, _segmentSize));
        if (_count == _buffers.Length)
        {
            Array.Resize(ref _buffers, _buffers.Length * 2);
            Array.Resize(ref _lengths, _lengths.Length * 2);
        }

        _buffers[_count] = rented;
        _lengths[_count] = 0;
        _count++;
        return 0;
    }

    // Moves the committed buffers to the spare arrays (to send) and keeps an empty tail buffer for writing.
    private int TakeCommitted()
    {
        int sending = _count;
        bool keepTail = _count > 0 && _lengths[_count - 1] == 0;
        if (keepTail)
        {
            sending--;
        }

        if (sending == 0)
        {
            return 0;
        }

        (_buffers, _spareBuffers) = (_spareBuffers, _buffers);
        (_lengths, _spareLengths) = (_spareLengths, _lengths);
        _count = 0;
        if (keepTail)
        {
            _buffers[0] = _spareBuffers[sending];
            _lengths[0] = 0;
            _spareBuffers[sending] = default;
            _count = 1;
        }

        _unflushed = 0;
        return sending;
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> SendAsync(int sending, CancellationToken cancellationToken)
    {
        PinnedBuffer[] buffers = _spareBuffers;
        int[] lengths = _spareLengths;
        CancellationTokenSource flushCancellation = _flushCancellation;
        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), flushCancellation)
            : default;
        bool done = false;
        bool disposed = false;
        int offset = 0;
        try
        {
            for (; offset < sending; offset += ZeroCopySocket.MaxBuffersPerSend)
            {
                int chunk = Math.Min(sending - offset, ZeroCopySocket.MaxBuffersPerSend);
                await _socket.SendPinnedAsync(
                    new ReadOnlySpan<PinnedBuffer>(buffers, offset, chunk),
                    new ReadOnlySpan<int>(lengths, offset, chunk),
                    flushCancellation.Token).ConfigureAwait(false);
            }

            done = true;
            return new FlushResult(isCanceled: false, isCompleted: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && flushCancellation.IsCancellationRequested)
        {
            return new FlushResult(isCanceled: true, isCompleted: false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            // The socket is gone for good: no later flush could send the bytes.
            disposed = true;
            throw;
        }
        finally
        {
            registration.Dispose();
            if (!done && !disposed && offset == 0 && NoneTaken(buffers, sending))
            {
                // The send refused before it took a buffer (another send on the socket, a token
                // already cancelled): nothing left, the stream is whole, and the bytes stay for the
                // next flush.
                PutBack(sending);
                sending = 0;
            }
            else if (!done)
            {
                _torn = true;
            }

            if (flushCancellation.IsCancellationRequested)
            {
                _flushCancellation = new CancellationTokenSource();
            }

            // Buffers a send took belong to it now (Dispose is a no-op for them); any it did not take
            // (the socket was disposed, a later chunk never ran) go back to the pool here.
            ReleaseUnsent(buffers, sending);
            Volatile.Write(ref _flushing, 0);
        }
    }

    private static bool NoneTaken(PinnedBuffer[] buffers, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!buffers[i].IsOwned)
            {
                return false;
            }
        }

        return true;
    }

    // Undoes TakeCommitted: the unsent buffers go back in front of the (empty) tail kept for writing.
    private void PutBack(int sending)
    {
        int total = sending + _count;
        if (_spareBuffers.Length < total)
        {
            Array.Resize(ref _spareBuffers, total);
            Array.Resize(ref _spareLengths, total);
        }

        long unflushed = 0;
        for (int i = 0; i < sending; i++)
        {
            unflushed += _spareLengths[i];
        }

        for (int i = 0; i < _count; i++)
        {
            _spareBuffers[sending + i] = _buffers[i];
            _spareLengths[sending + i] = _lengths[i];
            unflushed += _lengths[i];
            _buffers[i] = default;
        }

        (_buffers, _spareBuffers) = (_spareBuffers, _buffers);
        (_lengths, _spareLengths) = (_spareLengths, _lengths);
        _count = total;
        _unflushed = unflushed;
    }

    private static void ReleaseUnsent(PinnedBuffer[] buffers, int count)
    {
        for (int i = 0; i < count; i++)
        {
            buffers[i].Dispose();
            buffers[i] = default;
        }
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("Writing is not allowed after the ZeroCopyPipeWriter was completed.");
        }
    }
}
