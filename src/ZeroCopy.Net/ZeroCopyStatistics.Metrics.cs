using System.Diagnostics;
using System.Threading;
using ZeroCopy.Net.Diagnostics;

namespace ZeroCopy.Net;

/// <summary>Statistics whose only other record is the meter: the portable-path choice and the send-to-release time.</summary>
public sealed partial class ZeroCopyStatistics
{
    private int _portableFallback;

    /// <summary>
    /// Whether this socket sends on the portable copying path although it was created on a process
    /// that could have (<see cref="ZeroCopySocketOptions.ForcePortable"/>) or because the process has no
    /// kernel path. Recorded once per socket on zerocopy.fallbacks.
    /// </summary>
    public bool UsesPortableFallback => Volatile.Read(ref _portableFallback) != 0;

    internal void SetPortableFallback(bool forced)
    {
        if (Interlocked.Exchange(ref _portableFallback, 1) == 0)
        {
            ZeroCopyMetrics.RecordFallback(forced ? ZeroCopyMetrics.Reasons.ForcedPortable : ZeroCopyMetrics.Reasons.PlatformPortable);
        }
    }

    /// <summary>The start stamp of a MSG_ZEROCOPY send: the clock only while someone listens to zerocopy.release.duration (a clock read per send is not free), else 0.</summary>
    internal static long ReleaseTimeStart() => ZeroCopyMetrics.ReleaseTimeEnabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records, at a MSG_ZEROCOPY completion, the time since the send was issued (a <see cref="ReleaseTimeStart"/> stamp; 0 records nothing).</summary>
    internal static void AddReleaseTime(long startTimestamp)
    {
        if (startTimestamp != 0)
        {
            ZeroCopyMetrics.RecordReleaseTime((Stopwatch.GetTimestamp() - startTimestamp) / (double)Stopwatch.Frequency);
        }
    }
}
