using System;
using System.Threading;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// Decides, per send size, whether a pinned send costs less CPU as a copy or as MSG_ZEROCOPY on
/// this machine, from what the process measures on its own live traffic.
/// </summary>
/// <remarks>
/// <para>Why measure: the crossover is a property of the CPU (page pinning, IOMMU, memory bandwidth),
/// not a constant. On one Intel Xeon VM MSG_ZEROCOPY beat a copy from 8 KiB (5-7x at 64 KiB); on an
/// AMD EPYC VM it lost below 32 KiB and won 1.5x at 64 KiB. Any fixed threshold is wrong on one of
/// them.</para>
/// <para>What is measured: the sending thread's CPU time (CLOCK_THREAD_CPUTIME_ID) around one
/// sendmsg, on one send in <see cref="SampleEvery"/> per socket, in nanoseconds per byte, per
/// power-of-two size class (4 KiB ... 256 KiB and above), for each mode; plus the CPU the sending
/// thread spends draining completions, per completed zero-copy send. The sendmsg time holds what
/// each mode costs the sender: the copy, or pinning the pages and building the zero-copy skb (and,
/// on a device that frees the skb at once, releasing them). The other mode is measured by exploration:
/// one sample in <see cref="ExploreEvery"/> starts a run of <see cref="ExploreRun"/> consecutive sends
/// the way the policy would not choose, of which the last <see cref="ExploreTimed"/> are timed (a lone
/// zero-copy send among copies costs more than one in a stream), so a choice is re-checked as
/// conditions change: 1.6% of sends go the other way. Drain costs are amortized over at least the
/// sender's drain schedule (8 sends).</para>
/// <para>The rule: zero-copy for a class when its estimate plus the drain cost per send is below
/// the copy's estimate; until both modes have <see cref="MinSamples"/> samples in a class, the
/// fixed threshold decides (<see cref="ZeroCopySocketOptions.DefaultPinnedZeroCopyThreshold"/>).
/// Sends under 4 KiB always copy (a page cannot be pinned for less than it costs to copy). The
/// estimates are process-wide (the CPU is), exponentially weighted (1/16 per sample, a sample
/// counting for at most twice the estimate), a class changes mode only past a 1/16 margin (hysteresis); updates from
/// several sockets race without a lock, and a lost update only costs one sample. A socket whose
/// completions keep saying COPIED (loopback) switches to copies as before, and its zero-copy samples
/// are not recorded until one of its completions said "not copied": a copy the kernel makes anyway
/// must not teach the process that zero-copy is slow.</para>
/// <para>Limits: the estimate is the sender's CPU, which is what bounds a CPU-bound sender; on an
/// idle machine either mode is fine. Pages the kernel unpins later, in another context (a NIC's TX
/// completion interrupt), are not seen; they cost little next to pinning.</para>
/// </remarks>
internal sealed class CrossoverPolicy
{
    /// <summary>Per socket, one pinned send in this many is timed.</summary>
    public const int SampleEvery = 64;

    /// <summary>Per socket, one timed sample in this many starts an exploration run in the other mode.</summary>
    public const int ExploreEvery = 16;

    /// <summary>Consecutive sends of an exploration run (1.6% of sends go the other way).</summary>
    public const int ExploreRun = 16;

    /// <summary>The last sends of an exploration run that are timed, once the run looks like a stream of that mode.</summary>
    public const int ExploreTimed = 8;

    /// <summary>Samples of each mode in a class before the measurement decides instead of the fixed threshold.</summary>
    public const int MinSamples = 8;

    /// <summary>Size classes: [4 KiB, 8 KiB), [8, 16), ... , [256 KiB, ∞).</summary>
    public const int Classes = 7;

    /// <summary>After the first samples, each new one moves an estimate by 1/Smoothing of the difference.</summary>
    public const int Smoothing = 16;

    /// <summary>A measured class switches mode only when the other is cheaper by more than 1/Hysteresis (about 6%).</summary>
    public const int Hysteresis = 16;

    private const int MinClassShift = 12;

