using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

/// <summary>
/// Tells when the kernel has released caller-owned memory sent with
/// <see cref="ZeroCopySocket.SendPinnedAsync(System.ReadOnlyMemory{byte}, System.Threading.CancellationToken)"/>,
/// so the caller may write it again.
/// </summary>
/// <remarks>Await <see cref="WhenReleased"/> exactly once (it is a pooled <see cref="ValueTask"/>).</remarks>
public readonly struct PinnedMemoryRelease
{
    private readonly PinnedReleaseSource? _source;
    private readonly short _token;

    internal PinnedMemoryRelease(PinnedReleaseSource source)
    {
        _source = source;
        _token = source.Version;
    }

    /// <summary>
    /// Completes when no send references the memory any more. Faults with
    /// <see cref="System.IO.IOException"/> when the socket was disposed first: then the kernel may
    /// still read the memory, and it stays pinned for good.
    /// </summary>
    public ValueTask WhenReleased => _source is null ? default : new ValueTask(_source, _token);
}
