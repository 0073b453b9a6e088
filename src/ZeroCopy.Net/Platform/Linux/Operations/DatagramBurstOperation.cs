using System;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>
/// SendPinnedDatagramsAsync on the epoll engine: each batch one datagram, sent with sendmmsg, many
/// datagrams per syscall. One sendmmsg per step, over the longest run of datagrams from the next
/// unsent one that share one choice (MSG_ZEROCOPY or a copy: the flag belongs to the call, not to
/// a message). The whole state of one burst lives here.
/// </summary>
/// <remarks>
/// <para>Zero-copy: every datagram of the run is recorded in the <see cref="ZeroCopyChannel"/> before
/// the call, in order, because the kernel numbers each message's completion as if it were its own
/// sendmsg; the ones the kernel did not take (sendmmsg returned fewer) consumed no number and are
/// taken back from the end. Each batch is released by its own completion.</para>
/// <para>Failures: sendmmsg reports a message's error only when it is the first message of the
/// call, so a refused datagram is met at the head of the next step. It is skipped and the others go
/// on; the first refusal is thrown once every datagram has been handled, as on the io_uring engine.</para>
/// </remarks>
internal struct DatagramBurstOperation : ISendOperation
{
    private readonly PinnedSendBatch[] _datagrams;
    private readonly int _count;
    private readonly ZeroCopyChannel _channel;
    private readonly long _total;
    private int _next;
    private long _sent;
    private int _runEnd;
    private long _runBytes;
    private bool _runZeroCopy;
    private bool _runRoomChecked;
    private bool _copyNext;
    private Errno _failure;
    private bool _failedZeroCopy;

    /// <param name="datagrams">The datagrams; this operation takes over every hold and the array (returned to its pool by <see cref="Complete"/>).</param>
    /// <param name="count">How many of the array's entries are datagrams.</param>
    /// <param name="channel">The socket's zero-copy state.</param>
    public DatagramBurstOperation(PinnedSendBatch[] datagrams, int count, ZeroCopyChannel channel)
    {
        _datagrams = datagrams;
        _count = count;
        _channel = channel;
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            total += datagrams[i].TotalLength;
        }

        _total = total;
        _next = 0;
        _sent = 0;
        _runEnd = 0;
        _runBytes = 0;
        _runZeroCopy = false;
        _runRoomChecked = false;
        _copyNext = false;
        _failure = Errno.SUCCESS;
        _failedZeroCopy = false;
    }

    public readonly long Sent => _sent;

    public readonly long Total => _total;

    public readonly long RoomNeeded => _runBytes;

    public readonly long Result => _sent;

    public OperationStatus TryComplete(LinuxSocketSender sender)
    {
        if (_next >= _count)
        {
            return Finish();
        }

        if (_runEnd <= _next)
        {
            StartRun();
        }

        if (_runZeroCopy && !_runRoomChecked)
        {
            _runRoomChecked = true;
            if (_channel.NeedsRoom(_runBytes))
            {
                return OperationStatus.WaitForRoom;
            }
        }

        int requested = Math.Min(_runEnd - _next, UIO_MAXIOV);
        SyscallResult<Errno> result;
        if (_runZeroCopy)
        {
            int recorded = 0;
            try
            {
                for (; recorded < requested; recorded++)
                {
                    PinnedSendBatch datagram = _datagrams[_next + recorded];
                    _ = _channel.Record(datagram, datagram.TotalLength, _sent);
                }
            }
            catch
            {
                // Disposal closed the channel between two records: none of these was sent.
                for (int i = recorded - 1; i >= 0; i--)
                {
                    PinnedSendBatch datagram = _datagrams[_next + i];
                    _channel.Unrecord(datagram, datagram.TotalLength);
                }

                throw;
            }

            result = sender.Writer.TrySendDatagrams(_datagrams, _next, requested, MSG_ZEROCOPY | MSG_DONTWAIT | MSG_NOSIGNAL);
            int taken = result.Failed ? 0 : (int)result.Value;
            for (int i = requested - 1; i >= taken; i--)
            {
                PinnedSendBatch datagram = _datagrams[_next + i];
                _channel.Unrecord(datagram, datagram.TotalLength);
            }
        }
        else
        {
            result = sender.Writer.TrySendDatagrams(_datagrams, _next, requested, MSG_DONTWAIT | MSG_NOSIGNAL);
        }

        if (!result.Failed)
        {
            int taken = (int)result.Value;
            for (int i = 0; i < taken; i++)
            {
                long length = _datagrams[_next + i].TotalLength;
                if (_runZeroCopy)
                {
                    sender.Statistics.AddPinnedZeroCopy(length);
                    _channel.AfterSend();
                }
                else
                {
                    sender.Statistics.AddPinnedCopied(length, !_channel.Enabled ? PinnedCopyReason.ZeroCopyOff : _copyNext ? PinnedCopyReason.NoBufs : PinnedCopyReason.BelowThreshold);
                    _copyNext = false;
                }

                sender.Statistics.AddPinnedSendCall();
                _sent += length;
            }

            _next += taken;
            return _next >= _count ? Finish() : OperationStatus.Retry;
        }

        switch (result.Errno)
        {
            case Errno.EAGAIN:
                return OperationStatus.WaitWritable;
            case Errno.EINTR:
                return OperationStatus.Retry;
            case Errno.ENOBUFS when _runZeroCopy:
                // optmem_max or RLIMIT_MEMLOCK: this datagram goes as a copy; the next run tries zero-copy again.
                sender.Statistics.AddNoBufsFallback();
                _copyNext = true;
                _runEnd = _next;
                return OperationStatus.Retry;
            default:
                // The datagram at the head was refused (EMSGSIZE, ECONNREFUSED from an ICMP error...):
                // skip it, send the rest, report the first refusal at the end.
                if (_failure == Errno.SUCCESS)
                {
                    _failure = result.Errno;
                    _failedZeroCopy = _runZeroCopy;
                }

                _next++;
                _copyNext = false;
                if (_runEnd < _next)
                {
                    _runEnd = _next;
                }

                return _next >= _count ? Finish() : OperationStatus.Retry;
        }
    }

    public readonly void Complete(LinuxSocketSender sender, bool succeeded)
    {
        // Each batch's sender hold, sent or not; zero-copy completions hold their own.
        for (int i = 0; i < _count; i++)
        {
            _datagrams[i].Release();
            _datagrams[i] = null!;
        }

        System.Buffers.ArrayPool<PinnedSendBatch>.Shared.Return(_datagrams);
        sender.Readiness.NoteSendEnded();
    }

    private readonly OperationStatus Finish()
    {
        if (_failure != Errno.SUCCESS)
        {
            throw PosixErrors.Socket(_failure, _failedZeroCopy ? "sendmmsg(MSG_ZEROCOPY)" : "sendmmsg");
        }

        return OperationStatus.Done;
    }

    /// <summary>The run from the next datagram: as long as the choice (zero-copy or copy) stays the same.</summary>
    private void StartRun()
    {
        bool zeroCopy = !_copyNext && Choose(_datagrams[_next].TotalLength);
        int end = _next + 1;
        long bytes = _datagrams[_next].TotalLength;
        if (!_copyNext)
        {
            while (end < _count && Choose(_datagrams[end].TotalLength) == zeroCopy)
            {
                bytes += _datagrams[end].TotalLength;
                end++;
            }
        }

        _runZeroCopy = zeroCopy;
        _runEnd = end;
        _runBytes = zeroCopy ? bytes : 0;
        _runRoomChecked = false;
    }

    private readonly bool Choose(long length) => _channel.Enabled && _channel.WouldUseZeroCopy(length);
}
