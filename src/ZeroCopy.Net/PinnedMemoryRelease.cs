using System;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

/// <summary>
/// Tells when the kernel has released caller-owned memory sent with
/// <see cref="ZeroCopySocket.SendPinnedAsync(System.ReadOnlyMemory{byte}, System.Threading.CancellationToken)"/>,
/// so the caller may write it again.
/// </summary>
/// <remarks>Await <see cref="WhenReleased"/> (or <see cref="WaitAsync"/>) exactly once: it is a pooled <see cref="ValueTask"/>.</remarks>
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

    /// <summary>
    /// <see cref="WhenReleased"/> with a way out: the wait ends with <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> is cancelled first (a stalled peer may hold the memory
    /// for as long as the connection lives). Cancelling the wait does not release the memory: it is
    /// still the kernel's until the release comes, or the socket is disposed. Consumes the release
    /// like an await of <see cref="WhenReleased"/> does.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait, not the kernel's use of the memory.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the release.</exception>
    /// <exception cref="System.IO.IOException">The socket was disposed before the kernel released the memory.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        ValueTask released = WhenReleased;
        if (released.IsCompleted || !cancellationToken.CanBeCanceled)
        {
            return released;
        }

        // Off the fast path: a task to race the token against (the pooled source is still read once, by it).
        return new ValueTask(RaceAsync(released.AsTask(), cancellationToken));
    }

    private static async Task RaceAsync(Task released, CancellationToken cancellationToken)
    {
        var canceled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(true), canceled))
        {
            if (await Task.WhenAny(released, canceled.Task).ConfigureAwait(false) != released)
            {
                // Observe a later fault (disposal) of the abandoned wait, so it is not reported as unobserved.
                _ = released.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw new OperationCanceledException(cancellationToken);
            }
        }

        await released.ConfigureAwait(false);
    }
}
