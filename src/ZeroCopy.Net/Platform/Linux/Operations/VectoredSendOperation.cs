using System.Buffers;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>
/// A sequence of caller pieces (headers, a memory body, trailers) as vectored sendmsg calls, one
/// per step, resuming at the exact byte after a partial write; more than UIO_MAXIOV pieces take
/// several calls. Alone it is a whole memory response (the tail pushed at the end, pushed on
/// failure too); inside a file or pinned response it is the header or trailer phase.
/// </summary>
internal struct VectoredSendOperation : ISendOperation
{
    private readonly int _pieceCount;
    private readonly long _total;
    private readonly bool _moreFollows;
    private readonly bool _isResponse;
    private readonly byte[]? _pooledBody;
    private readonly PinnedSendBatch? _pinnedBody;
    private readonly PinnedCopyReason _pinnedReason;
    private IovecCursor _cursor;

    /// <param name="pieces">What to send, in order (the caller's lists are not copied).</param>
    /// <param name="moreFollows">MSG_MORE on the last call too: a body or trailer follows.</param>
    /// <param name="isResponse">This is the whole response: push the tail when done, and after a failure.</param>
    public VectoredSendOperation(PieceSequence pieces, bool moreFollows, bool isResponse)
    {
        _cursor = new IovecCursor(pieces);
        _pieceCount = pieces.Count;
        _total = _cursor.Remaining;
        _moreFollows = moreFollows;
        _isResponse = isResponse;
        _pooledBody = null;
        _pinnedBody = null;
        _pinnedReason = default;
    }

    /// <summary>A whole response whose body is a pooled array this operation returns to <see cref="ArrayPool{T}.Shared"/> when it ends.</summary>
    public VectoredSendOperation(PieceSequence pieces, byte[] pooledBody)
        : this(pieces, moreFollows: false, isResponse: true) => _pooledBody = pooledBody;

    /// <summary>
    /// A whole response whose body is a pinned batch that rides in the headers' sendmsg as a plain
    /// copy (below the threshold, or zero-copy off for the socket): the batch is released (its
    /// buffers back in the pool) when the operation ends, and the copy counted for <paramref name="reason"/>.
    /// </summary>
    public VectoredSendOperation(PieceSequence pieces, PinnedSendBatch pinnedBody, PinnedCopyReason reason)
        : this(pieces, moreFollows: false, isResponse: true)
    {
        _pinnedBody = pinnedBody;
        _pinnedReason = reason;
    }

    public readonly long Sent => _total - _cursor.Remaining;

    public readonly long Total => _total;

    public readonly long RoomNeeded => 0;

    public readonly long Result => _total;

    public OperationStatus TryComplete(LinuxSocketSender sender)
    {
        if (_cursor.IsComplete)
        {
            if (_isResponse)
            {
                sender.Push.PushTail();
            }

            return OperationStatus.Done;
        }

        SyscallResult<Errno> result = sender.Writer.TrySend(ref _cursor, _pieceCount, _moreFollows);
        if (!result.Failed)
        {
            _cursor.Advance(result.Value);
            sender.Statistics.AddVectoredSend(result.Value);
            return _cursor.IsComplete && !_isResponse ? OperationStatus.Done : OperationStatus.Retry;
        }

        return result.Errno switch
        {
            Errno.EAGAIN => OperationStatus.WaitWritable,
            Errno.EINTR => OperationStatus.Retry,
            _ => throw result.ToException("sendmsg"),
        };
    }

    public readonly void Complete(LinuxSocketSender sender, bool succeeded)
    {
        if (_isResponse && !succeeded)
        {
            sender.Push.PushAfterFailure(corked: false);
        }

        if (_pooledBody is not null)
        {
            ArrayPool<byte>.Shared.Return(_pooledBody);
        }

        if (_pinnedBody is not null)
        {
            if (succeeded)
            {
                sender.Statistics.AddPinnedBodyCopiedWithHeaders(_pinnedBody.TotalLength, _pinnedReason);
                sender.Statistics.AddPinnedSendCall();
            }

            _pinnedBody.Release();
        }
    }
}
