using System;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux.Operations;

/// <summary>
/// SendFileAsync, and the body of a file response: sendfile(2) of a file window, one call per step
/// (the kernel moves at most 0x7ffff000 bytes a call). Page cache to socket, no user-space copy.
/// </summary>
internal struct SendFileOperation : ISendOperation
{
    private readonly FileWindow _window;
    private readonly bool _ownsWindow;
    private long _sent;

    /// <param name="window">The file window; checked against the file's length already.</param>
    /// <param name="ownsWindow">Release the window when the operation ends (false when a response that embeds this operation releases it).</param>
    public SendFileOperation(FileWindow window, bool ownsWindow)
    {
        _window = window;
        _ownsWindow = ownsWindow;
        _sent = 0;
    }

    public readonly long Sent => _sent;

    public readonly long Total => _window.Count;

    public readonly long RoomNeeded => 0;

    public readonly long Result => _sent;

    public unsafe OperationStatus TryComplete(LinuxSocketSender sender)
    {
        if (_sent >= _window.Count)
        {
            return OperationStatus.Done;
        }

        long position = _window.Offset + _sent;
        nint n = sendfile(sender.Fd, _window.Fd, &position, (nuint)Math.Min(_window.Count - _sent, SENDFILE_MAX_CHUNK));
        if (n > 0)
        {
            _sent += n;
            sender.Statistics.AddKernelSendFile(n);
            return _sent >= _window.Count ? OperationStatus.Done : OperationStatus.Retry;
        }

        if (n == 0)
        {
            // sendfile returns 0 only at end of file: the file is shorter than when we checked it.
            throw ThrowHelper.FileShrunk(_sent, _window.Count, _window.Offset);
        }

        Errno errno = GetLastErrno();
        if (errno == Errno.EBADF && _sent == 0 && LinuxFile.IsWriteOnly(_window.Fd))
        {
            // The caller's handle was opened write-only: a file error, not a socket one.
            throw LinuxFile.NotReadable("file");
        }

        return errno switch
        {
            Errno.EAGAIN => OperationStatus.WaitWritable,
            Errno.EINTR => OperationStatus.Retry,
            _ => throw PosixErrors.Socket(errno, "sendfile"),
        };
    }

    public readonly void Complete(LinuxSocketSender sender, bool succeeded)
    {
        if (_ownsWindow)
        {
            _window.Release();
        }
    }
}
