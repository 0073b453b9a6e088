using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading.Tasks;
using ZeroCopy.Net.Tests.Infrastructure;
using Xunit;

namespace ZeroCopy.Net.Tests.Diagnostics;

[CollectionDefinition(nameof(MeterCollection), DisableParallelization = true)]
public sealed class MeterCollection
{
}

/// <summary>
/// Reads the library's Meter with a MeterListener and checks that it agrees with the per-socket
/// statistics. Runs alone (the meter is process-wide), so every measurement seen here is ours.
/// </summary>
[Collection(nameof(MeterCollection))]
public class MetricsTests
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task MeterBytesBySendPathAgreeWithStatistics(bool forcePortable)
    {
        var bytesByPath = new ConcurrentDictionary<string, long>();
        var sendsByPath = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ZeroCopySocket.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string path = "?";
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "path")
                {
                    path = (string)tag.Value!;
                }
            }

            if (instrument.Name == "zerocopy.bytes")
            {
                bytesByPath.AddOrUpdate(path, value, (_, old) => old + value);
            }
            else if (instrument.Name == "zerocopy.sends")
            {
                sendsByPath.AddOrUpdate(path, value, (_, old) => old + value);
            }
        });
        listener.Start();

        using var file = TestFile.Create(3 * 1024 * 1024 + 5);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, file.Length);
        await zc.SendFileAsync(file.Path);
        Assert.Equal(TestFile.ExpectedHash(0, file.Length), (await receive).Hash);

        listener.Dispose();
        bool kernel = zc.Statistics.KernelSendFileBytes > 0;
        Assert.Equal(!forcePortable && ZeroCopySocket.ProcessPlatformName == "linux", kernel);
        if (kernel)
        {
            Assert.Equal(file.Length, bytesByPath.GetValueOrDefault("sendfile"));
            Assert.Equal(zc.Statistics.KernelSendFileSyscalls, sendsByPath.GetValueOrDefault("sendfile"));
            Assert.False(bytesByPath.ContainsKey("portable"));
        }
        else
        {
            Assert.Equal(file.Length, bytesByPath.GetValueOrDefault("portable"));
            Assert.Equal(zc.Statistics.PortableCopiedBytes, bytesByPath.GetValueOrDefault("portable"));
            Assert.False(bytesByPath.ContainsKey("sendfile"));
        }
    }
}
