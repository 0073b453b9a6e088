using System;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Platform.Linux.IoUring;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// SendEngine.Auto for datagram bursts: the process measures both engines on its first bursts and
/// keeps the cheaper one (<see cref="BurstEngineChoice"/>). The decision rule is held to its
/// meaning by properties; a real Auto socket on loopback decides, every datagram verified.
/// </summary>
[Collection(IsolatedCollection.Name)]
public class BurstEngineChoiceTests
{
    private static Gen<double[]> Samples(double low, double high) =>
        Gen.ArrayOf(Gen.Choose((int)(low * 1000), (int)(high * 1000)).Select(x => x / 1000.0), BurstEngineChoice.SamplesPerEngine);

    /// <summary>io_uring is chosen when clearly cheaper (every sample below 0.9x every epoll sample) and never when it costs at least as much.</summary>
    [Fact]
    internal void TheClearlyCheaperEngineIsChosenAndEpollWinsWhenIoUringIsNotCheaper()
    {
        Prop.ForAll(Samples(0.01, 1.0).ToArbitrary(), Gen.Choose(0, 89).ToArbitrary(), (epoll, belowPercent) =>
        {
            // Every io_uring sample below 0.9x the cheapest epoll one: io_uring.
            double cap = epoll.Min() * 0.9;
            double[] cheaper = epoll.Select((_, i) => cap * (belowPercent + (i % 10)) / 100.0).ToArray();
            bool cheaperWins = BurstEngineChoice.Decide(epoll, cheaper, out _) == SendEngine.IoUring;

            // Every io_uring sample at least the dearest epoll one: epoll.
            double[] dearer = epoll.Select(e => epoll.Max() + e).ToArray();
            bool dearerLoses = BurstEngineChoice.Decide(epoll, dearer, out _) == SendEngine.Epoll;

            // Equal costs: epoll (the default on a tie).
            bool tieIsEpoll = BurstEngineChoice.Decide(epoll, epoll, out _) == SendEngine.Epoll;
            return cheaperWins && dearerLoses && tieIsEpoll;
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>Only the ratio matters: scaling both engines' costs by one factor (a faster or slower CPU) never changes the choice.</summary>
    [Fact]
    internal void TheChoiceDependsOnTheRatioNotTheScale()
    {
        Prop.ForAll(Samples(0.01, 1.0).ToArbitrary(), Samples(0.01, 1.0).ToArbitrary(), Gen.Choose(1, 1000).ToArbitrary(), (epoll, ioUring, scale) =>
        {
            SendEngine original = BurstEngineChoice.Decide(epoll, ioUring, out _);
            SendEngine scaled = BurstEngineChoice.Decide(epoll.Select(x => x * scale).ToArray(), ioUring.Select(x => x * scale).ToArray(), out string reason);
            return original == scaled && reason.Contains("median", StringComparison.Ordinal);
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// An Auto UDP socket's bursts: while the process measures, they alternate between sendmmsg and
    /// io_uring; afterwards every burst goes on the chosen engine. Every datagram arrives whole and in
    /// order throughout, every buffer comes back, and the choice names both costs.
    /// </summary>
    [LinuxKernelFact]
    public async Task AnAutoSocketMeasuresBothEnginesThenKeepsTheCheaperOne()
    {
        BurstEngineChoice.ResetForTests();
        Assert.Equal(SendEngine.Auto, ZeroCopySocket.GetProcessDatagramBurstEngine(4096));
        using var pool = new PinnedBufferPool();
        using LoopbackPair pair = LoopbackPair.CreateUdp();
        SendPinnedDatagramsTests.ReceiveWholeBursts(pair.Server);
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { BufferPool = pool, PinnedZeroCopyThreshold = 0 });
        Assert.Equal(SendEngine.Epoll, zc.Engine); // single sends stay on epoll
        const int Bursts = 2 * (BurstEngineChoice.WarmUpPerEngine + BurstEngineChoice.SamplesPerEngine) + 10;
        const int PerBurst = 4;
        const int Length = 4096;
        var received = new byte[65536];
        var buffers = new PinnedBuffer[PerBurst];
        int[] lengths = Enumerable.Repeat(Length, PerBurst).ToArray();
        long sequence = 0;
        for (int burst = 0; burst < Bursts; burst++)
        {
            for (int i = 0; i < PerBurst; i++)
            {
                buffers[i] = pool.Rent(Length);
                StreamPattern.Fill(buffers[i].Span.Slice(0, Length), (sequence + i) * Length, seed: 31);
            }

            await zc.SendPinnedDatagramsAsync(buffers, lengths);
            for (int i = 0; i < PerBurst; i++)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                int n = await pair.Server.ReceiveAsync(received, SocketFlags.None, timeout.Token);
                var want = new byte[Length];
                StreamPattern.Fill(want, (sequence + i) * Length, seed: 31);
                Assert.Equal(Length, n);
                Assert.True(received.AsSpan(0, n).SequenceEqual(want), $"burst {burst}, datagram {i} differs");
            }

            sequence += PerBurst;
        }

        await zc.DisposeAsync();
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal((long)Bursts * PerBurst, zc.Statistics.PinnedSendCalls);
        SendEngine chosen = ZeroCopySocket.GetProcessDatagramBurstEngine(Length);
        string? reason = ZeroCopySocket.ProcessDatagramBurstEngineReason;
        Assert.True(chosen is SendEngine.Epoll or SendEngine.IoUring, $"still measuring after {Bursts} bursts");
        Assert.NotNull(reason);
        if (ZeroCopySocket.ProcessIoUringFallbackReason is null)
        {
            Assert.Contains("io_uring", reason, StringComparison.Ordinal);
            Assert.Contains("ns/byte", reason, StringComparison.Ordinal);
            Assert.Equal(SendEngine.Auto, ZeroCopySocket.GetProcessDatagramBurstEngine(65000)); // another size class: 4 KiB bursts do not decide it
        }
        else
        {
            Assert.Equal(SendEngine.Epoll, chosen);
            Assert.Contains("not available", reason, StringComparison.Ordinal);
        }
    }
}
