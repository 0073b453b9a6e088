using System;

namespace ZeroCopy.Net.Tests.Infrastructure;

/// <summary>
/// Bytes allocated by the whole process, not just the calling thread: a send that continues on the
/// reactor or a pool thread allocates there, where GC.GetAllocatedBytesForCurrentThread cannot see
/// it. Tests that use it run in <see cref="IsolatedCollection"/>, so the process is quiet.
/// </summary>
public static class ProcessAllocations
{
    // What the idle process (xunit's reporting, timers) may allocate during a measured window:
    // far below any per-send allocation over the hundreds of sends each test measures.
    public const long Noise = 2048;

    public static long Now() => GC.GetTotalAllocatedBytes(precise: true);

    /// <summary>
    /// The least the process allocated over <paramref name="rounds"/> runs of <paramref name="work"/>:
    /// an allocation per send shows in every round, a background one-off (tiered JIT, a thread-pool
    /// thread starting) in one at most.
    /// </summary>
    public static long Least(int rounds, Func<long> work)
    {
        long least = long.MaxValue;
        for (int i = 0; i < rounds; i++)
        {
            long before = Now();
            _ = work();
            least = Math.Min(least, Now() - before);
        }

        return least;
    }
}
