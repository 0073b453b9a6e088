using System;
using System.Threading.Tasks.Sources;
using Microsoft.Extensions.ObjectPool;

namespace ZeroCopy.Net.Buffers;

/// <summary>
/// The pooled awaitable behind <see cref="PinnedMemoryRelease"/>: completes when the kernel has
/// released caller-owned memory. Goes back to its pool when its result is read (once).
/// </summary>
internal sealed class PinnedReleaseSource : IValueTaskSource
{
    private static readonly ObjectPool<PinnedReleaseSource> s_pool =
        new DefaultObjectPool<PinnedReleaseSource>(new DefaultPooledObjectPolicy<PinnedReleaseSource>(), Environment.ProcessorCount * 16);

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    // Set when the result is read, so that a second await fails with a message that says why
    // instead of the core's generic one (or, before the source is rented again, a silent success
    // that would return it to the pool twice).
    private bool _resultRead;

    public short Version => _core.Version;

    public static PinnedReleaseSource Rent()
    {
        PinnedReleaseSource source = s_pool.Get();
        source._core.Reset();
        source._resultRead = false;
        return source;
    }

    /// <summary>Called once, when the batch's last reference goes.</summary>
    public void Complete(Exception? error)
    {
        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ThrowIfAwaitedAlready(token);
        return _core.GetStatus(token);
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ThrowIfAwaitedAlready(token);
        _core.OnCompleted(continuation, state, token, flags);
    }

    public void GetResult(short token)
    {
        ThrowIfAwaitedAlready(token);
        _resultRead = true;
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            // Read once: the next Reset changes the version, so a second await of the same token fails loudly.
            s_pool.Return(this);
        }
    }

    private void ThrowIfAwaitedAlready(short token)
    {
        if (_resultRead || token != _core.Version)
        {
            throw new InvalidOperationException(
                "PinnedMemoryRelease.WhenReleased was already awaited. It is a pooled ValueTask: await it exactly once (call AsTask() once to await it more than once).");
        }
    }
}
