using System;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocket
{
    /// <summary>The pool this socket sends buffers from: <see cref="ZeroCopySocketOptions.BufferPool"/>, or <see cref="PinnedBufferPool.Shared"/>.</summary>
    public PinnedBufferPool BufferPool => _settings.BufferPool;

    /// <summary>Rents a pinned buffer of at least <paramref name="minimumLength"/> bytes from <see cref="BufferPool"/>, to fill and pass to <see cref="SendPinnedAsync(PinnedBuffer, int, CancellationToken)"/>.</summary>
    /// <param name="minimumLength">The bytes needed, 0 to <see cref="PinnedBufferPool.MaxBufferSize"/>.</param>
    /// <returns>The owner of the buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumLength"/> is negative or too large.</exception>
    /// <exception cref="InsufficientMemoryException">The pool is exhausted (use <see cref="PinnedBufferPool.RentAsync"/> to wait instead).</exception>
    public PinnedBuffer RentBuffer(int minimumLength) => BufferPool.Rent(minimumLength);

    /// <summary>
    /// Sends the first <paramref name="length"/> bytes of a pinned buffer, with MSG_ZEROCOPY where
    /// the kernel has it and the send is at least <see cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/>
    /// bytes. The call takes ownership of the buffer: from the moment it returns a task, the buffer's
    /// handle gives no access, and the memory goes back to the pool when the kernel's completion says
    /// it no longer reads it (at once when the bytes were copied).
    /// </summary>
    /// <param name="buffer">A buffer rented from <see cref="BufferPool"/> and still owned.</param>
    /// <param name="length">Bytes to send from the start of the buffer, 0 to its capacity. On a datagram socket the bytes are one datagram.</param>
    /// <param name="cancellationToken">Stops a wait for socket space or for completions (backpressure). A cancelled stream send may have sent part of the bytes: close the connection.</param>
    /// <returns>A task that completes when the kernel has taken all the bytes (not when it has released the memory).</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is <c>default</c> or comes from another pool, or the socket's pinned options are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or larger than the buffer.</exception>
    /// <exception cref="ObjectDisposedException">The buffer was already sent or disposed; or this socket is disposed (then the caller keeps the buffer).</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send (e.g. the peer reset the connection).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask SendPinnedAsync(PinnedBuffer buffer, int length, CancellationToken cancellationToken = default)
    {
        ValidatePinned(buffer, length, nameof(buffer), nameof(length));
        return StartPinned(EnterSendWithBuffer(buffer, length), cancellationToken);
    }

    /// <summary>
    /// Sends several pinned buffers, in order, in one vectored sendmsg (one datagram on a datagram
    /// socket). Takes ownership of all of them, as <see cref="SendPinnedAsync(PinnedBuffer, int, CancellationToken)"/> does.
    /// </summary>
    /// <param name="buffers">Buffers rented from <see cref="BufferPool"/>, each owned and named once; 1 to 1024 of them.</param>
    /// <param name="lengths">For each buffer, the bytes to send from its start.</param>
    /// <param name="cancellationToken">Stops a wait for socket space or for completions.</param>
    /// <returns>A task that completes when the kernel has taken all the bytes.</returns>
    /// <exception cref="ArgumentException">The spans differ in length, are empty or longer than 1024, name one buffer twice, or a buffer is <c>default</c> or from another pool.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is negative or larger than its buffer.</exception>
    /// <exception cref="ObjectDisposedException">A buffer was already sent or disposed (then every buffer stays with the caller); or this socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask SendPinnedAsync(ReadOnlySpan<PinnedBuffer> buffers, ReadOnlySpan<int> lengths, CancellationToken cancellationToken = default)
    {
        ValidatePinnedSpanCounts(buffers, lengths, nameof(buffers), "buffers");
        for (int i = 0; i < buffers.Length; i++)
        {
            ValidatePinned(buffers[i], lengths[i], nameof(buffers), nameof(lengths));
            for (int j = 0; j < i; j++)
            {
                if (ReferenceEquals(buffers[i].Segment, buffers[j].Segment))
                {
                    ThrowHelper.ThrowArgument(nameof(buffers), $"Buffers {j} and {i} are the same buffer: a buffer can be sent once.");
                }
            }
        }

        EnterSend();
        PinnedSendBatch batch = PinnedSendBatch.Rent();
        for (int i = 0; i < buffers.Length; i++)
        {
            if (!BufferPool.TryTakeForSend(buffers[i]))
            {
                // Lost a race with the owner's Dispose: give back what was taken, as if never called.
                for (int k = 0; k < i; k++)
                {
                    BufferPool.UndoTakeForSend(buffers[k]);
                }

                batch.Clear();
                batch.Release();
                ExitSend();
                PinnedThrowHelper.ThrowBufferNotOwned();
            }

            batch.Add(buffers[i].Segment!, lengths[i]);
        }

        return StartPinned(batch, cancellationToken);
    }

    /// <summary>
    /// Sends caller-owned memory with MSG_ZEROCOPY (above the threshold) without copying it into a
    /// pool buffer. The memory is pinned for as long as the kernel may read it; the caller must not
    /// write it until <see cref="PinnedMemoryRelease.WhenReleased"/> completes.
    /// </summary>
    /// <param name="memory">The bytes to send (one datagram on a datagram socket). Pinned-heap arrays and native memory cost nothing to pin; other arrays are pinned with a GC handle until released.</param>
    /// <param name="cancellationToken">Stops a wait for socket space or for completions.</param>
    /// <returns>When the kernel has taken all the bytes: the release awaitable for the memory. If the send fails, the exception is thrown only once the memory is released (or the socket disposed); if it fails because <paramref name="cancellationToken"/> was cancelled while the kernel still holds part of the memory, a <see cref="PinnedSendCanceledException"/> is thrown at once, carrying the release to wait for.</returns>
    /// <exception cref="ObjectDisposedException">This socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (a <see cref="PinnedSendCanceledException"/> when the kernel still holds part of the memory).</exception>
    /// <exception cref="ArgumentException"><paramref name="memory"/> is the memory of a pool <see cref="Buffers.PinnedBuffer"/>: send the buffer itself, which hands it over (this overload would leave it with you while the kernel still reads it).</exception>
    public ValueTask<PinnedMemoryRelease> SendPinnedAsync(ReadOnlyMemory<byte> memory, CancellationToken cancellationToken = default)
    {
        if (MemoryMarshal.TryGetMemoryManager(memory, out PinnedSegment? _))
        {
            // buffer.Memory converts implicitly to ReadOnlyMemory<byte> and would bind here: the pool
            // buffer would stay with the caller, whose Dispose could hand its pages to a new renter
            // while the kernel still reads them.
            ThrowHelper.ThrowArgument(nameof(memory), "This memory belongs to a pool PinnedBuffer. Send the buffer itself (SendPinnedAsync(buffer, length)), which takes it over and returns it to the pool when the kernel is done.");
        }

        EnterSend();
        PinnedReleaseSource source = PinnedReleaseSource.Rent();
        var release = new PinnedMemoryRelease(source);
        PinnedSendBatch batch = PinnedSendBatch.Rent();
        batch.SetCallerMemory(memory, source);
        ValueTask send;
        try
        {
            send = _sender.SendPinnedAsync(batch, cancellationToken);
        }
        catch
        {
            ExitSend();
            throw;
        }

        return CompleteCallerPinnedAsync(send, release, cancellationToken);
    }

    /// <summary>
    /// Enters the send gate and takes one validated buffer (Rented → InFlight) into a new batch. When
    /// the owner's Dispose (or a concurrent send of the same buffer) won the race, undoes both and
    /// throws, leaving the caller as it was.
    /// </summary>
    private PinnedSendBatch EnterSendWithBuffer(PinnedBuffer buffer, int length)
    {
        EnterSend();
        PinnedSendBatch batch = PinnedSendBatch.Rent();
        if (!BufferPool.TryTakeForSend(buffer))
        {
            batch.Release();
            ExitSend();
            PinnedThrowHelper.ThrowBufferNotOwned();
        }

        batch.Add(buffer.Segment!, length);
        return batch;
    }

    /// <summary>The first checks of every several-buffer send: spans of one length, 1 to <see cref="MaxBuffersPerSend"/> entries.</summary>
    private static void ValidatePinnedSpanCounts(ReadOnlySpan<PinnedBuffer> buffers, ReadOnlySpan<int> lengths, string buffersName, string noun)
    {
        if (buffers.Length != lengths.Length)
        {
            ThrowHelper.ThrowArgument(nameof(lengths), $"There are {buffers.Length} buffers and {lengths.Length} lengths.");
        }

        if (buffers.Length == 0 || buffers.Length > MaxBuffersPerSend)
        {
            ThrowHelper.ThrowArgument(buffersName, $"Send 1 to {MaxBuffersPerSend} {noun} in one call; there are {buffers.Length}.");
        }
    }

    private void ValidatePinned(PinnedBuffer buffer, int length, string bufferName, string lengthName)
    {
        PinnedSegment? segment = buffer.Segment;
        if (segment is null)
        {
            ThrowHelper.ThrowArgument(bufferName, "The buffer is default: rent one from ZeroCopySocket.RentBuffer or a PinnedBufferPool.");
        }

        if (!ReferenceEquals(segment.Pool, BufferPool))
        {
            PinnedThrowHelper.ThrowWrongPool(bufferName);
        }

        if (!buffer.IsOwned)
        {
            PinnedThrowHelper.ThrowBufferNotOwned();
        }

        if ((uint)length > (uint)segment.Length)
        {
            PinnedThrowHelper.ThrowLengthOutOfRange(lengthName, length, segment.Length);
        }
    }


    private ValueTask StartPinned(PinnedSendBatch batch, CancellationToken cancellationToken)
    {
        ValueTask send;
        try
        {
            send = _sender.SendPinnedAsync(batch, cancellationToken);
        }
        catch
        {
            ExitSend();
            throw;
        }

        return FinishPinned(send);
    }

    /// <summary>Leaves the send gate when <paramref name="send"/> ends: at once when it finished synchronously (no async wrapper to run), else when it completes.</summary>
    private ValueTask FinishPinned(ValueTask send)
    {
        if (send.IsCompletedSuccessfully)
        {
            ExitSend();
            return default;
        }

        return CompletePinnedAsync(send);
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompletePinnedAsync(ValueTask send)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        finally
        {
            ExitSend();
        }
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PinnedMemoryRelease> CompleteCallerPinnedAsync(ValueTask send, PinnedMemoryRelease release, CancellationToken cancellationToken)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // The send is over: leave the gate now, so that a DisposeAsync waiting for it goes on to
            // drain and abandon what the kernel still holds (which is what completes the release below).
            ExitSend();
            ValueTask released = release.WhenReleased;
            if (!released.IsCompleted && error is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                // The caller asked to stop waiting, but the kernel still reads part of the memory:
                // hand the release over with the cancellation instead of waiting for a stalled peer.
                throw new PinnedSendCanceledException(release, cancellationToken);
            }

            // Otherwise the caller never sees the release handle: wait here until the memory is free
            // (or the socket is disposed), so that "the send threw" also means "you may write it again".
            try
            {
                await released.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The send's own exception is the one to report.
            catch
#pragma warning restore CA1031
            {
            }

            throw;
        }

        ExitSend();
        return release;
    }
}
