using System;
using System.Threading;
using System.Threading.Tasks;

namespace ZeroCopy.Net.Tests.Infrastructure;

/// <summary>
/// Makes a sender loop end with a failure instead of a hang. A verifying reader that fails its
/// assert stops reading; the sender then blocks on a full socket (or on a pool whose buffers never
/// come back) forever. The guard's token fires when the reader faults or the deadline passes; pass it
/// to every send and rent, and wrap the loop in <see cref="RunAsync"/>, which reports the reader's
/// own failure rather than the cancellation it caused.
/// </summary>
public sealed class SenderGuard : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly Task _reader;

    /// <param name="reader">The verifying reader of this sender's socket.</param>
    /// <param name="deadline">The longest the sender may run.</param>
    /// <param name="group">Shared by the senders of one test: a failed reader stops them all, since
    /// the others may wait on a pool whose buffers the failed one never gives back.</param>
    public SenderGuard(Task reader, TimeSpan deadline, CancellationTokenSource? group = null)
    {
        _reader = reader;
        _cts = group is null ? new CancellationTokenSource() : CancellationTokenSource.CreateLinkedTokenSource(group.Token);
        _cts.CancelAfter(deadline);
        _ = reader.ContinueWith(
            static (_, state) => ((CancellationTokenSource)state!).Cancel(),
            group ?? _cts,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Fires when the reader failed or the deadline passed.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>Runs the sender loop; if it was stopped because the reader failed, throws the reader's failure.</summary>
    public async Task RunAsync(Func<CancellationToken, Task> senderLoop)
    {
        try
        {
            await senderLoop(_cts.Token);
        }
        catch (OperationCanceledException) when (_reader.IsFaulted)
        {
            await _reader;
        }
        catch (OperationCanceledException e) when (_cts.IsCancellationRequested)
        {
            // A cancellation, so that WhenAllAsync reports another sender's reader failure first, when there is one.
            throw new OperationCanceledException("The sender was stopped: its deadline passed, or another sender's reader failed.", e);
        }
    }

    /// <summary>Awaits the reader within the same deadline.</summary>
    public async Task<T> ReaderResultAsync<T>(Task<T> reader)
    {
        try
        {
            return await reader.WaitAsync(_cts.Token);
        }
        catch (OperationCanceledException e) when (!reader.IsCompleted)
        {
            throw new OperationCanceledException("The reader did not receive every byte before its deadline (or another sender's reader failed).", e);
        }
    }

    /// <summary>Awaits every sender; if any failed, throws the first failure that is not a cancellation another one caused.</summary>
    public static async Task<T[]> WhenAllAsync<T>(Task<T>[] runs)
    {
        try
        {
            return await Task.WhenAll(runs);
        }
        catch (Exception first)
        {
            foreach (Task<T> run in runs)
            {
                if (run.IsFaulted && run.Exception!.InnerException is Exception e && e is not OperationCanceledException)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
                }
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }
    }

    public void Dispose() => _cts.Dispose();
}
