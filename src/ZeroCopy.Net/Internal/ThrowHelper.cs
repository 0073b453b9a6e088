using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Net.Sockets;

namespace ZeroCopy.Net.Internal;

/// <summary>
/// Builds every exception the public API throws, so the hot paths stay small and the messages
/// stay consistent (the System.IO.Pipelines model).
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentNull(string paramName) => throw new ArgumentNullException(paramName);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, string message) => throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowObjectDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName);

    [DoesNotReturn]
    public static void ThrowConcurrentSend() => throw new InvalidOperationException(
        "Another send is in progress on this ZeroCopySocket. Sends on one socket are ordered byte streams: await each send before starting the next.");

    public static ObjectDisposedException SocketDisposedDuringSend(long sent, long requested) => new(
        nameof(ZeroCopySocket), $"The ZeroCopySocket was disposed during a send, after {sent} of {requested} bytes were handed to the kernel.");

    /// <summary>The application disposed the <see cref="Socket"/> itself while a send used it: one exception on every path, naming what went out.</summary>
    public static ObjectDisposedException SocketClosedDuringSend(long sent, long requested, Exception inner) => new(
        $"The Socket was disposed during a send, after {sent} of {requested} bytes were handed to the kernel.", inner);

    public static IOException FileShrunk(long sent, long requested, long offset) => new(
        $"The file ended early: sendfile returned 0 after {sent} of {requested} bytes (starting at offset {offset}). " +
        "The file was truncated during the send; the peer received only part of the range, so the connection should be closed.");

    public static IOException FileError(int errno, string operation, string? path) => new(
        path is null
            ? $"{operation} failed: errno {errno} ({ErrnoName(errno)})."
            : $"{operation} failed for '{path}': errno {errno} ({ErrnoName(errno)}).",
        errno);

    internal static string ErrnoName(int errno) => Enum.IsDefined(typeof(Interop.Linux.Errno), errno)
        ? ((Interop.Linux.Errno)errno).ToString()
        : errno.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
