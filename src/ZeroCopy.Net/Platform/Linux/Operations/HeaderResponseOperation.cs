using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>
/// SendWithHeadersAsync with a body that goes through its own kernel path (a file through
/// sendfile, a pinned buffer through MSG_ZEROCOPY), one syscall per step:
/// <code>
///   [setsockopt(TCP_CORK, 1)]           only for a file body with trailers (or the benchmark's AlwaysCork)
///   sendmsg(header iovec, MSG_MORE) ... the kernel queues the header without sending a short segment
///   body ...                           SendFileOperation: sendfile(2); PinnedSendOperation: sendmsg(MSG_ZEROCOPY [| MSG_MORE])
///   [sendmsg(trailer iovec)] ...
///   [setsockopt(TCP_CORK, 0)]           pushes the tail; also on every failure or cancellation
/// </code>
/// </summary>
/// <remarks>
/// <para>Why cork only for a file with trailers: sendfile(2) on a socket cannot be told that more
/// follows (SPLICE_F_MORE is not reachable through sendfile), so its last chunk is always pushed.
/// Without trailers that is exactly right and MSG_MORE on the header suffices (2 syscalls); with
/// trailers the pushed chunk would leave as a short segment before them, so TCP_CORK holds it. A
/// pinned body needs no cork: sendmsg can say MSG_MORE itself.</para>
/// <para>The body is the same operation that SendFileAsync or SendPinnedAsync runs alone (window,
/// threshold, backpressure, completions, ENOBUFS fallback, statistics); its
/// <see cref="ISendOperation.Complete"/> releases what it holds, and is told it succeeded once the
/// body phase is past, as SendPinnedAsync would have been.</para>
/// </remarks>
internal struct HeaderResponseOperation<TBody> : ISendOperation
    where TBody : struct, ISendOperation
{
    private readonly PieceList _trailers;
    private readonly long _total;
    private Phase _phase;
    private bool _corked;
    private long _sentBefore;
    private VectoredSendOperation _pieces;
    private TBody _body;

    public HeaderResponseOperation(PieceList headers, TBody body, PieceList trailers, bool cork)
    {
        _trailers = trailers;
        _total = headers.TotalLength + body.Total + trailers.TotalLength;
        _phase = cork ? Phase.Cork : Phase.Headers;
        _corked = false;
        _sentBefore = 0;
        _pieces = new VectoredSendOperation(new PieceSequence(headers), moreFollows: true, isResponse: false);
        _body = body;
    }

    private enum Phase
    {
        Cork,
        Headers,
        Body,
        Trailers,
        Uncork,
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
        switch (_phase)
        {
            case Phase.Cork:
                sender.Push.Cork();
                _corked = true;
                sender.Statistics.AddCorkedSend();
                return Next(Phase.Headers, 0);
            case Phase.Headers:
                return Advance(_pieces.TryComplete(sender), Phase.Body, _pieces.Total);
            case Phase.Body:
                OperationStatus status = _body.TryComplete(sender);
                if (status == OperationStatus.Done)
                {
                    _pieces = new VectoredSendOperation(new PieceSequence(_trailers), moreFollows: false, isResponse: false);
                }

                return Advance(status, Phase.Trailers, _body.Total);
            case Phase.Trailers:
                return Advance(_pieces.TryComplete(sender), _corked ? Phase.Uncork : Phase.Push, _pieces.Total);
            case Phase.Uncork:
                _corked = false;
                sender.Push.Uncork();
                return Next(Phase.Push, 0);
            default:
                sender.Push.PushTail();
                return OperationStatus.Done;
        }
    }

    public readonly void Complete(LinuxSocketSender sender, bool succeeded)
    {
        if (!succeeded)
        {
            sender.Push.PushAfterFailure(_corked);
        }

        _body.Complete(sender, _phase > Phase.Body);
    }

    /// <summary>A phase that finished moves on at once (<see cref="OperationStatus.Retry"/>); anything else is reported as it is.</summary>
    private OperationStatus Advance(OperationStatus status, Phase next, long phaseBytes)
        => status == OperationStatus.Done ? Next(next, phaseBytes) : status;

    private OperationStatus Next(Phase next, long phaseBytes)
    {
        _sentBefore += phaseBytes;
        _phase = next;
        return OperationStatus.Retry;
    }
}
