using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

/// <summary>
/// One-line adoption helpers on <see cref="Socket"/>. For a connection that sends more than once,
/// hold the <see cref="ZeroCopySocket"/> from <see cref="AsZeroCopy"/> for the connection's life:
/// the direct helpers wrap and unwrap the socket on every call.
/// </summary>
public static class SocketZeroCopyExtensions
{
    /// <summary>Wraps a connected socket. The caller keeps ownership of the socket unless <see cref="ZeroCopySocketOptions.OwnsSocket"/> is set.</summary>
    /// <param name="socket">A connected stream or datagram socket.</param>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>A new <see cref="ZeroCopySocket"/>; dispose it when the connection is done.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="socket"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentException">The socket is not connected, or is neither a stream nor a datagram socket.</exception>
    public static ZeroCopySocket AsZeroCopy(this Socket socket, ZeroCopySocketOptions? options = null) => new(socket, options);

    /// <summary>
    /// Sends a file (or a window of it) with sendfile(2) where available: the drop-in replacement for
    /// <c>socket.SendFile(path)</c> / <c>socket.Send(File.ReadAllBytes(path))</c>. Wraps the socket for this one call.
    /// </summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="path">The file to send.</param>
    /// <param name="offset">First byte to send.</param>
    /// <param name="count">Bytes to send, or <see langword="null"/> for the rest of the file.</param>
    /// <param name="cancellationToken">Stops the send between kernel calls; the connection is then in an unknown state.</param>
    /// <returns>The number of bytes sent.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="socket"/> or <paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentOutOfRangeException">The window is outside the file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file shrank during the send.</exception>
    /// <exception cref="SocketException">The kernel refused the send.</exception>
    /// <exception cref="System.OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async ValueTask<long> SendFileZeroCopyAsync(this Socket socket, string path, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
    {
        if (socket is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(socket));
        }

        ZeroCopySocket zc = new(socket);
        await using (zc.ConfigureAwait(false))
        {
            return await zc.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a window of an open file with sendfile(2) where available. Wraps the socket for this one call.</summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="file">A handle opened for reading; it stays open.</param>
    /// <param name="offset">First byte to send.</param>
    /// <param name="count">Bytes to send, or <see langword="null"/> for the rest of the file.</param>
    /// <param name="cancellationToken">Stops the send between kernel calls; the connection is then in an unknown state.</param>
    /// <returns>The number of bytes sent.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="socket"/> or <paramref name="file"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentOutOfRangeException">The window is outside the file.</exception>
    /// <exception cref="IOException">The file shrank during the send.</exception>
    /// <exception cref="SocketException">The kernel refused the send.</exception>
    /// <exception cref="System.OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async ValueTask<long> SendFileZeroCopyAsync(this Socket socket, SafeFileHandle file, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
    {
        if (socket is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(socket));
        }

        ZeroCopySocket zc = new(socket);
        await using (zc.ConfigureAwait(false))
        {
            return await zc.SendFileAsync(file, offset, count, cancellationToken).ConfigureAwait(false);
        }
    }
}
