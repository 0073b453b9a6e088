using System;
using System.Globalization;
using System.Text;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopyStatistics
{
    /// <summary>
    /// Every counter read once, into a value that does not change: for printing (its
    /// <see cref="ZeroCopyStatisticsSnapshot.ToString"/> is readable), logging, or subtracting two to
    /// see what one operation did.
    /// </summary>
    /// <remarks>
    /// Each counter is read atomically, but not all of them at one instant: a send in progress on
    /// another thread may be counted in one figure and not yet in another.
    /// </remarks>
    /// <returns>The counters as they are now.</returns>
    public ZeroCopyStatisticsSnapshot Snapshot() => new()
        {
            SendFileCalls = SendFileCalls,
            KernelSendFileBytes = KernelSendFileBytes,
            KernelSendFileSyscalls = KernelSendFileSyscalls,
            PortableCopiedBytes = PortableCopiedBytes,
            WouldBlockWaits = WouldBlockWaits,
            SendWithHeadersCalls = SendWithHeadersCalls,
            VectoredSendBytes = VectoredSendBytes,
            VectoredSendSyscalls = VectoredSendSyscalls,
            SmallFileCopiedBytes = SmallFileCopiedBytes,
            CorkedSends = CorkedSends,
            HeaderGatherCopiedBytes = HeaderGatherCopiedBytes,
            PinnedSendCalls = PinnedSendCalls,
            PinnedZeroCopyBytes = PinnedZeroCopyBytes,
            PinnedZeroCopySyscalls = PinnedZeroCopySyscalls,
            PinnedCopiedBytes = PinnedCopiedBytes,
            PinnedCopiedBelowThresholdBytes = PinnedCopiedBelowThresholdBytes,
            PinnedCopiedAfterAdaptationBytes = PinnedCopiedAfterAdaptationBytes,
            PinnedCopiedNoBufsBytes = PinnedCopiedNoBufsBytes,
            ZeroCopyNoBufsFallbacks = ZeroCopyNoBufsFallbacks,
            ZeroCopyCompletedSends = ZeroCopyCompletedSends,
            ZeroCopyCopiedCompletions = ZeroCopyCopiedCompletions,
            ZeroCopyCopiedBytes = ZeroCopyCopiedBytes,
            ZeroCopyUncopiedBytes = ZeroCopyUncopiedBytes,
            ZeroCopyNotifications = ZeroCopyNotifications,
            ErrorQueueOtherEntries = ErrorQueueOtherEntries,
            ErrorQueueTruncated = ErrorQueueTruncated,
            ZeroCopyAbandonedSends = ZeroCopyAbandonedSends,
            PinnedBackpressureWaits = PinnedBackpressureWaits,
            PinnedBytesInFlight = PinnedBytesInFlight,
            UsesPortableFallback = UsesPortableFallback,
            PinnedZeroCopyCrossover = PinnedZeroCopyCrossover,
            PinnedZeroCopyCrossoverSource = PinnedZeroCopyCrossoverSource,
            ZeroCopyOptInRefused = ZeroCopyOptInRefused,
            ZeroCopyDisabledByCopiedCompletions = ZeroCopyDisabledByCopiedCompletions,
        };
}

