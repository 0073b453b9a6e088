using System.Net.Sockets;
using static ZeroCopy.Net.Interop.Bsd;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>Maps FreeBSD/macOS errno values to the SocketError the BCL would report for them (runtime's SocketErrorPal).</summary>
internal static class BsdErrors
{
    /// <summary>The SocketError for a BSD errno; unknown values map to <see cref="SocketError.SocketError"/>.</summary>
    public static SocketError ToSocketError(Errno errno) => errno switch
    {
        Errno.SUCCESS => SocketError.Success,
        Errno.EAGAIN => SocketError.WouldBlock,
        Errno.EINTR => SocketError.Interrupted,
        Errno.EBADF => SocketError.OperationAborted,
        Errno.EACCES or Errno.EPERM => SocketError.AccessDenied,
        Errno.EFAULT => SocketError.Fault,
        Errno.EINVAL => SocketError.InvalidArgument,
        Errno.EMFILE or Errno.ENFILE => SocketError.TooManyOpenSockets,
        Errno.ENOBUFS or Errno.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Errno.EPIPE or Errno.ESHUTDOWN => SocketError.Shutdown,
        Errno.ENOTSOCK => SocketError.NotSocket,
        Errno.EDESTADDRREQ => SocketError.DestinationAddressRequired,
        Errno.EMSGSIZE => SocketError.MessageSize,
        Errno.EPROTOTYPE => SocketError.ProtocolType,
        Errno.ENOPROTOOPT => SocketError.ProtocolOption,
        Errno.EOPNOTSUPP or Errno.EOPNOTSUPP_MACOS => SocketError.OperationNotSupported,
        Errno.EAFNOSUPPORT => SocketError.AddressFamilyNotSupported,
        Errno.ENETDOWN => SocketError.NetworkDown,
        Errno.ENETUNREACH => SocketError.NetworkUnreachable,
        Errno.ECONNABORTED => SocketError.ConnectionAborted,
        Errno.ECONNRESET => SocketError.ConnectionReset,
        Errno.EISCONN => SocketError.IsConnected,
        Errno.ENOTCONN => SocketError.NotConnected,
        Errno.ETIMEDOUT => SocketError.TimedOut,
        Errno.ECONNREFUSED => SocketError.ConnectionRefused,
        Errno.EHOSTUNREACH => SocketError.HostUnreachable,
        _ => SocketError.SocketError,
    };

    /// <summary>A SocketException naming the BSD errno (by its BSD name) and the failing call.</summary>
    public static SocketException Socket(Errno errno, string operation)
        => Internal.ThrowHelper.Socket(ToSocketError(errno), (int)errno, errno.ToString(), operation);
}
