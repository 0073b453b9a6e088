using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>
/// SendWithHeadersAsync with a file body larger than the small-body limit, one syscall per step:
/// <code>
///   [setsockopt(TCP_CORK, 1)]           only when trailers follow the body (or the benchmark's AlwaysCork)
///   sendmsg(header iovec, MSG_MORE) ... the kernel queues the header without sending a short segment
///   sendfile(file) ...                  its last chunk is pushed (the kernel sets MSG_MORE on every chunk but the last)
///   [sendmsg(trailer iovec)] ...
///   [setsockopt(TCP_CORK, 0)]           pushes the tail; also on every failure or cancellation
/// </code>
/// </summary>
/// <remarks>
/// Why cork only with trailers: sendfile(2) on a socket cannot be told that more follows
/// (SPLICE_F_MORE is not reachable through sendfile), so its last chunk is always pushed. Without
/// trailers that is exactly right and MSG_MORE on the header suffices (2 syscalls); with trailers
/// the pushed chunk would leave as a short segment before them, so TCP_CORK holds it.
/// </remarks>
internal struct FileResponseOperation : ISendOperation
{
    private readonly FileWindow _window;
    private readonly PieceList _trailers;
    private readonly long _total;
    private Phase _phase;
    private bool _corked;
    private long _sentBefore;
    private VectoredSendOperation _pieces;
    private SendFileOperation _file;

    public FileResponseOperation(PieceList headers, FileWindow window, PieceList trailers, bool cork)
    {
        _window = window;
        _trailers = trailers;
        _total = headers.TotalLength + window.Count + trailers.TotalLength;
        _phase = cork ? Phase.Cork : Phase.Headers;
        _corked = false;
        _sentBefore = 0;
        _pieces = new VectoredSendOperation(new PieceSequence(headers), moreFollows: true, isResponse: false);
        _file = new SendFileOperation(window, ownsWindow: false);
    }

    private enum Phase
    {
        Cork,
        Headers,
        File,
        Trailers,
        Uncork,
        Push,
    }

    public readonly long Sent => _sentBefore + _phase switch
    {
        Phase.Headers or Phase.Trailers => _pieces.Sent,
        Phase.File => _file.Sent,
        _ => 0,
    };

    public readonly long Total => _total;

    public readonly long RoomNeeded => 0;

    public readonly long Result => _total;

    public OperationStatus TryComplete(LinuxSocketSender sender)
    {
        OperationStatus status;
        switch (_phase)
        {
            case Phase.Cork:
                sender.Push.Cork();
                _corked = true;
                sender.Statistics.AddCorkedSend();
                _phase = Phase.Headers;
                return OperationStatus.Retry;
            case Phase.Headers:
                status = _pieces.TryComplete(sender);
                if (status == OperationStatus.Done)
                {
                    _sentBefore += _pieces.Total;
                    _phase = Phase.File;
                    return OperationStatus.Retry;
                }

                return status;
            case Phase.File:
                status = _file.TryComplete(sender);
                if (status == OperationStatus.Done)
                {
                    _sentBefore += _file.Total;
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
                    _phase = _corked ? Phase.Uncork : Phase.Push;
                    return OperationStatus.Retry;
                }

                return status;
            case Phase.Uncork:
                _corked = false;
                sender.Push.Uncork();
                _phase = Phase.Push;
                return OperationStatus.Retry;
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

        _window.Release();
    }
}
