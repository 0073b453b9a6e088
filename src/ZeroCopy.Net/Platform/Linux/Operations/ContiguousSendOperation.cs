using System.Buffers;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>
/// A whole small response already built in one pooled array (headers, a small body, trailers):
/// send(2) of what is left, one call per step, the tail pushed at the end. The array goes back to
/// <see cref="ArrayPool{T}.Shared"/> when the operation ends.
/// </summary>
/// <remarks>
/// A server that answers with small bodies sends them this way (SmallResponse.cs builds the array),
/// and the one-buffer Socket.SendAsync it replaces completes synchronously when the socket takes the
/// bytes: so does this operation, with no state machine. One contiguous array needs no per-piece GC
/// pin (a <c>fixed</c> during each syscall suffices), and send(2) no msghdr for the kernel to import.
/// </remarks>
internal struct ContiguousSendOperation : ISendOperation
{
    private readonly byte[] _response;
    private readonly int _length;
    private int _sent;

    /// <param name="response">A pooled array that this operation now owns.</param>
    /// <param name="length">Bytes of <paramref name="response"/> to send.</param>
    public ContiguousSendOperation(byte[] response, int length)
    {
        _response = response;
        _length = length;
        _sent = 0;
    }

    public readonly long Sent => _sent;

    public readonly long Total => _length;

    public readonly long RoomNeeded => 0;

    public readonly long Result => _length;

    public OperationStatus TryComplete(LinuxSocketSender sender)
    {
        if (_sent >= _length)
        {
            sender.Push.PushTail();
            return OperationStatus.Done;
        }

        SyscallResult<Errno> result = sender.Writer.TrySend(_response, _sent, _length - _sent);
        if (!result.Failed)
        {
            _sent += (int)result.Value;
            sender.Statistics.AddVectoredSend(result.Value);
            return OperationStatus.Retry;
        }

        return result.Errno switch
        {
            Errno.EAGAIN => OperationStatus.WaitWritable,
            Errno.EINTR => OperationStatus.Retry,
            _ => throw result.ToException("send"),
        };
    }

    public readonly void Complete(LinuxSocketSender sender, bool succeeded)
    {
        if (!succeeded)
        {
            sender.Push.PushAfterFailure(corked: false);
        }

        ArrayPool<byte>.Shared.Return(_response);
    }
}
