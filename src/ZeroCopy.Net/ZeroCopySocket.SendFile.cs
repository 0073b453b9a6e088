using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocket
{
    /// <summary>
    /// Sends a file, or a window of it, with no user-space copy (sendfile(2) on Linux). The file is
    /// opened read-only for this call and closed before the returned task completes; no advisory
    /// lock is taken.
    /// </summary>
    /// <param name="path">The file to send.</param>
    /// <param name="offset">First byte to send. Default 0.</param>
    /// <param name="count">Bytes to send, or <see langword="null"/> for everything from <paramref name="offset"/> to the end. 0 sends nothing.</param>
    /// <param name="cancellationToken">Stops the send between kernel calls. A cancelled send leaves part of the window on the wire: close the connection.</param>
    /// <returns>The number of bytes sent: always the whole window when the task succeeds.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or contains a NUL character.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is negative or outside the file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The path is a directory, or access is denied.</exception>
    /// <exception cref="NotSupportedException">The socket is not a stream socket, or the path is not a regular file.</exception>
    /// <exception cref="IOException">The file became shorter during the send; the message says how many bytes were sent.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send (e.g. the peer reset the connection); <see cref="System.Net.Sockets.SocketException.SocketErrorCode"/> and the message carry the error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">This object is disposed, or was disposed during the send.</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    public ValueTask<long> SendFileAsync(string path, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
    {
        if (path is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(path));
        }

        if (path.Length == 0)
        {
            ThrowHelper.ThrowArgument(nameof(path), "The path is empty.");
        }

        FileRange.ValidateArguments(offset, count);
        ThrowIfNotStream();
        return StartGatedSend(
            (path, offset, count),
            static (sender, a, ct) => sender.SendFileAsync(a.path, a.offset, a.count, ct),
            CountedCall.SendFile,
            cancellationToken);
    }

    /// <summary>
    /// Sends a file, or a window of it, from an open handle with no user-space copy. The handle's
    /// file position is not used or changed (on Linux); the handle stays open.
    /// </summary>
    /// <param name="file">A handle opened for reading.</param>
    /// <param name="offset">First byte to send. Default 0.</param>
    /// <param name="count">Bytes to send, or <see langword="null"/> for everything from <paramref name="offset"/> to the end. 0 sends nothing.</param>
    /// <param name="cancellationToken">Stops the send between kernel calls. A cancelled send leaves part of the window on the wire: close the connection.</param>
    /// <returns>The number of bytes sent: always the whole window when the task succeeds.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="file"/> is closed or invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is negative or outside the file.</exception>
    /// <exception cref="UnauthorizedAccessException">The handle is a directory.</exception>
    /// <exception cref="NotSupportedException">The socket is not a stream socket, or the handle is not a regular file.</exception>
    /// <exception cref="IOException">The file became shorter during the send; the message says how many bytes were sent.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send; <see cref="System.Net.Sockets.SocketException.SocketErrorCode"/> and the message carry the error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">This object is disposed, or was disposed during the send.</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    public ValueTask<long> SendFileAsync(SafeFileHandle file, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
    {
        if (file is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(file));
        }

        if (file.IsClosed || file.IsInvalid)
        {
            ThrowHelper.ThrowArgument(nameof(file), "The file handle is closed or invalid.");
        }

        FileRange.ValidateArguments(offset, count);
        ThrowIfNotStream();
        return StartGatedSend(
            (file, offset, count),
            static (sender, a, ct) => sender.SendFileAsync(a.file, a.offset, a.count, ct),
            CountedCall.SendFile,
            cancellationToken);
    }

    /// <summary>
    /// Sends a file, or a window of it, from an open <see cref="FileStream"/> with no user-space
    /// copy. Offsets are absolute (the stream's <see cref="FileStream.Position"/> is neither used nor
    /// changed on Linux); data the stream has buffered for writing is flushed first.
    /// </summary>
    /// <param name="file">A readable file stream.</param>
    /// <param name="offset">First byte to send. Default 0.</param>
    /// <param name="count">Bytes to send, or <see langword="null"/> for everything from <paramref name="offset"/> to the end. 0 sends nothing.</param>
    /// <param name="cancellationToken">Stops the send between kernel calls. A cancelled send leaves part of the window on the wire: close the connection.</param>
    /// <returns>The number of bytes sent: always the whole window when the task succeeds.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="file"/> is not readable or is closed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is negative or outside the file.</exception>
    /// <exception cref="NotSupportedException">The socket is not a stream socket.</exception>
    /// <exception cref="IOException">The file became shorter during the send; the message says how many bytes were sent.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel refused the send; <see cref="System.Net.Sockets.SocketException.SocketErrorCode"/> and the message carry the error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">This object is disposed, or was disposed during the send.</exception>
    /// <exception cref="InvalidOperationException">Another send is running on this socket.</exception>
    public ValueTask<long> SendFileAsync(FileStream file, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
    {
        if (file is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(file));
        }

        if (!file.CanRead)
        {
            ThrowHelper.ThrowArgument(nameof(file), "The file stream is closed or not readable.");
        }

        if (file.CanWrite)
        {
            // sendfile reads the page cache: bytes still in the stream's write buffer would be missed.
            file.Flush();
        }

        return SendFileAsync(file.SafeFileHandle, offset, count, cancellationToken);
    }
}