    // Estimates in picoseconds per byte (fixed point: integer reads and writes are atomic).
    private readonly long[] _copyPsPerByte = new long[Classes];
    private readonly long[] _zeroCopyPsPerByte = new long[Classes];
    private readonly int[] _copySamples = new int[Classes];
    private readonly int[] _zeroCopySamples = new int[Classes];
    private readonly int _fallbackThreshold;

    // Per completed zero-copy send, in nanoseconds.
    private long _drainNsPerSend;

    // Per class: 1 = zero-copy, 0 = copy; recomputed when an estimate changes, read on every send.
    private readonly int[] _useZeroCopy = new int[Classes];

    public CrossoverPolicy(int fallbackThreshold = ZeroCopySocketOptions.DefaultPinnedZeroCopyThreshold)
    {
        _fallbackThreshold = fallbackThreshold;
        for (int c = 0; c < Classes; c++)
        {
            Recompute(c);
        }
    }

    /// <summary>The process's policy, shared by every socket that measures its crossover.</summary>
    public static CrossoverPolicy Process { get; } = new();

    /// <summary>The size class of a send of <paramref name="bytes"/>, or -1 below 4 KiB.</summary>
    public static int ClassOf(long bytes)
    {
        if (bytes < 1L << MinClassShift)
        {
            return -1;
        }

        int log = 63 - LeadingZeroCount((ulong)bytes);
        return Math.Min(log - MinClassShift, Classes - 1);
    }

    /// <summary>Whether a send of <paramref name="bytes"/> should use MSG_ZEROCOPY now.</summary>
    public bool UseZeroCopy(long bytes)
    {
        int c = ClassOf(bytes);
        return c >= 0 && UseZeroCopyForClass(c);
    }

    /// <summary>Whether sends of size class <paramref name="sizeClass"/> (from <see cref="ClassOf"/>, not negative) should use MSG_ZEROCOPY now.</summary>
    public bool UseZeroCopyForClass(int sizeClass) => Volatile.Read(ref _useZeroCopy[sizeClass]) != 0;

    /// <summary>The smallest send size that uses MSG_ZEROCOPY now, or -1 when none does.</summary>
    public long CrossoverBytes
    {
        get
        {
            for (int c = 0; c < Classes; c++)
            {
                if (Volatile.Read(ref _useZeroCopy[c]) != 0)
                {
                    return 1L << (c + MinClassShift);
                }
            }

            return -1;
        }
    }

    /// <summary>
    /// Whether every size class the process has sent is decided by measurement (not by the fixed
    /// threshold any more), and at least one has been: classes nobody sends never get samples, and
    /// must not keep the whole crossover "measuring".
    /// </summary>
    public bool IsMeasured
    {
        get
        {
            bool any = false;
            for (int c = 0; c < Classes; c++)
            {
                int copies = Volatile.Read(ref _copySamples[c]);
                int zeroCopies = Volatile.Read(ref _zeroCopySamples[c]);
                if (copies == 0 && zeroCopies == 0)
                {
                    continue;
                }

                if (copies < MinSamples || zeroCopies < MinSamples)
                {
                    return false;
                }

                any = true;
            }

            return any;
        }
    }

    /// <summary>The estimate of a class, in nanoseconds per KiB (tests, diagnostics); -1 without samples.</summary>
    public double EstimateNsPerKiB(int sizeClass, bool zeroCopy)
    {
        int samples = Volatile.Read(ref (zeroCopy ? _zeroCopySamples : _copySamples)[sizeClass]);
        return samples == 0 ? -1 : Volatile.Read(ref (zeroCopy ? _zeroCopyPsPerByte : _copyPsPerByte)[sizeClass]) * 1024 / 1000.0;
    }

