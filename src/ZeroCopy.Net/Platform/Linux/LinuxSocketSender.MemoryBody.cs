using System;
using System.Buffers;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;

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
            : WithSocketHeld((headers, body, trailers), static (sender, a, ct) => sender.SendPiecesWithTailPush(new PieceSequence(a.headers, a.body, a.trailers), ct), cancellationToken);

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
}
