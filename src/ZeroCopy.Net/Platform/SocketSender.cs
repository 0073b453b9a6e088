using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.Platform;

/// <summary>
/// The seam between the public API and the OS, for one socket. <see cref="ZeroCopySocket"/> checks
/// arguments, disposal and the one-send-at-a-time rule; a sender does the platform work and
/// reports failures as exceptions built from the native error.
/// </summary>
/// <remarks>Callers guarantee that at most one send method runs at a time and that none runs after <see cref="DisposeAsync"/> began.</remarks>
internal abstract partial class SocketSender : IAsyncDisposable
{
    /// <summary>What this sender does with the kernel on this socket (may be less than the platform's, e.g. after a probe failed).</summary>
    public abstract ZeroCopyCapabilities Capabilities { get; }

    /// <summary>Opens <paramref name="path"/>, checks the window and sends it. Returns the bytes sent.</summary>
    public abstract ValueTask<long> SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken);

    /// <summary>Checks the window against the file behind <paramref name="file"/> and sends it. The handle stays open.</summary>
    public abstract ValueTask<long> SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken);

    /// <summary>Wakes any send that waits for readiness (it then observes disposal) and releases platform resources.</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>Called by <see cref="ZeroCopySocket"/> when disposal starts, before it waits for the running send.</summary>
    public abstract void BeginDispose();
}
