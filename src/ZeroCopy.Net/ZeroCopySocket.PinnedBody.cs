using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocket
{
    /// <summary>
    /// SendWithHeadersAsync with a <see cref="SendBodyKind.Pinned"/> body: the same checks and the
    /// same hand-over as <see cref="SendPinnedAsync(PinnedBuffer, int, CancellationToken)"/>, then
    /// the platform's header send.
    /// </summary>
    /// <remarks>
    /// Everything that can fail without touching the buffer is checked before it is taken, so a
    /// synchronous throw always leaves it with the caller; once taken, the sender owns the batch and
    /// releases it however the send ends. An already cancelled token is not short-cut here (unlike
    /// the file and memory bodies): the buffer is taken and the task is cancelled, exactly as
    /// SendPinnedAsync does, so "a task was returned" always means "the buffer is gone".
    /// </remarks>
    private ValueTask<long> SendWithPinnedBody(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
    {
        PinnedBuffer buffer = body.Pinned;
        int length = body.PinnedLength;
        ValidatePinned(buffer, length, nameof(body), nameof(body));
        ThrowIfNotStream(sendsFile: false);
        PinnedSendBatch batch = EnterSendWithBuffer(buffer, length);
        ValueTask<long> send;
        try
        {
            send = _sender.SendWithPinnedBodyAsync(headers, batch, trailers, cancellationToken);
        }
        catch
        {
            ExitSend();
            throw;
        }

        return CompleteGatedSend(send, CountedCall.SendWithHeaders);
    }
}
