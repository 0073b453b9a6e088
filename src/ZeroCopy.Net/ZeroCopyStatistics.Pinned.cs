using System.Threading;
using ZeroCopy.Net.Diagnostics;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopyStatistics
{
    private long _pinnedSendCalls;
    private long _pinnedZeroCopyBytes;
    private long _pinnedZeroCopySyscalls;
    private long _pinnedCopiedBytes;
    private long _pinnedCopiedBelowThresholdBytes;
    private long _pinnedCopiedAfterAdaptationBytes;
    private long _pinnedCopiedNoBufsBytes;
    private long _zeroCopyNoBufsFallbacks;
    private long _zeroCopyCompletedSends;
    private long _zeroCopyCopiedCompletions;
    private long _zeroCopyCopiedBytes;
    private long _zeroCopyUncopiedBytes;
    private long _zeroCopyNotifications;
    private long _errorQueueOtherEntries;
    private long _errorQueueTruncated;
    private long _zeroCopyAbandonedSends;
    private long _pinnedBackpressureWaits;
    private long _pinnedBytesInFlight;
    private int _zeroCopyOptInRefused;
    private int _zeroCopyDisabledByCopied;

    /// <summary>SendPinnedAsync calls, and pinned bodies of SendWithHeadersAsync (<see cref="SendBody.FromPinned"/>), whose bytes all went to the kernel.</summary>
    public long PinnedSendCalls => Volatile.Read(ref _pinnedSendCalls);

    /// <summary>Bytes handed to the kernel with MSG_ZEROCOPY (the kernel may still have copied them: see <see cref="ZeroCopyCopiedCompletions"/>).</summary>
    public long PinnedZeroCopyBytes => Volatile.Read(ref _pinnedZeroCopyBytes);

    /// <summary>Successful sendmsg(MSG_ZEROCOPY) calls: each takes one completion sequence number.</summary>
    public long PinnedZeroCopySyscalls => Volatile.Read(ref _pinnedZeroCopySyscalls);

    /// <summary>Bytes of SendPinnedAsync calls and pinned bodies that were copied by a plain send instead (the sum of the three reasons below, plus the portable path).</summary>
    public long PinnedCopiedBytes => Volatile.Read(ref _pinnedCopiedBytes);

    /// <summary>Bytes copied because the call was smaller than <see cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/>.</summary>
    public long PinnedCopiedBelowThresholdBytes => Volatile.Read(ref _pinnedCopiedBelowThresholdBytes);

    /// <summary>Bytes copied because the socket switched to plain sends (<see cref="ZeroCopyDisabledByCopiedCompletions"/>) or the kernel refused SO_ZEROCOPY.</summary>
    public long PinnedCopiedAfterAdaptationBytes => Volatile.Read(ref _pinnedCopiedAfterAdaptationBytes);

    /// <summary>Bytes resent without MSG_ZEROCOPY after the kernel said ENOBUFS (optmem or locked-memory limit).</summary>
    public long PinnedCopiedNoBufsBytes => Volatile.Read(ref _pinnedCopiedNoBufsBytes);

    /// <summary>Times a sendmsg(MSG_ZEROCOPY) failed with ENOBUFS and the bytes went out as a copy instead.</summary>
    public long ZeroCopyNoBufsFallbacks => Volatile.Read(ref _zeroCopyNoBufsFallbacks);

    /// <summary>sendmsg(MSG_ZEROCOPY) calls that a kernel completion has covered (equals <see cref="PinnedZeroCopySyscalls"/> once all are done).</summary>
    public long ZeroCopyCompletedSends => Volatile.Read(ref _zeroCopyCompletedSends);

    /// <summary>Of <see cref="ZeroCopyCompletedSends"/>, those whose completion said the kernel copied anyway (SO_EE_CODE_ZEROCOPY_COPIED: loopback, some devices).</summary>
    public long ZeroCopyCopiedCompletions => Volatile.Read(ref _zeroCopyCopiedCompletions);

    /// <summary>Bytes of MSG_ZEROCOPY sends whose completion said the kernel copied them anyway (SO_EE_CODE_ZEROCOPY_COPIED).</summary>
    public long ZeroCopyCopiedBytes => Volatile.Read(ref _zeroCopyCopiedBytes);

    /// <summary>Bytes of MSG_ZEROCOPY sends whose completion said the kernel sent the user's pages without copying: real zero-copy.</summary>
    public long ZeroCopyUncopiedBytes => Volatile.Read(ref _zeroCopyUncopiedBytes);

    /// <summary>Completion notifications read from the error queue (one may cover many sends).</summary>
    public long ZeroCopyNotifications => Volatile.Read(ref _zeroCopyNotifications);

    /// <summary>Error-queue entries that were not zero-copy completions (ICMP errors, timestamps): ignored.</summary>
    public long ErrorQueueOtherEntries => Volatile.Read(ref _errorQueueOtherEntries);

    /// <summary>Error-queue reads whose control data was truncated (MSG_CTRUNC); a completion in them is lost and its buffers are quarantined at disposal.</summary>
    public long ErrorQueueTruncated => Volatile.Read(ref _errorQueueTruncated);

    /// <summary>sendmsg(MSG_ZEROCOPY) calls whose completion had not arrived when the socket was disposed; their buffers were quarantined.</summary>
    public long ZeroCopyAbandonedSends => Volatile.Read(ref _zeroCopyAbandonedSends);

    /// <summary>Times SendPinnedAsync waited because <see cref="ZeroCopySocketOptions.MaxPinnedBytesInFlight"/> was reached.</summary>
    public long PinnedBackpressureWaits => Volatile.Read(ref _pinnedBackpressureWaits);

    /// <summary>Bytes sent with MSG_ZEROCOPY whose completion has not arrived yet.</summary>
    public long PinnedBytesInFlight => Volatile.Read(ref _pinnedBytesInFlight);

    /// <summary>The kernel refused setsockopt(SO_ZEROCOPY) on this socket (old kernel, unsupported protocol): pinned sends copy.</summary>
    public bool ZeroCopyOptInRefused => Volatile.Read(ref _zeroCopyOptInRefused) != 0;

    /// <summary>The socket stopped using MSG_ZEROCOPY because the kernel kept reporting that it copied anyway; pinned sends now copy (and say so in <see cref="PinnedCopiedAfterAdaptationBytes"/>).</summary>
    public bool ZeroCopyDisabledByCopiedCompletions => Volatile.Read(ref _zeroCopyDisabledByCopied) != 0;

    internal void AddPinnedSendCall() => Interlocked.Increment(ref _pinnedSendCalls);

    internal void AddPinnedZeroCopy(long bytes)
    {
        Interlocked.Add(ref _pinnedZeroCopyBytes, bytes);
        Interlocked.Increment(ref _pinnedZeroCopySyscalls);
        ZeroCopyMetrics.RecordSend(ZeroCopyMetrics.Paths.ZeroCopy, bytes);
    }

    /// <summary>Returns the new total: the sender's backpressure reads it.</summary>
    internal long AddPinnedInFlight(long bytes)
    {
        ZeroCopyMetrics.AddBytesInFlight(bytes);
        return Interlocked.Add(ref _pinnedBytesInFlight, bytes);
    }

    internal void AddPinnedCopied(long bytes, PinnedCopyReason reason)
    {
        if (reason != PinnedCopyReason.Portable)
        {
            // The portable path records its bytes through AddPortableCopied (path "portable").
            ZeroCopyMetrics.RecordSend(ZeroCopyMetrics.Paths.Copy, bytes);
        }

        CountPinnedCopied(bytes, reason);
    }

    /// <summary>A pinned body that went in the headers' vectored sendmsg: AddVectoredSend has already recorded its bytes (path "vectored"), so only the pinned counters move.</summary>
    internal void AddPinnedBodyCopiedWithHeaders(long bytes, PinnedCopyReason reason) => CountPinnedCopied(bytes, reason);

    private void CountPinnedCopied(long bytes, PinnedCopyReason reason)
    {
        Interlocked.Add(ref _pinnedCopiedBytes, bytes);
        switch (reason)
        {
            case PinnedCopyReason.BelowThreshold:
                Interlocked.Add(ref _pinnedCopiedBelowThresholdBytes, bytes);
                break;
            case PinnedCopyReason.ZeroCopyOff:
                Interlocked.Add(ref _pinnedCopiedAfterAdaptationBytes, bytes);
                break;
            case PinnedCopyReason.NoBufs:
                Interlocked.Add(ref _pinnedCopiedNoBufsBytes, bytes);
                break;
            default:
                break;
        }
    }

    internal void AddNoBufsFallback()
    {
        Interlocked.Increment(ref _zeroCopyNoBufsFallbacks);
        ZeroCopyMetrics.RecordFallback(ZeroCopyMetrics.Reasons.NoBufs);
    }

    internal void AddZeroCopyNotification() => Interlocked.Increment(ref _zeroCopyNotifications);

    internal void AddZeroCopyCompleted(bool copied, long bytes)
    {
        Interlocked.Increment(ref _zeroCopyCompletedSends);
        ZeroCopyMetrics.RecordCompletions(1, bytes, copied);
        if (copied)
        {
            Interlocked.Increment(ref _zeroCopyCopiedCompletions);
            Interlocked.Add(ref _zeroCopyCopiedBytes, bytes);
        }
        else
        {
            Interlocked.Add(ref _zeroCopyUncopiedBytes, bytes);
        }
    }

    /// <summary>
    /// Takes back bytes a completion counted for a partial send whose accepted size was known only
    /// after the completion was drained (rare; see ZeroCopyChannel.AcceptedPart). The meter's
    /// counter is not corrected: a counter only grows.
    /// </summary>
    internal void CorrectZeroCopyCompletedBytes(long delta)
    {
        // Which of the two the completion counted is not known here; uncopied bytes are zero on a
        // socket whose completions say COPIED (loopback), so take it from the non-zero side.
        if (Volatile.Read(ref _zeroCopyCopiedBytes) >= -delta)
        {
            Interlocked.Add(ref _zeroCopyCopiedBytes, delta);
        }
        else
        {
            Interlocked.Add(ref _zeroCopyUncopiedBytes, delta);
        }
    }

    private Platform.Linux.CrossoverPolicy? _crossover;
    private int _fixedCrossover = -1;
    private string _crossoverSource = "portable";

    /// <summary>
    /// The send size from which this socket's pinned sends use MSG_ZEROCOPY now: the fixed
    /// <see cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/>, or the crossover the process has
    /// measured (rounded down to a power of two). -1 when no size does (every pinned send copies: the
    /// portable path, or a machine where zero-copy measured slower at every size).
    /// </summary>
    public long PinnedZeroCopyCrossover => _crossover is { } policy ? policy.CrossoverBytes : _fixedCrossover;

    /// <summary>
    /// Where <see cref="PinnedZeroCopyCrossover"/> comes from: "fixed" (the option was set),
    /// "measured" (the process has timed enough sends of every size in both modes), "measuring" (the
    /// default threshold rules the sizes not measured yet), or "portable" (no kernel path: all copies).
    /// </summary>
    public string PinnedZeroCopyCrossoverSource => _crossover is { } policy ? (policy.IsMeasured ? "measured" : "measuring") : _crossoverSource;

    /// <summary>Called once when the socket is wrapped: which crossover its pinned sends follow.</summary>
    internal void SetCrossover(Platform.Linux.CrossoverPolicy? measured, int fixedThreshold, bool portable)
    {
        if (portable)
        {
            return;
        }

        _crossover = measured;
        _fixedCrossover = fixedThreshold;
        _crossoverSource = "fixed";
    }

    internal void AddZeroCopyAbandoned(long bytes)
    {
        Interlocked.Increment(ref _zeroCopyAbandonedSends);
        Interlocked.Add(ref _pinnedBytesInFlight, -bytes);
        ZeroCopyMetrics.AddBytesInFlight(-bytes);
    }

    internal void AddErrorQueueOther() => Interlocked.Increment(ref _errorQueueOtherEntries);

    internal void AddErrorQueueTruncated() => Interlocked.Increment(ref _errorQueueTruncated);

    internal void AddPinnedBackpressureWait() => Interlocked.Increment(ref _pinnedBackpressureWaits);

    internal void SetZeroCopyOptInRefused()
    {
        if (Interlocked.Exchange(ref _zeroCopyOptInRefused, 1) == 0)
        {
            ZeroCopyMetrics.RecordFallback(ZeroCopyMetrics.Reasons.OptInRefused);
        }
    }

    internal void SetZeroCopyDisabledByCopied()
    {
        if (Interlocked.Exchange(ref _zeroCopyDisabledByCopied, 1) == 0)
        {
            ZeroCopyMetrics.RecordFallback(ZeroCopyMetrics.Reasons.CopiedAdaptation);
        }
    }
}

/// <summary>Why the bytes of a pinned send were copied instead of sent with MSG_ZEROCOPY.</summary>
internal enum PinnedCopyReason
{
    BelowThreshold,
    ZeroCopyOff,
    NoBufs,
    Portable,
}
