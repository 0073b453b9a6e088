using System.Net.Sockets;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>
/// SendPinnedAsync, and the body of a pinned response: sendmsg of a pinned batch, with
/// MSG_ZEROCOPY at or above the socket's threshold while the socket still has zero-copy, else a
/// counted copy. One sendmsg per step. The whole state of one pinned send lives here.
/// </summary>
/// <remarks>
/// A zero-copy call is recorded in the <see cref="ZeroCopyChannel"/> before the syscall and taken
/// back if it fails; the batch's memory goes back to its pool when the last completion for it
/// arrives, not when this operation ends. ENOBUFS (optmem_max, RLIMIT_MEMLOCK) resends the same
/// bytes without the flag, counted. A datagram goes out whole or not at all; a stream send may take
/// part of the bytes and resumes at the exact byte.
/// </remarks>
internal struct PinnedSendOperation : ISendOperation
{
    private readonly PinnedSendBatch _batch;
    private readonly ZeroCopyChannel _channel;
    private readonly long _total;
    private readonly bool _isStream;
    private readonly int _moreFlag;
    private long _sent;
    private bool _zeroCopy;
    private bool _roomChecked;
    private bool _timed;
    private PinnedCopyReason _reason;

    /// <param name="sender">The socket's sender.</param>
    /// <param name="batch">The batch; this operation takes over the caller's hold on it.</param>
    /// <param name="channel">The socket's zero-copy state.</param>
    /// <param name="moreFlag">MSG_MORE when bytes follow the batch (a pinned body before trailers), else 0.</param>
    public PinnedSendOperation(LinuxSocketSender sender, PinnedSendBatch batch, ZeroCopyChannel channel, int moreFlag)
    {
        _batch = batch;
        _channel = channel;
        _total = batch.TotalLength;
        _isStream = sender.IsStream;
        _moreFlag = moreFlag;
        _sent = 0;
        _roomChecked = false;
        _zeroCopy = false;
        _timed = false;
        _reason = PinnedCopyReason.BelowThreshold;
        if (!channel.Enabled)
        {
            _reason = PinnedCopyReason.ZeroCopyOff;
        }
        else
        {
            _zeroCopy = channel.ChooseZeroCopy(_total, out _timed);
        }
    }

    /// <summary>A copying send chosen by the caller (the io_uring engine's sends below its threshold): no channel, no MSG_ZEROCOPY.</summary>
    /// <param name="sender">The socket's sender.</param>
    /// <param name="batch">The batch; this operation takes over the caller's hold on it.</param>
    /// <param name="reason">Why the bytes are copied, for the statistics.</param>
    public PinnedSendOperation(LinuxSocketSender sender, PinnedSendBatch batch, PinnedCopyReason reason)
    {
        _batch = batch;
        _channel = null!; // read only on the zero-copy path, which this send never takes
        _total = batch.TotalLength;
        _isStream = sender.IsStream;
        _moreFlag = 0;
        _sent = 0;
        _roomChecked = true;
        _zeroCopy = false;
        _timed = false;
        _reason = reason;
    }

    public readonly long Sent => _sent;

    public readonly long Total => _total;

    public readonly long RoomNeeded => _total;

    public readonly long Result => _total;

    public OperationStatus TryComplete(LinuxSocketSender sender)
    {
        if (_total == 0 && _isStream)
        {
            return OperationStatus.Done; // nothing to put in the stream
        }

        if (!_roomChecked)
        {
            _roomChecked = true;
            if (_zeroCopy && _channel.NeedsRoom(_total))
            {
                return OperationStatus.WaitForRoom;
            }
        }

        SyscallResult<Errno> result;
        long cpu = 0;
        if (_zeroCopy)
        {
            long requested = _total - _sent;
            uint sequence = _channel.Record(_batch, requested, _sent);
            result = SendTimed(sender, MSG_ZEROCOPY | MSG_DONTWAIT | MSG_NOSIGNAL | _moreFlag, ref cpu);
            if (result.Failed)
            {
                _channel.Unrecord(_batch, requested);
            }
            else
            {
                if (result.Value < requested)
                {
                    _channel.AcceptedPart(sequence, _batch, requested, result.Value);
                }

                sender.Statistics.AddPinnedZeroCopy(result.Value);
                _channel.AfterSend();
            }
        }
        else
        {
            result = SendTimed(sender, MSG_DONTWAIT | MSG_NOSIGNAL | _moreFlag, ref cpu);
            if (!result.Failed)
            {
                sender.Statistics.AddPinnedCopied(result.Value, _reason);
            }
        }

        if (_timed)
        {
            // A sampled send: the sending thread's CPU for this one sendmsg feeds the crossover.
            _timed = false;
            if (!result.Failed)
            {
                _channel.RecordTimedSend(result.Value, _zeroCopy, cpu);
            }
        }

        if (!result.Failed)
        {
            _sent += result.Value;
            return !_isStream || _sent >= _total ? OperationStatus.Done : OperationStatus.Retry;
        }

        switch (result.Errno)
        {
            case Errno.EAGAIN:
                return OperationStatus.WaitWritable;
            case Errno.EINTR:
                return OperationStatus.Retry;
            case Errno.ENOBUFS when _zeroCopy:
                // optmem_max or RLIMIT_MEMLOCK: the kernel would not pin more. Copy these bytes
                // instead of failing; the next send tries zero-copy again.
                sender.Statistics.AddNoBufsFallback();
                _zeroCopy = false;
                _reason = PinnedCopyReason.NoBufs;
                return OperationStatus.Retry;
            default:
                throw result.ToException("sendmsg");
        }
    }

    /// <summary>The step's sendmsg; on a sampled send, with the thread's CPU clock read around it (and only it).</summary>
    private readonly SyscallResult<Errno> SendTimed(LinuxSocketSender sender, int flags, ref long cpu)
    {
        if (!_timed)
        {
            return sender.Writer.TrySend(_batch, _sent, flags);
        }

        long start = ThreadCpuNanoseconds();
        SyscallResult<Errno> result = sender.Writer.TrySend(_batch, _sent, flags);
        cpu = ThreadCpuNanoseconds() - start;
        return result;
    }

    public readonly void Complete(LinuxSocketSender sender, bool succeeded)
    {
        if (succeeded)
        {
            sender.Statistics.AddPinnedSendCall();
        }

        _batch.Release();
        sender.Readiness.NoteSendEnded();
    }
}
