using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform;

internal abstract partial class SocketSender
{
    /// <summary>
    /// Sends every byte of <paramref name="batch"/> in order (one datagram on a datagram socket).
    /// Always drops the caller's hold on the batch exactly once, however it ends; the batch's
    /// memory is released when the kernel no longer needs it.
    /// </summary>
    public abstract ValueTask SendPinnedAsync(PinnedSendBatch batch, CancellationToken cancellationToken);
}
