using System.Runtime.CompilerServices;
using System.Threading.Tasks;

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

#if !NETSTANDARD2_0
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
#endif
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
