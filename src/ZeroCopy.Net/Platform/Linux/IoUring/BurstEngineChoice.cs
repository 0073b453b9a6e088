using System;
using System.Globalization;
using System.Threading;

namespace ZeroCopy.Net.Platform.Linux.IoUring;

/// <summary>
/// What <see cref="SendEngine.Auto"/> means for datagram bursts (SendPinnedDatagramsAsync): the
/// engine that measured cheaper on this machine, once per process and size class. Until a class has decided, Auto
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
/// <para>Limits: the first bursts of each size class pay for the calibration (2 x 18 bursts, half
/// on each engine, each with two clock reads); bursts that had to wait are not sampled; a class is
/// a burst's mean datagram length, so a burst of mixed sizes counts where its mean falls; work on other threads (the epoll reactor, the
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

    /// <summary>
    /// Size classes by a burst's mean datagram length: below 8 KiB, 8-16, 16-32, 32-64 KiB and 64 KiB
    /// up. Each decides on its own: below the zero-copy threshold both engines copy and cost the same,
    /// above it registered buffers pay off, so one answer for all sizes would be wrong for some.
    /// </summary>
    public const int Classes = 5;

    private static readonly object s_lock = new();
    private static readonly double[][] s_epoll = NewSamples();
    private static readonly double[][] s_ioUring = NewSamples();
    private static readonly int[] s_epollSeen = new int[Classes];
    private static readonly int[] s_ioUringSeen = new int[Classes];
    private static readonly bool[] s_nextIoUring = new bool[Classes];
    private static readonly int[] s_choice = new int[Classes]; // SendEngine values: Auto while measuring
    private static readonly string?[] s_reasons = new string?[Classes];
    private static string? s_unavailable;

    /// <summary>The class of a burst of <paramref name="bytes"/> in <paramref name="datagrams"/> datagrams.</summary>
    public static int ClassOf(long bytes, int datagrams)
    {
        long mean = datagrams > 0 ? bytes / datagrams : 0;
        return mean < 8 * 1024 ? 0 : mean < 16 * 1024 ? 1 : mean < 32 * 1024 ? 2 : mean < 64 * 1024 ? 3 : 4;
    }

    /// <summary>The engine Auto bursts of class <paramref name="sizeClass"/> use, or <see cref="SendEngine.Auto"/> while still measuring.</summary>
    public static SendEngine Choice(int sizeClass) => (SendEngine)Volatile.Read(ref s_choice[sizeClass]);

    /// <summary>Why, per class decided so far: both medians, or why io_uring could not take part; null before any decision.</summary>
    public static string? Reason
    {
        get
        {
            lock (s_lock)
            {
                if (s_unavailable is not null)
                {
                    return s_unavailable;
                }

                string[] decided = Array.FindAll(s_reasons, r => r is not null)!;
                return decided.Length == 0 ? null : string.Join("; ", decided);
            }
        }
    }

    /// <summary>The engine for the next Auto burst of a class: the choice, or while measuring the one with fewer samples (alternating on a tie).</summary>
    public static SendEngine Next(int sizeClass)
    {
        var choice = (SendEngine)Volatile.Read(ref s_choice[sizeClass]);
        if (choice != SendEngine.Auto)
        {
            return choice;
        }

        lock (s_lock)
        {
            if (s_ioUringSeen[sizeClass] != s_epollSeen[sizeClass])
            {
                return s_ioUringSeen[sizeClass] < s_epollSeen[sizeClass] ? SendEngine.IoUring : SendEngine.Epoll;
            }

            s_nextIoUring[sizeClass] = !s_nextIoUring[sizeClass];
            return s_nextIoUring[sizeClass] ? SendEngine.IoUring : SendEngine.Epoll;
        }
    }

    /// <summary>The process cannot use io_uring: every class's Auto bursts are epoll's, with the reason.</summary>
    public static void IoUringUnavailable(string reason)
    {
        lock (s_lock)
        {
            s_unavailable ??= "io_uring is not available: " + reason;
            for (int c = 0; c < Classes; c++)
            {
                Volatile.Write(ref s_choice[c], (int)SendEngine.Epoll);
            }
        }
    }

    /// <summary>One burst that completed synchronously: <paramref name="cpuNanoseconds"/> of the sending thread for <paramref name="bytes"/>.</summary>
    public static void Record(int sizeClass, SendEngine engine, long cpuNanoseconds, long bytes)
    {
        if (bytes <= 0 || cpuNanoseconds < 0 || Volatile.Read(ref s_choice[sizeClass]) != (int)SendEngine.Auto)
        {
            return;
        }

        lock (s_lock)
        {
            if (Volatile.Read(ref s_choice[sizeClass]) != (int)SendEngine.Auto)
            {
                return;
            }

            double perByte = (double)cpuNanoseconds / bytes;
            if (engine == SendEngine.IoUring)
            {
                Add(s_ioUring[sizeClass], ref s_ioUringSeen[sizeClass], perByte);
            }
            else
            {
                Add(s_epoll[sizeClass], ref s_epollSeen[sizeClass], perByte);
            }

            if (s_epollSeen[sizeClass] >= WarmUpPerEngine + SamplesPerEngine && s_ioUringSeen[sizeClass] >= WarmUpPerEngine + SamplesPerEngine)
            {
                SendEngine decided = Decide(s_epoll[sizeClass], s_ioUring[sizeClass], out string reason);
                s_reasons[sizeClass] = ClassName(sizeClass) + ": " + reason;
                Volatile.Write(ref s_choice[sizeClass], (int)decided);
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
            "{0} (io_uring {1:F4} ns/byte, epoll {2:F4} ns/byte of the sending thread's CPU, median of {3} bursts on each; io_uring is chosen below {4:F2}x epoll's cost)",
            decided == SendEngine.IoUring ? "io_uring" : "epoll",
            u,
            e,
            Math.Min(epoll.Length, ioUring.Length),
            Margin);
        return decided;
    }

    private static string ClassName(int sizeClass) => sizeClass switch
    {
        0 => "datagrams below 8 KiB",
        1 => "8-16 KiB",
        2 => "16-32 KiB",
        3 => "32-64 KiB",
        _ => "64 KiB and up",
    };

    private static double[][] NewSamples()
    {
        var samples = new double[Classes][];
        for (int c = 0; c < Classes; c++)
        {
            samples[c] = new double[SamplesPerEngine];
        }

        return samples;
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

    /// <summary>Forgets the choices and the samples (tests only: the choice is per process).</summary>
    internal static void ResetForTests()
    {
        lock (s_lock)
        {
            s_unavailable = null;
            for (int c = 0; c < Classes; c++)
            {
                s_epollSeen[c] = 0;
                s_ioUringSeen[c] = 0;
                s_reasons[c] = null;
                Volatile.Write(ref s_choice[c], (int)SendEngine.Auto);
            }
        }
    }
}