    /// <summary>Records one timed send: <paramref name="cpuNanoseconds"/> of the sending thread's CPU for <paramref name="bytes"/> bytes.</summary>
    public void Record(long bytes, bool zeroCopy, long cpuNanoseconds)
    {
        int c = ClassOf(bytes);
        if (c < 0 || cpuNanoseconds < 0)
        {
            return;
        }

        long psPerByte = cpuNanoseconds * 1000 / bytes;
        long[] estimates = zeroCopy ? _zeroCopyPsPerByte : _copyPsPerByte;
        int[] samples = zeroCopy ? _zeroCopySamples : _copySamples;
        int n = Interlocked.Increment(ref samples[c]);
        long old = Volatile.Read(ref estimates[c]);

        // One timed sendmsg is a few microseconds, and an interrupt handled on the sending thread lands
        // in its CPU clock: once the estimate stands, a sample counts for at most twice it.
        if (n > MinSamples && psPerByte > 2 * old)
        {
            psPerByte = 2 * old;
        }

        // The first samples average plainly (so the first one does not rule), then 1/16 per sample: on the
        // veth rig 1/8 let single noisy samples flip the 32 KiB class to copies, where zero-copy was 1.2x.
        long next = n <= Smoothing ? old + ((psPerByte - old) / n) : old + ((psPerByte - old) / Smoothing);
        Volatile.Write(ref estimates[c], next);
        Recompute(c);
    }

    /// <summary>Records the sending thread's CPU for one drain of the error queue that released <paramref name="sends"/> zero-copy sends.</summary>
    public void RecordDrain(int sends, long cpuNanoseconds)
    {
        if (sends <= 0 || cpuNanoseconds < 0)
        {
            return;
        }

        // Amortized over at least the sender's drain schedule: when a class copies, its only zero-copy
        // sends are exploration (one in 128), so each drain releases one or two of them and costs its whole
        // recvmsg per send, several times what a zero-copy stream pays (one drain per 8 sends). Charged
        // per released send, that cost kept a class on copies once it was there: on the rig the 32 KiB
        // class (zero-copy 1.3x faster) stayed on copies after the 16 KiB class had inflated the estimate
        // to 1.0-1.3 us per send (0.28 us in a zero-copy stream).
        long perSend = cpuNanoseconds / Math.Max(sends, ZeroCopyChannel.DrainEverySends);
        long old = Volatile.Read(ref _drainNsPerSend);
        Volatile.Write(ref _drainNsPerSend, old == 0 ? perSend : old + ((perSend - old) / 8));
        for (int c = 0; c < Classes; c++)
        {
            Recompute(c);
        }
    }

    private void Recompute(int c)
    {
        bool zeroCopy;
        if (Volatile.Read(ref _copySamples[c]) < MinSamples || Volatile.Read(ref _zeroCopySamples[c]) < MinSamples)
        {
            zeroCopy = 1L << (c + MinClassShift) >= _fallbackThreshold;
        }
        else
        {
            // Compare at the class's lower bound, where the fixed per-send drain cost weighs most. A class
            // changes mode only when the other one is cheaper by more than 1/Hysteresis of the current
            // one's cost: where the two are within noise of each other (16 KiB on the EPYC VM) either
            // is fine, and flapping between them would only add exploration's cost.
            long bytes = 1L << (c + MinClassShift);
            long copyPs = Volatile.Read(ref _copyPsPerByte[c]) * bytes;
            long zeroCopyPs = (Volatile.Read(ref _zeroCopyPsPerByte[c]) * bytes) + (Volatile.Read(ref _drainNsPerSend) * 1000);
            zeroCopy = Volatile.Read(ref _useZeroCopy[c]) != 0
                ? zeroCopyPs - (zeroCopyPs / Hysteresis) <= copyPs
                : zeroCopyPs < copyPs - (copyPs / Hysteresis);
        }

        Volatile.Write(ref _useZeroCopy[c], zeroCopy ? 1 : 0);
    }

    private static int LeadingZeroCount(ulong value)
    {
#if NETSTANDARD2_0
        int n = 0;
        for (ulong bit = 1UL << 63; bit != 0 && (value & bit) == 0; bit >>= 1)
        {
            n++;
        }

        return n;
#else
        return System.Numerics.BitOperations.LeadingZeroCount(value);
#endif
    }
}
