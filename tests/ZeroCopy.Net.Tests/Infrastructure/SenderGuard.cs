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

    public SenderGuard(Task reader, TimeSpan deadline)
    {
        _reader = reader;
        _cts = new CancellationTokenSource(deadline);
        _ = reader.ContinueWith(
            static (_, state) => ((CancellationTokenSource)state!).Cancel(),
            _cts,
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
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new TimeoutException("The sender did not finish before its deadline (the reader is still waiting for bytes).");
        }
    }

    /// <summary>Awaits the reader within the same deadline.</summary>
    public async Task<T> ReaderResultAsync<T>(Task<T> reader)
    {
        try
        {
            return await reader.WaitAsync(_cts.Token);
        }
        catch (OperationCanceledException) when (!reader.IsCompleted)
        {
            throw new TimeoutException("The reader did not receive every byte before its deadline.");
        }
    }

    public void Dispose() => _cts.Dispose();
}
