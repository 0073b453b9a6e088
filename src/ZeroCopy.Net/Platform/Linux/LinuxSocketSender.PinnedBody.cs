using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// SendWithHeadersAsync with a pinned body on Linux: the header protocol of
/// LinuxSocketSender.Headers.cs around the MSG_ZEROCOPY machinery of LinuxSocketSender.ZeroCopy.cs.
/// </summary>
/// <remarks>
/// <para>A body of at least <see cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/> bytes, on a
/// socket that still uses zero-copy:</para>
/// <code>
///   sendmsg(header iovec, MSG_MORE)
///   sendmsg(body, MSG_ZEROCOPY [| MSG_MORE when trailers follow]) ...   the pinned-send loop itself
///   [sendmsg(trailer iovec)]                                           pushes the tail
/// </code>
/// <para>No TCP_CORK: unlike sendfile(2), sendmsg can say that more follows, so MSG_MORE holds every
/// piece but the last. The body goes through <see cref="SendPinnedCore"/> (threshold,
/// backpressure, tracker, ENOBUFS fallback, COPIED adaptation, statistics), so the buffer goes back to
/// the pool when its completion arrives, not when this method returns.</para>
/// <para>A smaller body, or any body once the socket has switched to copies (loopback always does,
/// after <see cref="ZeroCopySocketOptions.CopiedCompletionsBeforeFallback"/> COPIED completions) or
/// the kernel refused SO_ZEROCOPY, goes as the middle piece of the headers' vectored sendmsg, like a
/// memory body: one syscall for the whole response, and the buffer is back in the pool when this
/// method ends.</para>
/// </remarks>
internal sealed partial class LinuxSocketSender
{
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendWithPinnedBodyAsync(PieceList headers, PinnedSendBatch body, PieceList trailers, ZeroCopySocketOptions options, CancellationToken cancellationToken)
    {
        // This method holds the batch until SendPinnedCore takes the hold over.
        bool bodyHeld = true;
        bool addedSocketRef = false;
        try
        {
            addedSocketRef = AcquireSocket();
            SetNoDelayOnce();
            ZeroCopyState state = _zeroCopy ?? EnableZeroCopy(options);
            long length = body.TotalLength;
            try
            {
                if (length == 0 || length < state.Threshold || !state.Enabled)
                {
                    long sent = await SendPiecesAsync(new PieceSequence(headers, body.MemoryOf(0), trailers), moreFollows: false, cancellationToken).ConfigureAwait(false);
                    PushTail();
                    _statistics.AddPinnedBodyCopiedWithHeaders(length, state.Enabled ? PinnedCopyReason.BelowThreshold : PinnedCopyReason.ZeroCopyOff);
                    _statistics.AddPinnedSendCall();
                    return sent;
                }

                long total = await SendPiecesAsync(new PieceSequence(headers), moreFollows: true, cancellationToken).ConfigureAwait(false);
                bodyHeld = false;
                await SendPinnedCore(body, state, trailers.TotalLength > 0 ? MSG_MORE : 0, cancellationToken).ConfigureAwait(false);
                total += length;
                total += await SendPiecesAsync(new PieceSequence(trailers), moreFollows: false, cancellationToken).ConfigureAwait(false);
                PushTail();
                return total;
            }
            catch
            {
                PushAfterFailure(corked: false);
                throw;
            }
        }
        finally
        {
            if (bodyHeld)
            {
                // Copied with the headers (the kernel has the bytes), or failed before the body was
                // handed over: either way the buffer can go back to the pool now.
                body.Release();
            }

            ReleaseSocket(addedSocketRef);
        }
    }
}
