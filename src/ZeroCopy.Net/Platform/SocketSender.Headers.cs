using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform;

internal abstract partial class SocketSender
{
    /// <summary>
    /// Sends <paramref name="headers"/>, then <paramref name="body"/>, then <paramref name="trailers"/>
    /// as one coalesced write (cork or MSG_MORE where the platform has them) and pushes the tail.
    /// Returns the bytes sent. <paramref name="body"/> is never <see cref="SendBodyKind.FileStream"/>:
    /// <see cref="ZeroCopySocket"/> turns a stream into its handle first.
    /// </summary>
    public abstract ValueTask<long> SendWithHeadersAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="SendWithHeadersAsync"/> with a pinned body, already taken from its owner
    /// (<see cref="SendBodyKind.Pinned"/> never reaches the method above). Like
    /// <see cref="SendPinnedAsync"/>, drops the caller's hold on <paramref name="body"/> exactly once
    /// however it ends, and never throws synchronously; the body's memory is released when the
    /// kernel no longer needs it.
    /// </summary>
    public abstract ValueTask<long> SendWithPinnedBodyAsync(PieceList headers, PinnedSendBatch body, PieceList trailers, CancellationToken cancellationToken);
}
