using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;

namespace ZeroCopy.Net.Internal;

/// <summary>The exceptions of the pinned-buffer API (<see cref="ThrowHelper"/>'s model, kept apart so each capability owns its file).</summary>
internal static class PinnedThrowHelper
{
    [DoesNotReturn]
    public static void ThrowBufferNotOwned() => throw new ObjectDisposedException(
        nameof(Buffers.PinnedBuffer),
        "This PinnedBuffer no longer owns its memory: it was sent (a send takes ownership until the kernel releases the pages) or disposed.");

    public static InsufficientMemoryException PoolExhausted(int bufferSize, long maxBytes, bool osRefused) => new(osRefused
        ? $"The OS refused to map memory for a {bufferSize}-byte pinned buffer."
        : $"The pinned buffer pool has no free {bufferSize}-byte buffer and is at its limit of {maxBytes} bytes. Use RentAsync to wait for buffers to come back, or raise PinnedBufferPoolOptions.MaxTotalBytes.");

    [DoesNotReturn]
    public static void ThrowWrongPool(string paramName) => throw new ArgumentException(
        "The buffer comes from a different PinnedBufferPool than this socket's (ZeroCopySocketOptions.BufferPool). Rent from ZeroCopySocket.RentBuffer or from the socket's pool.",
        paramName);

    [DoesNotReturn]
    public static void ThrowLengthOutOfRange(string paramName, int length, int capacity) => throw new ArgumentOutOfRangeException(
        paramName, $"The length must be 0 to the buffer's capacity ({capacity}); it is {length}.");

    public static IOException NeverReleased(long bytes) => new(
        $"The ZeroCopySocket was disposed before the kernel reported that it released {bytes} bytes sent with MSG_ZEROCOPY. " +
        "The kernel may still be transmitting from that memory: do not write it again while the connection may still send (or free it only after the socket is closed and its queues drained).");
}
