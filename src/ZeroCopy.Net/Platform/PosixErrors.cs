using System;
using System.Net.Sockets;

namespace ZeroCopy.Net.Platform;

/// <summary>
/// The one errno → SocketError map for the Unix kernel paths (Linux and FreeBSD/macOS), as the
/// runtime's SocketErrorPal.Unix.cs maps them. Keyed by the errno's POSIX name, which is the same on
/// every Unix while the numbers are not (EAGAIN is 11 on Linux, 35 on BSD): each OS's Errno enum in
/// Interop/ keeps its own numbers and C names, and this table serves both.
/// </summary>
internal static class PosixErrors
{
    /// <summary>The SocketError the BCL reports for the errno named <paramref name="errnoName"/>; unknown names map to <see cref="SocketError.SocketError"/>.</summary>
    public static SocketError ToSocketError(string errnoName) => errnoName switch
    {
        "SUCCESS" => SocketError.Success,
        "EAGAIN" => SocketError.WouldBlock,
        "EINTR" => SocketError.Interrupted,
        "EBADF" => SocketError.OperationAborted,
        "EACCES" or "EPERM" => SocketError.AccessDenied,
        "EFAULT" => SocketError.Fault,
        "EINVAL" => SocketError.InvalidArgument,
        "EMFILE" or "ENFILE" => SocketError.TooManyOpenSockets,
        "ENOBUFS" or "ENOMEM" => SocketError.NoBufferSpaceAvailable,
        "EPIPE" or "ESHUTDOWN" => SocketError.Shutdown,
        "ENOTSOCK" => SocketError.NotSocket,
        "EDESTADDRREQ" => SocketError.DestinationAddressRequired,
        "EMSGSIZE" => SocketError.MessageSize,
        "EPROTOTYPE" => SocketError.ProtocolType,
        "ENOPROTOOPT" => SocketError.ProtocolOption,
        "EOPNOTSUPP" or "EOPNOTSUPP_MACOS" => SocketError.OperationNotSupported,
        "EAFNOSUPPORT" => SocketError.AddressFamilyNotSupported,
        "ENETDOWN" => SocketError.NetworkDown,
        "ENETUNREACH" => SocketError.NetworkUnreachable,
        "ECONNABORTED" => SocketError.ConnectionAborted,
        "ECONNRESET" => SocketError.ConnectionReset,
        "EISCONN" => SocketError.IsConnected,
        "ENOTCONN" => SocketError.NotConnected,
        "ETIMEDOUT" => SocketError.TimedOut,
        "ECONNREFUSED" => SocketError.ConnectionRefused,
        "EHOSTUNREACH" => SocketError.HostUnreachable,
        "ECANCELED" => SocketError.OperationAborted,
        _ => SocketError.SocketError,
    };

    /// <summary>The SocketError for an errno of the OS's own Errno enum.</summary>
    public static SocketError ToSocketError<TErrno>(TErrno errno)
        where TErrno : struct, Enum => ToSocketError(NameOf(errno));

    /// <summary>The public exception for a failed kernel call on the socket, naming the call, the SocketError and the errno.</summary>
    public static ZeroCopySocketException Socket<TErrno>(TErrno errno, string operation)
        where TErrno : struct, Enum
    {
        string name = NameOf(errno);
        return new ZeroCopySocketException(ToSocketError(name), Convert.ToInt32(errno, System.Globalization.CultureInfo.InvariantCulture), name, operation);
    }

    // Error paths only: Enum.ToString allocates, and no send pays for it unless it fails.
    private static string NameOf<TErrno>(TErrno errno)
        where TErrno : struct, Enum
#if NETSTANDARD2_0
        => Enum.IsDefined(typeof(TErrno), errno)
#else
        => Enum.IsDefined(errno)
#endif
            ? errno.ToString()
            : Convert.ToInt32(errno, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
