using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocket
{
    /// <summary>
    /// Sends one header, a body and an optional trailer as one coalesced write: on Linux the header
    /// goes in a sendmsg with MSG_MORE, a file body with sendfile(2) (or, when it is small, in the
    /// same sendmsg as the header), a pinned body with sendmsg(MSG_ZEROCOPY) (or, when it is small,
    /// in the header's sendmsg), and the tail is pushed at once, so the peer sees full segments
    /// and never waits on Nagle's algorithm and its delayed ACK.
    /// </summary>
    /// <param name="header">The header bytes (may be empty). Keep them unchanged until the send completes.</param>
    /// <param name="body">The body: <see cref="SendBody.FromFile(string, long, long?)"/> and its handle and stream forms, <see cref="SendBody.FromMemory"/>, <see cref="SendBody.FromPinned"/>, or <see cref="SendBody.None"/>.</param>
    /// <param name="trailer">Bytes sent after the body (may be empty).</param>
    /// <param name="cancellationToken">Stops the send between kernel calls. A cancelled send leaves part of the response on the wire: close the connection.</param>
    /// <returns>The number of bytes sent: header, body and trailer, all of them when the task succeeds.</returns>
    /// <remarks>See <see cref="SendWithHeadersAsync(ReadOnlyMemory{ReadOnlyMemory{byte}}, SendBody, ReadOnlyMemory{ReadOnlyMemory{byte}}, CancellationToken)"/>.</remarks>
    /// <exception cref="ArgumentException">The body's handle is closed or invalid, or its stream is not readable; or its pinned buffer comes from another pool than <see cref="BufferPool"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The body's window is outside the file.</exception>
    /// <exception cref="FileNotFoundException">The body's file does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The body's path is a directory, or access is denied.</exception>
    /// <exception cref="NotSupportedException">The socket is not a stream socket, or the body's file is not a regular file.</exception>
    /// <exception cref="IOException">The body's file became shorter during the send.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send; <see cref="System.Net.Sockets.SocketException.SocketErrorCode"/> and the message carry the error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">This object is disposed, or was disposed during the send; or the body's pinned buffer was already sent or disposed (then nothing is sent).</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    public ValueTask<long> SendWithHeadersAsync(ReadOnlyMemory<byte> header, SendBody body, ReadOnlyMemory<byte> trailer = default, CancellationToken cancellationToken = default)
        => SendWithHeadersCore(new PieceList(header), body, new PieceList(trailer), cancellationToken);

    /// <summary>
    /// Sends header pieces, a body and trailer pieces as one coalesced write: on Linux the header
    /// pieces go in one vectored sendmsg (an iovec; more than 1,024 pieces take several calls) with
    /// MSG_MORE, a file body with sendfile(2) (or, when it is small, in the same sendmsg as the headers),
    /// a pinned body with sendmsg(MSG_ZEROCOPY) (or, when it is small, in the headers' sendmsg),
    /// trailers after it (under TCP_CORK after a file body), and the tail is pushed at once.
    /// </summary>
    /// <param name="headers">The header pieces, in order. May be empty (the body alone is sent); empty pieces are skipped. Keep them unchanged until the send completes. A reused array makes the call allocation-free.</param>
    /// <param name="body">The body: <see cref="SendBody.FromFile(string, long, long?)"/> and its handle and stream forms, <see cref="SendBody.FromMemory"/>, <see cref="SendBody.FromPinned"/>, or <see cref="SendBody.None"/>.</param>
    /// <param name="trailers">Pieces sent after the body, in order (may be empty).</param>
    /// <param name="cancellationToken">Stops the send between kernel calls. A cancelled send leaves part of the response on the wire: close the connection.</param>
    /// <returns>The number of bytes sent: headers, body and trailers, all of them when the task succeeds.</returns>
    /// <remarks>
    /// <para>The socket is never left corked: TCP_CORK (set only when a file body is followed by
    /// trailers) is cleared on every exit, and bytes held back by MSG_MORE are pushed even when the
    /// send fails or is cancelled.</para>
    /// <para>Pushing the tail: with Nagle's algorithm on, uncorking alone still leaves the last
    /// partial segment waiting for the peer's delayed ACK (about 40 ms) now and then. So the first
    /// SendWithHeadersAsync on a socket sets TCP_NODELAY and leaves it set, as nginx does on
    /// keep-alive connections: coalescing is the cork's job, Nagle on top of it only delays the tail.
    /// Plain sends the application makes on the same socket afterwards are not delayed by Nagle
    /// either. See docs/design.md.</para>
    /// <para>A file body of at most 16 KiB is read into a pooled buffer and sent in the same sendmsg
    /// as the headers and trailers (one syscall for the whole response); those bytes are counted in
    /// <see cref="ZeroCopyStatistics.SmallFileCopiedBytes"/>. Larger bodies go through sendfile(2).</para>
    /// <para>A pinned body (<see cref="SendBody.FromPinned"/>) follows <see cref="SendPinnedAsync(Buffers.PinnedBuffer, int, CancellationToken)"/>'s
    /// rules: the call takes the buffer the moment it returns a task (even one that later fails), and
    /// the buffer goes back to the pool when the kernel's completion says it no longer reads it. An
    /// exception thrown before a task is returned (bad arguments, socket disposed, another send
    /// running) leaves the buffer with the caller. A body of at least
    /// <see cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/> bytes goes out with
    /// sendmsg(MSG_ZEROCOPY) between the headers' sendmsg(MSG_MORE) and the trailers; a smaller one,
    /// or any body once the socket has switched to copies, goes in the headers' sendmsg and the buffer
    /// is back in the pool when the task completes.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">The body's handle is closed or invalid, or its stream is not readable; or its pinned buffer comes from another pool than <see cref="BufferPool"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The body's window is outside the file.</exception>
    /// <exception cref="FileNotFoundException">The body's file does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The body's path is a directory, or access is denied.</exception>
    /// <exception cref="NotSupportedException">The socket is not a stream socket, or the body's file is not a regular file.</exception>
    /// <exception cref="IOException">The body's file became shorter during the send.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send; <see cref="System.Net.Sockets.SocketException.SocketErrorCode"/> and the message carry the error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">This object is disposed, or was disposed during the send; or the body's pinned buffer was already sent or disposed (then nothing is sent).</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    public ValueTask<long> SendWithHeadersAsync(ReadOnlyMemory<ReadOnlyMemory<byte>> headers, SendBody body, ReadOnlyMemory<ReadOnlyMemory<byte>> trailers = default, CancellationToken cancellationToken = default)
        => SendWithHeadersCore(new PieceList(headers), body, new PieceList(trailers), cancellationToken);

    private ValueTask<long> SendWithHeadersCore(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
    {
        if (body.Kind == SendBodyKind.Pinned)
        {
            return SendWithPinnedBody(headers, body, trailers, cancellationToken);
        }

        body = PrepareBody(body);
        ThrowIfNotStream(sendsFile: body.Kind is SendBodyKind.FilePath or SendBodyKind.FileHandle);
        return StartGatedSend(
            (headers, body, trailers),
            static (sender, a, ct) => sender.SendWithHeadersAsync(a.headers, a.body, a.trailers, ct),
            CountedCall.SendWithHeaders,
            cancellationToken);
    }

    /// <summary>Checks what can be checked without the file, and turns a stream into its handle.</summary>
    private static SendBody PrepareBody(SendBody body)
    {
        switch (body.Kind)
        {
            case SendBodyKind.FileHandle:
                if (body.Handle.IsClosed || body.Handle.IsInvalid)
                {
                    ThrowHelper.ThrowArgument(nameof(body), "The body's file handle is closed or invalid.");
                }

                return body;
            case SendBodyKind.FileStream:
                FileStream stream = body.Stream;
                if (!stream.CanRead)
                {
                    ThrowHelper.ThrowArgument(nameof(body), "The body's file stream is closed or not readable.");
                }

                if (stream.CanWrite)
                {
                    // sendfile reads the page cache: bytes still in the stream's write buffer would be missed.
                    stream.Flush();
                }

                return SendBody.FromFile(stream.SafeFileHandle, body.Offset, body.Count);
            default:
                return body;
        }
    }
}
