using System;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.Pinned;

namespace ZeroCopy.Net.Tests.Diagnostics;

/// <summary>The meter agrees with the statistics for pinned sends and header sends (runs alone: the meter is process-wide).</summary>
[Collection(nameof(MeterCollection))]
public class PinnedAndHeaderMetricsTests
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task PinnedSendsMeterAgreesWithStatistics(bool forcePortable)
    {
        using var meter = new MeterRecorder();
        long inFlightBefore = meter.BytesInFlight();
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        var options = new ZeroCopySocketOptions { ForcePortable = forcePortable, BufferPool = pool, CopiedCompletionsBeforeFallback = 2 };
        var zc = new ZeroCopySocket(pair.Client, options);
        int[] lengths = { 1000, 200 * 1024, 200 * 1024, 200 * 1024, 5 };
        long total = 0;
        foreach (int n in lengths)
        {
            total += n;
        }

        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, seed: 4);
        long position = 0;
        foreach (int n in lengths)
        {
            PinnedBuffer buffer = zc.RentBuffer(n);
            StreamPattern.Fill(buffer.Span.Slice(0, n), position, seed: 4);
            position += n;
            await zc.SendPinnedAsync(buffer, n);
        }

        Assert.Equal(total, await receive);
        for (int i = 0; i < 300 && pool.InFlightBuffers != 0; i++)
        {
            await Task.Delay(10);
        }

        ZeroCopyStatistics s = zc.Statistics;
        Assert.Equal(0, s.PinnedBytesInFlight);
        Assert.Equal(inFlightBefore, meter.BytesInFlight());
        Assert.Equal(s.PinnedZeroCopyBytes, meter.Sum("zerocopy.bytes", "msg_zerocopy"));
        Assert.Equal(s.PinnedZeroCopySyscalls, meter.Sum("zerocopy.sends", "msg_zerocopy"));
        Assert.Equal(s.ZeroCopyCompletedSends, meter.Sum("zerocopy.completions", "true") + meter.Sum("zerocopy.completions", "false"));
        Assert.Equal(s.ZeroCopyCopiedCompletions, meter.Sum("zerocopy.completions", "true"));
        Assert.Equal(s.ZeroCopyCopiedBytes, meter.Sum("zerocopy.completed.bytes", "true"));
        Assert.Equal(s.ZeroCopyUncopiedBytes, meter.Sum("zerocopy.completed.bytes", "false"));
        Assert.Equal(s.PinnedZeroCopyBytes, s.ZeroCopyCopiedBytes + s.ZeroCopyUncopiedBytes); // every zero-copy byte was completed, one way or the other
        Assert.Equal(s.ZeroCopyCompletedSends, meter.HistogramCount("zerocopy.release.duration"));
        Assert.Equal(s.ZeroCopyNoBufsFallbacks, meter.Sum("zerocopy.fallbacks", "enobufs"));
        Assert.Equal(s.ZeroCopyDisabledByCopiedCompletions ? 1 : 0, meter.Sum("zerocopy.fallbacks", "copied_adaptation"));
        Assert.Equal(total, s.PinnedZeroCopyBytes + s.PinnedCopiedBytes);
        if (forcePortable || ZeroCopySocket.ProcessPlatformName != "linux")
        {
            Assert.Equal(total, meter.Sum("zerocopy.bytes", "portable"));
            Assert.Equal(s.PortableCopiedBytes, meter.Sum("zerocopy.bytes", "portable"));
            Assert.Equal(0, meter.Sum("zerocopy.bytes", "copy"));
            Assert.Equal(forcePortable ? 1 : 0, meter.Sum("zerocopy.fallbacks", "forced_portable"));
            Assert.True(s.UsesPortableFallback);
        }
        else
        {
            // The 200 KiB sends are above the 32 KiB threshold: the first ones really went out with MSG_ZEROCOPY.
            Assert.True(s.PinnedZeroCopyBytes >= 200 * 1024, $"only {s.PinnedZeroCopyBytes} bytes went out with MSG_ZEROCOPY");
            Assert.Equal(s.PinnedCopiedBytes, meter.Sum("zerocopy.bytes", "copy"));
            Assert.True(s.PinnedCopiedBelowThresholdBytes >= 1000, "the 1000-byte send is below the threshold and was copied");
            Assert.True(meter.Sum("zerocopy.completions", "true") + meter.Sum("zerocopy.completions", "false") > 0);
            Assert.Equal(0, meter.Sum("zerocopy.bytes", "portable"));
            Assert.False(s.UsesPortableFallback);
        }

        await zc.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task HeaderSendsMeterAgreesWithStatistics(bool forcePortable)
    {
        using var meter = new MeterRecorder();
        using var small = TestFile.Create(700);
        using var large = TestFile.Create(300 * 1024);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        byte[] header = new byte[100];
        long expected = 2 * header.Length + small.Length + large.Length;
        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, expected);
        await zc.SendWithHeadersAsync(header, SendBody.FromFile(small.Path));
        await zc.SendWithHeadersAsync(header, SendBody.FromFile(large.Path));
        Assert.Equal(expected, (await receive).Bytes);

        ZeroCopyStatistics s = zc.Statistics;
        Assert.Equal(s.VectoredSendBytes, meter.Sum("zerocopy.bytes", "vectored"));
        Assert.Equal(s.VectoredSendSyscalls, meter.Sum("zerocopy.sends", "vectored"));
        Assert.Equal(s.SmallFileCopiedBytes, meter.Sum("zerocopy.small_file_copied"));
        Assert.Equal(s.KernelSendFileBytes, meter.Sum("zerocopy.bytes", "sendfile"));
        Assert.Equal(s.KernelSendFileSyscalls, meter.Sum("zerocopy.sends", "sendfile"));
        if (!forcePortable && ZeroCopySocket.ProcessPlatformName == "linux")
        {
            Assert.True(s.VectoredSendSyscalls > 0);
            Assert.True(s.KernelSendFileBytes > 0);
        }
        else
        {
            Assert.Equal(s.PortableCopiedBytes, meter.Sum("zerocopy.bytes", "portable"));
            Assert.Equal(0, s.KernelSendFileBytes);
        }
    }
}
