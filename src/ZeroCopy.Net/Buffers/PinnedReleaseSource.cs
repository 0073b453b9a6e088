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

    public short Version => _core.Version;

    public static PinnedReleaseSource Rent()
    {
        PinnedReleaseSource source = s_pool.Get();
        source._core.Reset();
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

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    public void GetResult(short token)
    {
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
}
