using System;
using System.Buffers;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocket
{
    /// <summary>
    /// Sends each pinned buffer as its own datagram, in the order given: a burst of datagrams (a
    /// market-data tick, a game-state broadcast) in one call, so the syscall per datagram goes. On the
    /// epoll engine the burst is sendmmsg (MSG_ZEROCOPY per datagram at or above the threshold); on the
    /// io_uring engine (<see cref="ZeroCopySocketOptions.Engine"/> = <see cref="SendEngine.IoUring"/>)
    /// one io_uring_enter with a SEND_ZC per datagram from registered pool memory, which is where
    /// io_uring's zero-copy gain lies (a single awaited send cannot batch: docs/design.md, "Datagram
    /// bursts"); on the portable path one send per datagram. Takes ownership
    /// of every buffer, as <see cref="SendPinnedAsync(PinnedBuffer, int, CancellationToken)"/> does,
    /// with the same threshold for zero-copy per datagram.
    /// </summary>
    /// <param name="datagrams">Buffers rented from <see cref="BufferPool"/>, each owned and named once; 1 to 1024 of them.</param>
    /// <param name="lengths">For each buffer, the bytes of its datagram (from its start).</param>
    /// <param name="cancellationToken">Stops a wait for socket space or for completions. Datagrams already sent stay sent.</param>
    /// <returns>A task that completes when the kernel has taken every datagram (not when it has released the memory).</returns>
    /// <remarks>
    /// The kernel takes the datagrams in order. Only when the socket's send buffer is full may io_uring
    /// send a datagram it had to park after later ones (UDP promises no order anyway). When one datagram
    /// fails, the others are still sent, and the first failure is thrown.
    /// </remarks>
    /// <exception cref="ArgumentException">The spans differ in length, are empty or longer than 1024, name one buffer twice, or a buffer is <c>default</c> or from another pool.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is negative or larger than its buffer.</exception>
    /// <exception cref="NotSupportedException">The socket is not a datagram socket (a stream has no datagram boundaries: use <see cref="SendPinnedAsync(ReadOnlySpan{PinnedBuffer}, ReadOnlySpan{int}, CancellationToken)"/>). The caller keeps every buffer.</exception>
    /// <exception cref="ObjectDisposedException">A buffer was already sent or disposed (then every buffer stays with the caller); or this socket is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused a datagram (e.g. <see cref="SocketError.MessageSize"/>, ICMP port unreachable as <see cref="SocketError.ConnectionRefused"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask SendPinnedDatagramsAsync(ReadOnlySpan<PinnedBuffer> datagrams, ReadOnlySpan<int> lengths, CancellationToken cancellationToken = default)
    {
        ValidatePinnedSpanCounts(datagrams, lengths, nameof(datagrams), "datagrams");
        if (Socket.SocketType != SocketType.Dgram)
        {
            throw new NotSupportedException($"SendPinnedDatagramsAsync needs a datagram socket; this one is {Socket.SocketType}. On a stream, SendPinnedAsync(buffers, lengths) sends several buffers in one call.");
        }

        for (int i = 0; i < datagrams.Length; i++)
        {
            ValidatePinned(datagrams[i], lengths[i], nameof(datagrams), nameof(lengths));
        }
        EnterSend();
        PinnedSendBatch[] batches = ArrayPool<PinnedSendBatch>.Shared.Rent(datagrams.Length);
        for (int i = 0; i < datagrams.Length; i++)
        {
            PinnedSendBatch batch = PinnedSendBatch.Rent();
            if (!BufferPool.TryTakeForSend(datagrams[i]))
            {
                // A buffer named twice (taken a moment ago at j), or the owner's Dispose won the race:
                // give back what was taken, as if never called. O(n) only on this path.
                batch.Release();
                for (int k = 0; k < i; k++)
                {
                    BufferPool.UndoTakeForSend(datagrams[k]);
                    batches[k].Clear();
                    batches[k].Release();
                    batches[k] = null!;
                }

                ArrayPool<PinnedSendBatch>.Shared.Return(batches);
                ExitSend();
                for (int j = 0; j < i; j++)
                {
                    if (ReferenceEquals(datagrams[i].Segment, datagrams[j].Segment))
                    {
                        ThrowHelper.ThrowArgument(nameof(datagrams), $"Buffers {j} and {i} are the same buffer: a buffer can be sent once.");
                    }
                }

                PinnedThrowHelper.ThrowBufferNotOwned();
            }

            batch.Add(datagrams[i].Segment!, lengths[i]);
            batches[i] = batch;
        }

        ValueTask send;
        try
        {
            send = _sender.SendPinnedDatagramsAsync(batches, datagrams.Length, cancellationToken);
        }
        catch
        {
            ExitSend();
            throw;
        }

        return FinishPinned(send);
    }
}
