using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform.Portable;

internal partial class PortableSocketSender
{
    /// <summary>
    /// A pinned body is sent as a memory body (one gather send with the headers and trailers): the
    /// BCL copies it into the kernel before each call returns, so the buffer goes back to its pool
    /// as soon as the send ends. Counted as a copied pinned send, like SendPinnedAsync here.
    /// </summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendWithPinnedBodyAsync(PieceList headers, PinnedSendBatch body, PieceList trailers, CancellationToken cancellationToken)
    {
        try
        {
            long length = body.TotalLength;
            long sent = await SendWithHeadersAsync(headers, SendBody.FromMemory(body.MemoryOf(0)), trailers, cancellationToken).ConfigureAwait(false);
            _statistics.AddPinnedCopied(length, PinnedCopyReason.Portable);
            _statistics.AddPinnedSendCall();
            return sent;
        }
        finally
        {
            body.Release();
        }
    }
}
