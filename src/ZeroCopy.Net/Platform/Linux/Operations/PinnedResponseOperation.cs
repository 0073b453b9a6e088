using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>
/// SendWithHeadersAsync with a pinned body that goes zero-copy, one sendmsg per step:
/// <code>
///   sendmsg(header iovec, MSG_MORE) ...
///   sendmsg(body, MSG_ZEROCOPY [| MSG_MORE when trailers follow]) ...   a <see cref="PinnedSendOperation"/>
///   [sendmsg(trailer iovec)] ...                                       then the tail is pushed
/// </code>
/// </summary>
/// <remarks>
/// No TCP_CORK: unlike sendfile(2), sendmsg can say that more follows, so MSG_MORE holds every
/// piece but the last. The body phase is the pinned-send operation itself (threshold, backpressure,
/// completions, ENOBUFS fallback, COPIED adaptation, statistics), so the buffer goes back to the pool
/// when its completion arrives. A body that does not go zero-copy rides in the headers' sendmsg
/// instead (<see cref="LinuxSocketSender"/> chooses; this operation is not used then).
/// </remarks>
internal struct PinnedResponseOperation : ISendOperation
{
    private readonly PieceList _trailers;
    private readonly long _total;
    private Phase _phase;
    private long _sentBefore;
    private VectoredSendOperation _pieces;
    private PinnedSendOperation _body;

    public PinnedResponseOperation(LinuxSocketSender sender, PieceList headers, PinnedSendBatch body, PieceList trailers, ZeroCopyChannel channel)
    {
        _trailers = trailers;
        _total = headers.TotalLength + body.TotalLength + trailers.TotalLength;
        _phase = Phase.Headers;
        _sentBefore = 0;
        _pieces = new VectoredSendOperation(new PieceSequence(headers), moreFollows: true, isResponse: false);
        _body = new PinnedSendOperation(sender, body, channel, trailers.TotalLength > 0 ? MSG_MORE : 0);
    }

    private enum Phase
    {
        Headers,
        Body,
        Trailers,
        Push,
    }

    public readonly long Sent => _sentBefore + _phase switch
    {
        Phase.Headers or Phase.Trailers => _pieces.Sent,
        Phase.Body => _body.Sent,
        _ => 0,
    };

    public readonly long Total => _total;

    public readonly long RoomNeeded => _body.RoomNeeded;

    public readonly long Result => _total;

    public OperationStatus TryComplete(LinuxSocketSender sender)
    {
        OperationStatus status;
        switch (_phase)
        {
            case Phase.Headers:
                status = _pieces.TryComplete(sender);
                if (status == OperationStatus.Done)
                {
                    _sentBefore += _pieces.Total;
                    _phase = Phase.Body;
                    return OperationStatus.Retry;
                }

                return status;
            case Phase.Body:
                status = _body.TryComplete(sender);
                if (status == OperationStatus.Done)
                {
                    _sentBefore += _body.Total;
                    _pieces = new VectoredSendOperation(new PieceSequence(_trailers), moreFollows: false, isResponse: false);
                    _phase = Phase.Trailers;
                    return OperationStatus.Retry;
                }

                return status;
            case Phase.Trailers:
                status = _pieces.TryComplete(sender);
                if (status == OperationStatus.Done)
                {
                    _sentBefore += _pieces.Total;
                    _phase = Phase.Push;
                    return OperationStatus.Retry;
                }

                return status;
            default:
                sender.Push.PushTail();
                return OperationStatus.Done;
        }
    }

    public readonly void Complete(LinuxSocketSender sender, bool succeeded)
    {
        if (!succeeded)
        {
            sender.Push.PushAfterFailure(corked: false);
        }

        // The body operation's own end: its hold on the batch, the pinned-send count and the
        // idle detection (a completed body counts as one pinned send, as before).
        _body.Complete(sender, _phase > Phase.Body);
    }
}