/// <summary>
/// The counters of a <see cref="ZeroCopyStatistics"/> at one moment (<see cref="ZeroCopyStatistics.Snapshot"/>).
/// <see cref="ToString"/> prints them grouped by path, one line each, with what each figure means.
/// </summary>
public readonly record struct ZeroCopyStatisticsSnapshot
{
    /// <inheritdoc cref="ZeroCopyStatistics.SendFileCalls"/>
    public long SendFileCalls { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.KernelSendFileBytes"/>
    public long KernelSendFileBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.KernelSendFileSyscalls"/>
    public long KernelSendFileSyscalls { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PortableCopiedBytes"/>
    public long PortableCopiedBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.WouldBlockWaits"/>
    public long WouldBlockWaits { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.SendWithHeadersCalls"/>
    public long SendWithHeadersCalls { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.VectoredSendBytes"/>
    public long VectoredSendBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.VectoredSendSyscalls"/>
    public long VectoredSendSyscalls { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.SmallFileCopiedBytes"/>
    public long SmallFileCopiedBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.CorkedSends"/>
    public long CorkedSends { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.HeaderGatherCopiedBytes"/>
    public long HeaderGatherCopiedBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedSendCalls"/>
    public long PinnedSendCalls { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedZeroCopyBytes"/>
    public long PinnedZeroCopyBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedZeroCopySyscalls"/>
    public long PinnedZeroCopySyscalls { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedCopiedBytes"/>
    public long PinnedCopiedBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedCopiedBelowThresholdBytes"/>
    public long PinnedCopiedBelowThresholdBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedCopiedAfterAdaptationBytes"/>
    public long PinnedCopiedAfterAdaptationBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedCopiedNoBufsBytes"/>
    public long PinnedCopiedNoBufsBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyNoBufsFallbacks"/>
    public long ZeroCopyNoBufsFallbacks { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyCompletedSends"/>
    public long ZeroCopyCompletedSends { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyCopiedCompletions"/>
    public long ZeroCopyCopiedCompletions { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyCopiedBytes"/>
    public long ZeroCopyCopiedBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyUncopiedBytes"/>
    public long ZeroCopyUncopiedBytes { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyNotifications"/>
    public long ZeroCopyNotifications { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ErrorQueueOtherEntries"/>
    public long ErrorQueueOtherEntries { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ErrorQueueTruncated"/>
    public long ErrorQueueTruncated { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyAbandonedSends"/>
    public long ZeroCopyAbandonedSends { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedBackpressureWaits"/>
    public long PinnedBackpressureWaits { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedBytesInFlight"/>
    public long PinnedBytesInFlight { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedZeroCopyCrossover"/>
    public long PinnedZeroCopyCrossover { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.PinnedZeroCopyCrossoverSource"/>
    public string PinnedZeroCopyCrossoverSource { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.UsesPortableFallback"/>
    public bool UsesPortableFallback { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyOptInRefused"/>
    public bool ZeroCopyOptInRefused { get; init; }

    /// <inheritdoc cref="ZeroCopyStatistics.ZeroCopyDisabledByCopiedCompletions"/>
    public bool ZeroCopyDisabledByCopiedCompletions { get; init; }

    /// <summary>
    /// The figures grouped by path, one line per group: file sends (sendfile(2) and portable-path
    /// copies), header sends, pinned sends and their completions, and the socket's flags. "Copied" is
    /// always said with what copied and why, so a copy is never mistaken for another one.
    /// </summary>
    /// <returns>Several lines, invariant culture, no trailing newline.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        Line(text, $"SendFileAsync: {SendFileCalls:N0} calls; {KernelSendFileBytes:N0} bytes by sendfile(2) in {KernelSendFileSyscalls:N0} calls; {PortableCopiedBytes:N0} bytes copied by the portable path; {WouldBlockWaits:N0} waits for a full socket buffer (EAGAIN)");
        Line(text, $"SendWithHeadersAsync: {SendWithHeadersCalls:N0} calls; {VectoredSendBytes:N0} bytes from memory (headers, trailers, memory and small file bodies) in {VectoredSendSyscalls:N0} sendmsg/send calls, of which small file bodies read into memory {SmallFileCopiedBytes:N0} and pieces gathered into one buffer {HeaderGatherCopiedBytes:N0}; {CorkedSends:N0} corked sends");
        Line(text, $"SendPinnedAsync: {PinnedSendCalls:N0} calls; {PinnedZeroCopyBytes:N0} bytes by sendmsg(MSG_ZEROCOPY) in {PinnedZeroCopySyscalls:N0} calls; {PinnedCopiedBytes:N0} bytes sent as plain copies (below the threshold {PinnedCopiedBelowThresholdBytes:N0}, after the socket switched to copies {PinnedCopiedAfterAdaptationBytes:N0}, after ENOBUFS {PinnedCopiedNoBufsBytes:N0} in {ZeroCopyNoBufsFallbacks:N0} fallbacks); {PinnedBackpressureWaits:N0} waits for bytes in flight");
        Line(text, $"MSG_ZEROCOPY completions: {ZeroCopyCompletedSends:N0} sends completed in {ZeroCopyNotifications:N0} notifications; the kernel copied {ZeroCopyCopiedCompletions:N0} of them ({ZeroCopyCopiedBytes:N0} bytes) and sent {ZeroCopyUncopiedBytes:N0} bytes without a copy; {ZeroCopyAbandonedSends:N0} abandoned at disposal; {PinnedBytesInFlight:N0} bytes still in flight; error queue: {ErrorQueueOtherEntries:N0} other entries, {ErrorQueueTruncated:N0} truncated");
        Line(text, $"Crossover: pinned sends of {PinnedZeroCopyCrossover:N0} bytes and more use MSG_ZEROCOPY ({PinnedZeroCopyCrossoverSource}; -1: none)");
        Line(text, $"Flags: portable fallback {YesNo(UsesPortableFallback)}; MSG_ZEROCOPY opt-in refused {YesNo(ZeroCopyOptInRefused)}; switched to copies after copied completions {YesNo(ZeroCopyDisabledByCopiedCompletions)}");
        return text.ToString(0, text.Length - 1);
    }

    private static void Line(StringBuilder text, FormattableString line) => text.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static string YesNo(bool value) => value ? "yes" : "no";
}
