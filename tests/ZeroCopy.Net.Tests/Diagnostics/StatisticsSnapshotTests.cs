using System;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Diagnostics;

/// <summary>ZeroCopyStatistics.Snapshot(): every counter, frozen, printed readably.</summary>
public class StatisticsSnapshotTests
{
    /// <summary>Every public figure of ZeroCopyStatistics has a snapshot property of the same name and type: a new counter cannot be left out.</summary>
    [Fact]
    public void TheSnapshotHasEveryPublicFigureOfTheStatistics()
    {
        PropertyInfo[] live = typeof(ZeroCopyStatistics).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        PropertyInfo[] frozen = typeof(ZeroCopyStatisticsSnapshot).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        Assert.NotEmpty(live);
        Assert.Equal(
            live.Select(p => (p.Name, p.PropertyType)).OrderBy(p => p.Name, StringComparer.Ordinal),
            frozen.Select(p => (p.Name, p.PropertyType)).OrderBy(p => p.Name, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task TheSnapshotEqualsTheCountersAfterSendsAndDoesNotMoveAfterwards(bool forcePortable)
    {
        using TestFile file = TestFile.Create(100_000);
        using LoopbackPair pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { ForcePortable = forcePortable });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task<HashingReceiver.Result> received = HashingReceiver.ReceiveAsync(pair.Server, 2 * 100_000 + 5, cancellationToken: timeout.Token);
        await zc.SendFileAsync(file.Path, cancellationToken: timeout.Token);
        await zc.SendWithHeadersAsync("head!"u8.ToArray(), SendBody.FromFile(file.Path), cancellationToken: timeout.Token);
        await received;

        ZeroCopyStatisticsSnapshot snapshot = zc.Statistics.Snapshot();
        foreach (PropertyInfo property in typeof(ZeroCopyStatistics).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Assert.Equal(property.GetValue(zc.Statistics), typeof(ZeroCopyStatisticsSnapshot).GetProperty(property.Name)!.GetValue(snapshot));
        }

        Assert.Equal(1, snapshot.SendFileCalls);
        Assert.Equal(1, snapshot.SendWithHeadersCalls);
        Assert.Equal(forcePortable, snapshot.UsesPortableFallback);
        Assert.Equal(snapshot, zc.Statistics.Snapshot());

        string text = snapshot.ToString();
        Assert.Equal(6, text.Split('\n').Length);
        Assert.Contains(FormattableString.Invariant($"\nCrossover: pinned sends of {snapshot.PinnedZeroCopyCrossover:N0} bytes and more use MSG_ZEROCOPY ({snapshot.PinnedZeroCopyCrossoverSource};"), text, StringComparison.Ordinal);
        Assert.StartsWith("SendFileAsync: 1 calls; ", text, StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"{snapshot.KernelSendFileBytes:N0} bytes by sendfile(2) in {snapshot.KernelSendFileSyscalls:N0} calls"), text, StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"{snapshot.PortableCopiedBytes:N0} bytes copied by the portable path"), text, StringComparison.Ordinal);
        Assert.Contains("\nSendWithHeadersAsync: 1 calls; ", text, StringComparison.Ordinal);
        Assert.Contains($"Flags: portable fallback {(forcePortable ? "yes" : "no")};", text, StringComparison.Ordinal);

        // A value: later sends move the live counters, not the snapshot.
        Task<HashingReceiver.Result> more = HashingReceiver.ReceiveAsync(pair.Server, 100_000, cancellationToken: timeout.Token);
        await zc.SendFileAsync(file.Path, cancellationToken: timeout.Token);
        await more;
        Assert.Equal(1, snapshot.SendFileCalls);
        Assert.Equal(2, zc.Statistics.SendFileCalls);
        Assert.NotEqual(snapshot, zc.Statistics.Snapshot());
    }
}
