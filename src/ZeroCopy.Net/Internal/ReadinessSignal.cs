using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace ZeroCopy.Net.Internal;

/// <summary>
/// A reusable, allocation-free "wait until the reactor says something changed" awaitable for one
/// waiter at a time.
/// </summary>
/// <remarks>
/// The protocol that makes it race-free without a lock: the reactor bumps <see cref="Epoch"/>
/// before it completes a waiter. A sender reads the epoch <em>before</em> its syscall; when the
/// syscall says EAGAIN it calls <see cref="WaitAsync"/> with that epoch. If the reactor fired in
/// between (edge-triggered epoll reports each edge once), the epoch has already moved and the wait
/// completes at once instead of sleeping through the only wakeup. Continuations run on the thread
/// pool, never on the reactor thread.
/// </remarks>
internal sealed class ReadinessSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Armed = 1;
    private const int Completed = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _epoch;
    private int _state;
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _registration;

    /// <summary>The number of wakeups so far; read it before the syscall that may return EAGAIN.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Called by the reactor (or by disposal): records the wakeup and releases the waiter, if any.</summary>
    public void Signal()
    {
        Interlocked.Increment(ref _epoch);
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
        {
            _core.SetResult(true);
        }
    }

    /// <summary>Waits for a wakeup newer than <paramref name="observedEpoch"/>. One waiter at a time.</summary>
    public ValueTask WaitAsync(int observedEpoch, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new ValueTask(Task.FromCanceled(cancellationToken));
        }

        _core.Reset();
        _waitToken = cancellationToken;
        Volatile.Write(ref _state, Armed);

        // Close the window between the caller's syscall and arming: a wakeup that came in between
        // has already moved the epoch.
        if (Volatile.Read(ref _epoch) != observedEpoch)
        {
            if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
            {
                _core.SetResult(true);
            }
        }
        else if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static s => ((ReadinessSignal)s!).OnCanceled(), this);
        }

        return new ValueTask(this, _core.Version);
    }

    private void OnCanceled()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
        {
            _core.SetException(new OperationCanceledException(_waitToken));
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        // Dispose first: the registration must not outlive this wait, and it must not fire into the next one.
        _registration.Dispose();
        _registration = default;
        _waitToken = default;
        Volatile.Write(ref _state, Idle);
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
