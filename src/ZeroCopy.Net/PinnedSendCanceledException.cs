using System;
using System.Threading;

namespace ZeroCopy.Net;

/// <summary>
/// A caller-memory <see cref="ZeroCopySocket.SendPinnedAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
/// was cancelled while the kernel still held part of the memory (zero-copy sends already made for it
/// are not complete). The memory must not be written until <see cref="Release"/> says so.
/// </summary>
public sealed class PinnedSendCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception for a cancelled send whose memory is still in the kernel's hands.</summary>
    /// <param name="release">The memory's release (await it once, or <see cref="PinnedMemoryRelease.WaitAsync"/>).</param>
    /// <param name="cancellationToken">The token that was cancelled.</param>
    public PinnedSendCanceledException(PinnedMemoryRelease release, CancellationToken cancellationToken)
        : base("The send was cancelled while the kernel still holds part of the memory: await Release.WhenReleased (or Release.WaitAsync) before writing it again. Disposing the socket ends the wait.", cancellationToken)
    {
        Release = release;
    }

    /// <summary>When the kernel has released the memory (or the socket was disposed).</summary>
    public PinnedMemoryRelease Release { get; }
}
