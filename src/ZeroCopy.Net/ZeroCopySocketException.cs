using System.Net.Sockets;

namespace ZeroCopy.Net;

/// <summary>
/// A kernel call on the socket failed: the <see cref="SocketException.SocketErrorCode"/> the BCL
/// would report for the same errno, plus the errno itself and the call that returned it.
/// </summary>
/// <remarks>
/// Derives from <see cref="SocketException"/>, so code that catches socket errors from
/// <see cref="Socket"/> catches these too. The message reads, for example,
/// <c>sendmsg failed: ConnectionReset (errno 104, ECONNRESET).</c>
/// </remarks>
public sealed class ZeroCopySocketException : SocketException
{
    private readonly string _message;

    /// <summary>Creates the exception for a failed kernel call.</summary>
    /// <param name="error">The SocketError the BCL maps <paramref name="errno"/> to.</param>
    /// <param name="errno">The operating system's errno value (its number differs between Linux and BSD).</param>
    /// <param name="errnoName">The errno's symbolic name, e.g. <c>ECONNRESET</c>.</param>
    /// <param name="operation">The call that failed, e.g. <c>sendfile</c> or <c>setsockopt(TCP_CORK, 1)</c>.</param>
    public ZeroCopySocketException(SocketError error, int errno, string errnoName, string operation)
        : base((int)error)
    {
        Errno = errno;
        ErrnoName = errnoName;
        Operation = operation;
        _message = $"{operation} failed: {error} (errno {errno}, {errnoName}).";
    }

    /// <summary>The errno the kernel returned (the value of the OS the process runs on).</summary>
    public int Errno { get; }

    /// <summary>The errno's symbolic name, e.g. <c>ECONNRESET</c>.</summary>
    public string ErrnoName { get; }

    /// <summary>The kernel call that failed, e.g. <c>sendmsg</c>.</summary>
    public string Operation { get; }

    /// <inheritdoc/>
    public override string Message => _message;
}
