using System;
using System.Linq;
using System.Threading.Tasks;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Platform.Linux;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>The measured copy/MSG_ZEROCOPY crossover: the pure policy, and its use by a socket.</summary>
public class CrossoverPolicyTests
{
    [Theory]
    [InlineData(0, -1)]
    [InlineData(4095, -1)]
    [InlineData(4096, 0)]
    [InlineData(8191, 0)]
    [InlineData(8192, 1)]
    [InlineData(65536, 4)]
    [InlineData(262144, 6)]
    [InlineData(1 << 30, 6)]
    internal void SizesFallIntoPowerOfTwoClasses(long bytes, int expected) => Assert.Equal(expected, CrossoverPolicy.ClassOf(bytes));

    [Fact]
    internal void UntilMeasuredTheFixedThresholdDecides()
    {
        var policy = new CrossoverPolicy(32 * 1024);
        Assert.False(policy.UseZeroCopy(16 * 1024));
        Assert.True(policy.UseZeroCopy(32 * 1024));
        Assert.Equal(32 * 1024, policy.CrossoverBytes);
        Assert.False(policy.IsMeasured);
        Assert.False(policy.UseZeroCopy(1000)); // below a page: always a copy
    }

    /// <summary>
    /// For any per-class costs (ns per KiB, both modes) and any noise, once every class has its
    /// samples the policy sends each class the cheaper way (when the two differ by more than the noise).
    /// </summary>
    [Fact]
    internal void MeasuredCostsDecideEveryClass()
    {
        Gen<(int Copy, int ZeroCopy)[]> costs = Gen.ArrayOf(
            from copy in Gen.Choose(50, 2000)
            from zc in Gen.Choose(50, 2000)
            select (copy, zc), CrossoverPolicy.Classes);
        Prop.ForAll(costs.ToArbitrary(), Gen.Choose(0, 5).ToArbitrary(), (perClass, noisePercent) =>
        {
            var policy = new CrossoverPolicy(32 * 1024);
            var random = new Random(noisePercent);
            for (int round = 0; round < 20; round++)
            {
                for (int c = 0; c < CrossoverPolicy.Classes; c++)
                {
                    long bytes = 4096L << c;
                    double noise = 1 + ((random.NextDouble() - 0.5) * 2 * noisePercent / 100.0);
                    policy.Record(bytes, zeroCopy: false, (long)(perClass[c].Copy * (bytes / 1024.0) * noise));
                    policy.Record(bytes, zeroCopy: true, (long)(perClass[c].ZeroCopy * (bytes / 1024.0) * noise));
                }
            }

            if (!policy.IsMeasured)
            {
                return false;
            }

            for (int c = 0; c < CrossoverPolicy.Classes; c++)
            {
                (int copy, int zc) = perClass[c];
                double margin = Math.Max(copy, zc) * 0.15; // beyond noise and estimate granularity
                if (Math.Abs(copy - zc) > margin && policy.UseZeroCopy(4096L << c) != zc < copy)
                {
                    return false;
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// Where the two modes cost within a few percent of each other, a measured class keeps the mode it
    /// has (hysteresis): noise must not flap it. The rig showed the 16 KiB class flipping on every few
    /// samples before, and the 32 KiB class (zero-copy 1.2x there) sent as copies after one noisy sample.
    /// </summary>
    [Fact]
    internal void CostsWithinNoiseDoNotFlapAClass()
    {
        Prop.ForAll(Gen.Choose(200, 2000).ToArbitrary(), Gen.Choose(-3, 3).ToArbitrary(), Gen.Choose(1, 1000).ToArbitrary(), (copyNsPerKiB, zeroCopyPercent, seed) =>
        {
            var policy = new CrossoverPolicy(32 * 1024);
            var random = new Random(seed);
            int zeroCopyNsPerKiB = copyNsPerKiB * (100 + zeroCopyPercent) / 100;
            bool? first = null;
            for (int i = 0; i < 400; i++)
            {
                const long Bytes = 16 * 1024;
                double noise() => 1 + ((random.NextDouble() - 0.5) * 0.04); // ±2% per sample
                policy.Record(Bytes, zeroCopy: false, (long)(copyNsPerKiB * 16 * noise()));
                policy.Record(Bytes, zeroCopy: true, (long)(zeroCopyNsPerKiB * 16 * noise()));
                if (i >= CrossoverPolicy.Smoothing)
                {
                    first ??= policy.UseZeroCopy(Bytes);
                    if (policy.UseZeroCopy(Bytes) != first)
                    {
                        return false;
                    }
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// A drain that released only one or two sends (a class that copies sends zero-copy only to explore)
    /// is charged as if it had released the sender's drain schedule's worth: charged per released send,
    /// the whole recvmsg landed on one send and kept the 32 KiB class on copies on the rig.
    /// </summary>
    [Fact]
    internal void SparseDrainsAreAmortizedOverTheDrainSchedule()
    {
        var policy = new CrossoverPolicy(32 * 1024);
        const long Bytes = 32 * 1024;
        for (int i = 0; i < 32; i++)
        {
            policy.Record(Bytes, zeroCopy: false, 5_760); // 180 ns/KiB, as measured at 32 KiB
            policy.Record(Bytes, zeroCopy: true, 4_416);  // 138 ns/KiB
            policy.RecordDrain(1, 2_000);                 // one exploration send per drain: 2 µs recvmsg
        }

        // Charged per released send that is 6.4 µs against the copy's 5.8: copies. Amortized
        // over 8 sends (250 ns per send), zero-copy is clearly cheaper, as it is on the rig (1.3x).
        Assert.True(policy.UseZeroCopy(Bytes));
    }

    [Fact]
    internal void OneOutlierSampleDoesNotFlipAClass()
    {
        var policy = new CrossoverPolicy(32 * 1024);
        const long Bytes = 32 * 1024;
        for (int i = 0; i < 64; i++)
        {
            policy.Record(Bytes, zeroCopy: false, 12_000);
            policy.Record(Bytes, zeroCopy: true, 10_000);
        }

        Assert.True(policy.UseZeroCopy(Bytes));
        policy.Record(Bytes, zeroCopy: true, 1_000_000); // an interrupt on the sending thread, a preemption
        Assert.True(policy.UseZeroCopy(Bytes));
        Assert.True(policy.IsMeasured); // only the classes that were sent count
        Assert.Equal(Bytes, policy.CrossoverBytes);

        // A real change of cost does move it, within a few dozen samples.
        for (int i = 0; i < 64; i++)
        {
            policy.Record(Bytes, zeroCopy: true, 16_000);
        }

        Assert.False(policy.UseZeroCopy(Bytes));
    }

    [Fact]
    internal void DrainCostPerSendWeighsAgainstZeroCopyForSmallSends()
    {
        var policy = new CrossoverPolicy(32 * 1024);
        for (int i = 0; i < 16; i++)
        {
            // Zero-copy's sendmsg is a little cheaper per byte at every size...
            for (int c = 0; c < CrossoverPolicy.Classes; c++)
            {
                long bytes = 4096L << c;
                policy.Record(bytes, false, bytes * 100 / 1024); // 100 ns/KiB
                policy.Record(bytes, true, bytes * 80 / 1024);   // 80 ns/KiB
            }
        }

        Assert.True(policy.UseZeroCopy(4096));

        // ...but each completion costs the sender 500 ns (a drain of 8 sends, 4 µs): at 4 KiB (400 vs
        // 320 + 500 ns) copying wins, at 64 KiB (6.4 vs 5.1 + 0.5 µs) zero-copy still does.
        for (int i = 0; i < 16; i++)
        {
            policy.RecordDrain(8, 4000);
        }

        Assert.False(policy.UseZeroCopy(4096));
        Assert.True(policy.UseZeroCopy(65536));
        Assert.True(policy.IsMeasured);
    }

    [LinuxKernelFact]
    public async Task AMeasuringSocketExploresTheOtherModeAndAFixedOneNever()
    {
        using var pool = new PinnedBufferPool();
        foreach (bool fixedThreshold in new[] { false, true })
        {
            using var pair = await LoopbackPair.CreateTcpAsync();
            var options = new ZeroCopySocketOptions { BufferPool = pool, CopiedCompletionsBeforeFallback = 0, MeasurePinnedCrossover = true };
            if (fixedThreshold)
            {
                options.PinnedZeroCopyThreshold = ZeroCopySocketOptions.DefaultPinnedZeroCopyThreshold;
            }

            const int Sends = 1024;
            const int Size = 4096;
            Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (long)Sends * Size, seed: 3);
            await using (var zc = new ZeroCopySocket(pair.Client, options))
            {
                using (var pairDefault = await LoopbackPair.CreateTcpAsync())
                {
                    await using var byDefault = new ZeroCopySocket(pairDefault.Client, new ZeroCopySocketOptions { BufferPool = pool });
                    Assert.Equal("fixed", byDefault.Statistics.PinnedZeroCopyCrossoverSource); // measuring is opt-in
                }

                Assert.Equal(fixedThreshold ? "fixed" : (CrossoverPolicy.Process.IsMeasured ? "measured" : "measuring"), zc.Statistics.PinnedZeroCopyCrossoverSource);
                for (int i = 0; i < Sends; i++)
                {
                    PinnedBuffer buffer = zc.RentBuffer(Size);
                    StreamPattern.Fill(buffer.Span[..Size], (long)i * Size, seed: 3);
                    await zc.SendPinnedAsync(buffer, Size);
                }

                Assert.Equal((long)Sends * Size, await receive.WaitAsync(TimeSpan.FromSeconds(30)));
                if (fixedThreshold)
                {
                    Assert.Equal(0, zc.Statistics.PinnedZeroCopySyscalls);
                    Assert.Equal(ZeroCopySocketOptions.DefaultPinnedZeroCopyThreshold, zc.Statistics.PinnedZeroCopyCrossover);
                }
                else
                {
                    // One send in 64 is timed; the first sample of a socket starts an exploration run of 16
                    // sends in the other mode (then one in 16 samples does): at least 8 of 1,024 go each
                    // way, whichever mode the process currently prefers for 4 KiB.
                    long zeroCopy = zc.Statistics.PinnedZeroCopySyscalls;
                    long copied = zc.Statistics.PinnedCopiedBytes / Size;
                    Assert.True(Math.Min(zeroCopy, copied) >= Sends / CrossoverPolicy.SampleEvery / 2, $"zero-copy sends {zeroCopy}, copies {copied}: no exploration");
                }
            }
        }
    }
}
