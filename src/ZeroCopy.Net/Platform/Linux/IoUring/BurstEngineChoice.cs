using System;
using System.Globalization;
using System.Threading;

namespace ZeroCopy.Net.Platform.Linux.IoUring;

/// <summary>
/// What <see cref="SendEngine.Auto"/> means for datagram bursts (SendPinnedDatagramsAsync): the
/// engine that measured cheaper on this machine, once per process. Until it has decided, Auto
/// sockets' bursts alternate between the epoll engine (sendmmsg) and the io_uring engine (one
/// io_uring_enter, SEND_ZC from registered memory), and each burst that completes synchronously
/// reports the sending thread's CPU time per byte (CLOCK_THREAD_CPUTIME_ID, which counts the
/// kernel's work in the syscall). After <see cref="WarmUpPerEngine"/> + <see cref="SamplesPerEngine"/>
/// bursts on each, io_uring is chosen if its median costs less than <see cref="Margin"/> of epoll's.
/// </summary>
/// <remarks>
/// <para>Why measure: the gain is a property of the CPU. On the AMD EPYC VM where the library is
/// developed, io_uring bursts cost the same as sendmmsg below the zero-copy threshold (both copy)
/// and about 0.7x per byte at 32-64 KiB (registered buffers are not pinned per send); on an Intel
/// Xeon the zero-copy gain starts lower. A constant would be wrong on one of them.</para>
/// <para>Limits: the first bursts of a process pay for the calibration (about 2 x 18 bursts, half
/// on each engine, each with two clock reads); bursts that had to wait are not sampled; the sample
/// mixes whatever sizes the application sends first; work on other threads (the epoll reactor, the
/// io_uring completion thread) is not counted, which is small when the kernel completes inline.
/// Single sends of an Auto socket stay on epoll: at one send per call the two engines measured
/// within 6% of each other here. The choice holds for the process's lifetime.</para>
/// </remarks>
internal static class BurstEngineChoice
{
    /// <summary>Bursts per engine measured and discarded first (tiered JIT, the first slab registration).</summary>
    public const int WarmUpPerEngine = 2;

    /// <summary>Bursts per engine whose cost decides.</summary>
    public const int SamplesPerEngine = 16;

    /// <summary>io_uring must cost less than this fraction of epoll's CPU per byte to be chosen (epoll is the default on a tie).</summary>
    public const double Margin = 0.95;

    private static readonly object s_lock = new();
    private static readonly double[] s_epoll = new double[SamplesPerEngine];
    private static readonly double[] s_ioUring = new double[SamplesPerEngine];
    private static int s_epollSeen;
    private static int s_ioUringSeen;
    private static bool s_nextIoUring;
    private static int s_choice; // a SendEngine: Auto while undecided
    private static string? s_reason;

    /// <summary>The engine Auto bursts use, or <see cref="SendEngine.Auto"/> while still measuring.</summary>
    public static SendEngine Choice => (SendEngine)Volatile.Read(ref s_choice);

    /// <summary>Why: the two medians, or why io_uring could not take part; null while measuring.</summary>
    public static string? Reason => Volatile.Read(ref s_reason);

    /// <summary>The engine for the next Auto burst: the choice, or while measuring the one with fewer samples (alternating on a tie).</summary>
    public static SendEngine Next()
    {
        var choice = (SendEngine)Volatile.Read(ref s_choice);
        if (choice != SendEngine.Auto)
        {
            return choice;
        }

        lock (s_lock)
        {
            if (s_ioUringSeen != s_epollSeen)
            {
                return s_ioUringSeen < s_epollSeen ? SendEngine.IoUring : SendEngine.Epoll;
            }

            s_nextIoUring = !s_nextIoUring;
            return s_nextIoUring ? SendEngine.IoUring : SendEngine.Epoll;
        }
    }

    /// <summary>The process cannot use io_uring: Auto bursts are epoll's, with the reason.</summary>
    public static void IoUringUnavailable(string reason)
    {
        lock (s_lock)
        {
            if (Volatile.Read(ref s_choice) == (int)SendEngine.Auto)
            {
                Volatile.Write(ref s_reason, "io_uring is not available: " + reason);
                Volatile.Write(ref s_choice, (int)SendEngine.Epoll);
            }
        }
    }

    /// <summary>One burst that completed synchronously: <paramref name="cpuNanoseconds"/> of the sending thread for <paramref name="bytes"/>.</summary>
    public static void Record(SendEngine engine, long cpuNanoseconds, long bytes)
    {
        if (bytes <= 0 || cpuNanoseconds < 0 || Volatile.Read(ref s_choice) != (int)SendEngine.Auto)
        {
            return;
        }

        lock (s_lock)
        {
            if (Volatile.Read(ref s_choice) != (int)SendEngine.Auto)
            {
                return;
            }

            double perByte = (double)cpuNanoseconds / bytes;
            if (engine == SendEngine.IoUring)
            {
                Add(s_ioUring, ref s_ioUringSeen, perByte);
            }
            else
            {
                Add(s_epoll, ref s_epollSeen, perByte);
            }

            if (s_epollSeen >= WarmUpPerEngine + SamplesPerEngine && s_ioUringSeen >= WarmUpPerEngine + SamplesPerEngine)
            {
                SendEngine decided = Decide(s_epoll, s_ioUring, out string reason);
                Volatile.Write(ref s_reason, reason);
                Volatile.Write(ref s_choice, (int)decided);
            }
        }
    }

    /// <summary>
    /// The decision from the two samples (CPU nanoseconds per byte): io_uring if its median is below
    /// <see cref="Margin"/> times epoll's, else epoll. Pure, so a property test can hold it to that.
    /// </summary>
    public static SendEngine Decide(ReadOnlySpan<double> epoll, ReadOnlySpan<double> ioUring, out string reason)
    {
        double e = Median(epoll);
        double u = Median(ioUring);
        SendEngine decided = u < Margin * e ? SendEngine.IoUring : SendEngine.Epoll;
        reason = string.Format(
            CultureInfo.InvariantCulture,
            "measured on this machine: io_uring {0:F4} ns/byte, epoll {1:F4} ns/byte of the sending thread's CPU (median of {2} datagram bursts on each); io_uring is chosen below {3:F2}x epoll's cost, so {4}",
            u,
            e,
            Math.Min(epoll.Length, ioUring.Length),
            Margin,
            decided == SendEngine.IoUring ? "io_uring" : "epoll");
        return decided;
    }

    private static void Add(double[] samples, ref int seen, double perByte)
    {
        int index = seen - WarmUpPerEngine;
        seen++;
        if (index >= 0 && index < samples.Length)
        {
            samples[index] = perByte;
        }
    }

    private static double Median(ReadOnlySpan<double> samples)
    {
        if (samples.IsEmpty)
        {
            return double.NaN;
        }

        double[] sorted = samples.ToArray();
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Forgets the choice and the samples (tests only: the choice is per process).</summary>
    internal static void ResetForTests()
    {
        lock (s_lock)
        {
            s_epollSeen = 0;
            s_ioUringSeen = 0;
            Volatile.Write(ref s_reason, null);
            Volatile.Write(ref s_choice, (int)SendEngine.Auto);
        }
    }
}
