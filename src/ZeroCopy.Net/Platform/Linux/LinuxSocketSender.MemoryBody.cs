using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// SendWithHeadersAsync with a memory body (or none), tried synchronously first: a small response is
/// gathered into one pooled array and sent with one send(2); a larger one goes as an iovec in one
/// sendmsg.
/// </summary>
/// <remarks>
/// <para>A server that keeps small bodies cached sends them this way, and the one-buffer
/// Socket.SendAsync it replaces completes synchronously when the socket takes the bytes: so does this
/// path, with no async state machine. Only a partial write or EAGAIN (the socket buffer is full)
/// continues asynchronously, from the exact byte the kernel stopped at.</para>
/// <para>Why gather small responses: on the measured VM a sendmsg of a header and a 1-4 KiB body cost
/// the sending thread ~1 µs more than one send(2) of the same bytes in one buffer (the kernel imports
/// a msghdr and an iovec array from user memory, and two GC handles pin the pieces), while copying
/// at most 32 KiB costs well under that. The copy is counted in
/// <see cref="ZeroCopyStatistics.HeaderGatherCopiedBytes"/>. Larger bodies keep the iovec: no copy.</para>
/// </remarks>
internal sealed partial class LinuxSocketSender
{
    private ValueTask<long> SendMemoryResponse(PieceList headers, ReadOnlyMemory<byte> body, PieceList trailers, CancellationToken cancellationToken)
        => body.Length > 0 && IsSmallBodyResponse(headers, body.Length, trailers)
            ? WithSocketHeld((headers, body, trailers), static (sender, a, ct) => sender.SendGatheredResponse(a.headers, a.body, a.trailers, ct), cancellationToken)
            : SendMemoryIovecResponse(headers, body, trailers, cancellationToken);

    /// <summary>Copies headers, body and trailers into one pooled array and sends it (the socket is held by the caller).</summary>
    private ValueTask<long> SendGatheredResponse(PieceList headers, ReadOnlyMemory<byte> body, PieceList trailers, CancellationToken cancellationToken)
    {
        int length = (int)(headers.TotalLength + body.Length + trailers.TotalLength);
        byte[] response = ArrayPool<byte>.Shared.Rent(length);
        int at = headers.CopyTo(response, 0);
        body.Span.CopyTo(response.AsSpan(at));
        _ = trailers.CopyTo(response, at + body.Length);
        _statistics.AddHeaderGatherCopied(length);
        return SendContiguous(response, length, cancellationToken);
    }

    private ValueTask<long> SendMemoryIovecResponse(PieceList headers, ReadOnlyMemory<byte> body, PieceList trailers, CancellationToken cancellationToken)
    {
        bool addedSocketRef = false;
        try
        {
            addedSocketRef = AcquireSocket();
            SetNoDelayOnce();
            var pieces = new PieceSequence(headers, body, trailers);
            var cursor = new IovecCursor(pieces);
            long total = cursor.Remaining;
            int? waitEpoch = null;
            if (!cursor.IsComplete)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_disposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(0, total);
                }

                int epoch = _writable.Epoch;
                long n = TrySendPieces(ref cursor, pieces.Count, moreFollows: false, out Errno errno);
                if (n >= 0)
                {
                    cursor.Advance(n);
                    _statistics.AddVectoredSend(n);
                }
                else if (errno == Errno.EAGAIN)
                {
                    waitEpoch = epoch;
                }
                else if (errno != Errno.EINTR)
                {
                    throw LinuxErrors.Socket(errno, "sendmsg");
                }
            }

            if (cursor.IsComplete)
            {
                PushTail();
                ReleaseSocket(addedSocketRef);
                return new ValueTask<long>(total);
            }

            return SendMemoryRestAsync(pieces, cursor, total, waitEpoch, addedSocketRef, cancellationToken);
        }
        catch (Exception e)
        {
            if (addedSocketRef)
            {
                PushAfterFailure(corked: false);
                ReleaseSocket(addedSocketRef);
            }

            return new ValueTask<long>(Task.FromException<long>(e));
        }
    }

#if !NETSTANDARD2_0
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
#endif
    private async ValueTask<long> SendMemoryRestAsync(PieceSequence pieces, IovecCursor cursor, long total, int? waitEpoch, bool addedSocketRef, CancellationToken cancellationToken)
    {
        try
        {
            if (waitEpoch is int firstEpoch)
            {
                await WaitWritableAsync(firstEpoch, cancellationToken).ConfigureAwait(false);
            }

            while (!cursor.IsComplete)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_disposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(total - cursor.Remaining, total);
                }

                int epoch = _writable.Epoch;
                long n = TrySendPieces(ref cursor, pieces.Count, moreFollows: false, out Errno errno);
                if (n >= 0)
                {
                    cursor.Advance(n);
                    _statistics.AddVectoredSend(n);
                }
                else if (errno == Errno.EAGAIN)
                {
                    await WaitWritableAsync(epoch, cancellationToken).ConfigureAwait(false);
                }
                else if (errno != Errno.EINTR)
                {
                    throw LinuxErrors.Socket(errno, "sendmsg");
                }
            }

            PushTail();
            return total;
        }
        catch
        {
            PushAfterFailure(corked: false);
            throw;
        }
        finally
        {
            ReleaseSocket(addedSocketRef);
        }
    }
}
