using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Platform.Linux;
using ZeroCopy.Net.Tests.Infrastructure;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Tests.Platform;

/// <summary>
/// An exception escaping a readiness handler is neither swallowed nor allowed to stop the reactor:
/// the socket it belongs to is failed with it, and every other socket keeps getting its events.
/// </summary>
public class ReactorFaultTests
{
    [Fact]
    internal void AThrowingTargetReceivesItsOwnFault()
    {
        var target = new ThrowingTarget();
        EpollReactor.Deliver(target, EPOLLOUT);
        Assert.NotNull(target.Fault);
        Assert.Same(target.Thrown, target.Fault);
    }

    [LinuxKernelFact]
    internal async Task TheReactorSurvivesAThrowingTargetAndServesTheNextSocket()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        using var second = await LoopbackPair.CreateTcpAsync();
        var throwing = new ThrowingTarget();
        var good = new RecordingTarget();

        // EPOLL_CTL_ADD on a writable socket reports EPOLLOUT at once: the first target throws on it.
        ulong id1 = EpollReactor.Shared.Register((int)pair.Client.Handle, throwing, EPOLLOUT | EPOLLET, out Errno errno1);
        Assert.NotEqual(0UL, id1);
        try
        {
            Assert.True(throwing.Faulted.Wait(TimeSpan.FromSeconds(10)), "the throwing target never got its fault");
            Assert.Same(throwing.Thrown, throwing.Fault);

            ulong id2 = EpollReactor.Shared.Register((int)second.Client.Handle, good, EPOLLOUT | EPOLLET, out Errno errno2);
            Assert.NotEqual(0UL, id2);
            try
            {
                Assert.True(good.Signalled.Wait(TimeSpan.FromSeconds(10)), "the reactor stopped delivering events after a target threw");
            }
            finally
            {
                EpollReactor.Shared.Unregister((int)second.Client.Handle, id2);
            }
        }
        finally
        {
            EpollReactor.Shared.Unregister((int)pair.Client.Handle, id1);
        }

        _ = errno1;
    }

    private sealed class ThrowingTarget : IReadinessTarget
    {
        public InvalidOperationException Thrown { get; } = new("deliberate failure in a readiness handler");

        public Exception? Fault { get; private set; }

        public ManualResetEventSlim Faulted { get; } = new();

        public void OnReadiness(uint events) => throw Thrown;

        public void OnFault(Exception error)
        {
            Fault = error;
            Faulted.Set();
        }
    }

    private sealed class RecordingTarget : IReadinessTarget
    {
        public ManualResetEventSlim Signalled { get; } = new();

        public void OnReadiness(uint events) => Signalled.Set();

        public void OnFault(Exception error) => throw new InvalidOperationException("unexpected fault", error);
    }
}
