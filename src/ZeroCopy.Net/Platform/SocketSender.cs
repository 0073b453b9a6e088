using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using System.Threading;
using System;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform;

/// <summary>
/// The seam between the public API and the OS, for one socket. <see cref="ZeroCopySocket"/> checks
/// arguments, disposal and the one-send-at-a-time rule; a sender does the platform work and
/// reports failures as exceptions built from the native error.
/// </summary>
/// <remarks>Callers guarantee that at most one send method runs at a time and that none runs after <see cref="DisposeAsync"/> began.</remarks>
internal abstract class SocketSender : IAsyncDisposable
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

    /// <summary>
    /// Sends <paramref name="headers"/>, then <paramref name="body"/>, then <paramref name="trailers"/>
    /// as one coalesced write (cork or MSG_MORE where the platform has them) and pushes the tail.
    /// Returns the bytes sent. <paramref name="body"/> is never <see cref="SendBodyKind.FileStream"/>:
    /// <see cref="ZeroCopySocket"/> turns a stream into its handle first.
    /// </summary>
    public abstract ValueTask<long> SendWithHeadersAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="SendWithHeadersAsync"/> with a pinned body, already taken from its owner
    /// (<see cref="SendBodyKind.Pinned"/> never reaches the method above). Like
    /// <see cref="SendPinnedAsync"/>, drops the caller's hold on <paramref name="body"/> exactly once
    /// however it ends, and never throws synchronously; the body's memory is released when the
    /// kernel no longer needs it.
    /// </summary>
    public abstract ValueTask<long> SendWithPinnedBodyAsync(PieceList headers, PinnedSendBatch body, PieceList trailers, CancellationToken cancellationToken);

    /// <summary>
    /// Sends every byte of <paramref name="batch"/> in order (one datagram on a datagram socket).
    /// Always drops the caller's hold on the batch exactly once, however it ends; the batch's
    /// memory is released when the kernel no longer needs it.
    /// </summary>
    public abstract ValueTask SendPinnedAsync(PinnedSendBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="count"/> batches, each as its own datagram, in order. Takes over every
    /// batch (each hold dropped exactly once, sent or not) and <paramref name="datagrams"/> itself,
    /// which goes back to <see cref="ArrayPool{T}.Shared"/> when the send ends. Here one
    /// <see cref="SendPinnedAsync"/> per datagram, each awaited before the next: correct on every
    /// path; the io_uring engine overrides it with one io_uring_enter for the whole batch.
    /// </summary>
    /// <remarks>
    /// A datagram the kernel refuses does not stop the others (as in the io_uring engine, where they
    /// are all in the kernel at once): the first refusal is thrown at the end. Cancellation and
    /// disposal stop the rest.
    /// </remarks>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public virtual async ValueTask SendPinnedDatagramsAsync(PinnedSendBatch[] datagrams, int count, CancellationToken cancellationToken)
    {
        System.Net.Sockets.SocketException? first = null;
        try
        {
            for (int i = 0; i < count; i++)
            {
                PinnedSendBatch datagram = datagrams[i];
                datagrams[i] = null!; // SendPinnedAsync owns it from here, whatever happens
                try
                {
                    await SendPinnedAsync(datagram, cancellationToken).ConfigureAwait(false);
                }
                catch (System.Net.Sockets.SocketException e) when (!cancellationToken.IsCancellationRequested)
                {
                    first ??= e;
                }
            }
        }
        finally
        {
            ReleaseDatagrams(datagrams, count);
        }

        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    /// <summary>Drops the hold on every batch still in <paramref name="datagrams"/> (never sent) and returns the array to its pool.</summary>
    protected static void ReleaseDatagrams(PinnedSendBatch[] datagrams, int count)
    {
        for (int i = 0; i < count; i++)
        {
            datagrams[i]?.Release();
            datagrams[i] = null!;
        }

        ArrayPool<PinnedSendBatch>.Shared.Return(datagrams);
    }
}
