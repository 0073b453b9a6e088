using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Platform;

/// <summary>Options are validated once, when a socket is wrapped, into a snapshot that later changes cannot reach.</summary>
public class OptionsSnapshotTests
{
    public static TheoryData<string, Action<ZeroCopySocketOptions>> InvalidOptions => new()
    {
        { nameof(ZeroCopySocketOptions.DisposeTimeout), o => o.DisposeTimeout = TimeSpan.FromSeconds(-1) },
        { nameof(ZeroCopySocketOptions.PinnedZeroCopyThreshold), o => o.PinnedZeroCopyThreshold = -1 },
        { nameof(ZeroCopySocketOptions.MaxPinnedBytesInFlight), o => o.MaxPinnedBytesInFlight = 0 },
        { nameof(ZeroCopySocketOptions.MaxPinnedBytesInFlight), o => o.MaxPinnedBytesInFlight = -5 },
        { nameof(ZeroCopySocketOptions.CopiedCompletionsBeforeFallback), o => o.CopiedCompletionsBeforeFallback = -1 },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task EveryInvalidValueIsRefusedWhenTheSocketIsWrapped(string name, Action<ZeroCopySocketOptions> spoil)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        foreach (bool forcePortable in new[] { false, true })
        {
            var options = new ZeroCopySocketOptions { ForcePortable = forcePortable };
            spoil(options);
            ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroCopySocket(pair.Client, options));
            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task InfiniteDisposeTimeoutIsAllowed()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { DisposeTimeout = Timeout.InfiniteTimeSpan });
        Assert.NotNull(zc.Capabilities.ToString());
    }

    [Fact]
    public void DefaultIsNotASharedMutableInstance()
    {
        ZeroCopySocketOptions first = ZeroCopySocketOptions.Default;
        first.PinnedZeroCopyThreshold = 1;
        first.ForcePortable = true;
        Assert.NotSame(first, ZeroCopySocketOptions.Default);
        Assert.Equal(ZeroCopySocketOptions.DefaultPinnedZeroCopyThreshold, ZeroCopySocketOptions.Default.PinnedZeroCopyThreshold);
        Assert.False(ZeroCopySocketOptions.Default.ForcePortable);
    }

    [Fact]
    public async Task ChangingTheOptionsAfterWrappingChangesNothing()
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        var options = new ZeroCopySocketOptions { BufferPool = pool };
        await using var zc = new ZeroCopySocket(pair.Client, options);
        options.BufferPool = null;
        options.MaxPinnedBytesInFlight = -1;
        options.ForcePortable = !options.ForcePortable;
        Assert.Same(pool, zc.BufferPool);

        PinnedBuffer buffer = zc.RentBuffer(100);
        buffer.Span.Fill(7);
        await zc.SendPinnedAsync(buffer, 100);
        var received = new byte[100];
        await Headers.ResponseExchange.ReceiveExactlyAsync(pair.Server, received, received.Length);

        Assert.All(received, b => Assert.Equal(7, b));
    }
}
