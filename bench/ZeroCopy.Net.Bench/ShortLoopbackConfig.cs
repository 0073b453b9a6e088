using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ZeroCopy.Net.Bench;

/// <summary>
/// A short in-process job with a fixed number of sends per iteration: it runs in seconds, needs no
/// generated project, and bounds how many descriptors the BCL's SendFileAsync(path) can leak.
/// </summary>
internal class ShortLoopbackConfig : ManualConfig
{
    public ShortLoopbackConfig()
        : this(invocations: 1024, iterations: 12)
    {
    }

    protected ShortLoopbackConfig(int invocations, int iterations)
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(iterations)
            .WithInvocationCount(invocations)
            .WithUnrollFactor(1)
            .WithId("ShortLoopback"));
    }
}

/// <summary>
/// The same job with 16,384 sends per iteration and 20 iterations: a send of ~1 KiB costs a few µs,
/// and 1,024 of them (~10 ms) are too few to average out the drain thread's wake-ups.
/// </summary>
internal sealed class LongLoopbackConfig : ShortLoopbackConfig
{
    public LongLoopbackConfig()
        : base(invocations: 16 * 1024, iterations: 20)
    {
    }
}
