using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Platform;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocket
{
    /// <summary>Which per-call counter a gated send bumps when it succeeds.</summary>
    private enum CountedCall
    {
        SendFile,
        SendWithHeaders,
    }

    /// <summary>
    /// Starts a send under the one-send gate, after the caller has checked its arguments: returns
    /// a cancelled task for an already cancelled token, claims the gate, starts the platform send
    /// (releasing the gate if starting it throws) and hands it to <see cref="CompleteGatedSend"/>.
    /// </summary>
    /// <remarks><paramref name="start"/> is a static lambda and <paramref name="state"/> a value tuple: nothing is allocated.</remarks>
    private ValueTask<long> StartGatedSend<TState>(
        TState state,
        Func<SocketSender, TState, CancellationToken, ValueTask<long>> start,
        CountedCall call,
        CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Canceled(cancellationToken);
        }

        EnterSend();
        ValueTask<long> send;
        try
        {
            send = start(_sender, state, cancellationToken);
        }
        catch
        {
            ExitSend();
            throw;
        }

        return CompleteGatedSend(send, call);
    }

    /// <summary>
    /// Finishes a send started after <see cref="EnterSend"/>: releases the one-send gate when the send
    /// ends, however it ends, and counts the call when it succeeded. A send that completed
    /// synchronously costs no state machine.
    /// </summary>
    private ValueTask<long> CompleteGatedSend(ValueTask<long> send, CountedCall call)
    {
        if (send.IsCompletedSuccessfully)
        {
            ExitSend();
            CountCall(call);
            return send;
        }

        return AwaitGatedSend(send, call);
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> AwaitGatedSend(ValueTask<long> send, CountedCall call)
    {
        try
        {
            long sent = await send.ConfigureAwait(false);
            CountCall(call);
            return sent;
        }
        finally
        {
            ExitSend();
        }
    }

    private void CountCall(CountedCall call)
    {
        if (call == CountedCall.SendFile)
        {
            Statistics.AddSendFileCall();
        }
        else
        {
            Statistics.AddSendWithHeadersCall();
        }
    }
}
