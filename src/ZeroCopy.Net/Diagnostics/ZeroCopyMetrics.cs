using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;

namespace ZeroCopy.Net.Diagnostics;

/// <summary>
/// The library's <see cref="Meter"/>: bytes and sends by path, completions, bytes in flight, time
/// from send to release, and fallbacks with their reason. Every increment of
/// <see cref="ZeroCopyStatistics"/> records here too, so the meter and the per-socket statistics
/// always agree. Names are documented in docs/metrics.md.
/// </summary>
internal static class ZeroCopyMetrics
{
    /// <summary>The meter's name: listen to it with a MeterListener, dotnet-counters or OpenTelemetry.</summary>
    public const string MeterName = "ZeroCopy.Net";

    private static readonly Meter s_meter = new(MeterName, typeof(ZeroCopyMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> s_bytes = s_meter.CreateCounter<long>(
        "zerocopy.bytes", unit: "By", description: "Bytes handed to the kernel, by path.");

    private static readonly Counter<long> s_sends = s_meter.CreateCounter<long>(
        "zerocopy.sends", unit: "{send}", description: "Send system calls that moved bytes, by path.");

    private static readonly Counter<long> s_completions = s_meter.CreateCounter<long>(
        "zerocopy.completions", unit: "{send}", description: "MSG_ZEROCOPY sends released by an error-queue completion, by whether the kernel copied.");

    private static readonly Counter<long> s_completedBytes = s_meter.CreateCounter<long>(
        "zerocopy.completed.bytes", unit: "By", description: "Bytes of MSG_ZEROCOPY sends released by a completion, by whether the kernel copied them anyway.");

    private static readonly Counter<long> s_fallbacks = s_meter.CreateCounter<long>(
        "zerocopy.fallbacks", unit: "{event}", description: "Times a zero-copy path was not used, by reason.");

    private static readonly Histogram<double> s_releaseTime = s_meter.CreateHistogram<double>(
        "zerocopy.release.duration", unit: "s", description: "Time from a MSG_ZEROCOPY send to the completion that released its buffer.");

    private static long s_bytesInFlight;

    static ZeroCopyMetrics()
    {
        s_meter.CreateObservableUpDownCounter(
            "zerocopy.bytes_in_flight",
            static () => Volatile.Read(ref s_bytesInFlight),
            unit: "By",
            description: "Bytes sent with MSG_ZEROCOPY whose completion has not arrived yet, in this process.");
        s_meter.CreateObservableGauge(
            "zerocopy.pinned.crossover",
            static () => new Measurement<long>(
                Platform.Linux.CrossoverPolicy.Process.CrossoverBytes,
                new KeyValuePair<string, object?>("source", Platform.Linux.CrossoverPolicy.Process.IsMeasured ? "measured" : "measuring")),
            unit: "By",
            description: "The pinned send size from which sockets that measure their crossover use MSG_ZEROCOPY (-1: none), and whether every size is measured yet.");
    }

    /// <summary>Tag values of zerocopy.bytes / zerocopy.sends "path".</summary>
    public static class Paths
    {
        /// <summary>sendfile(2): page cache to socket, no user-space copy.</summary>
        public const string KernelSendFile = "sendfile";

        /// <summary>sendmsg(MSG_ZEROCOPY). Whether the kernel copied anyway is told later, per send, by zerocopy.completions{copied}.</summary>
        public const string ZeroCopy = "msg_zerocopy";

        /// <summary>SendWithHeadersAsync's vectored sendmsg of headers (and of a small body read into memory).</summary>
        public const string Vectored = "vectored";

        /// <summary>Plain send of user memory (below the threshold, or zero-copy switched off for the socket).</summary>
        public const string Copy = "copy";

        /// <summary>The portable path: a user-space copy through the BCL Socket.</summary>
        public const string Portable = "portable";
    }

    /// <summary>Tag values of zerocopy.fallbacks "reason".</summary>
    public static class Reasons
    {
        /// <summary>sendmsg(MSG_ZEROCOPY) failed with ENOBUFS (optmem_max or RLIMIT_MEMLOCK): those bytes were copied.</summary>
        public const string NoBufs = "enobufs";

        /// <summary>Completions kept saying COPIED: the socket switched its pinned sends to plain copies (once per socket).</summary>
        public const string CopiedAdaptation = "copied_adaptation";

        /// <summary>setsockopt(SO_ZEROCOPY) was refused (kernel before 4.14, or not TCP/UDP): pinned sends copy (once per socket).</summary>
        public const string OptInRefused = "so_zerocopy_refused";

        /// <summary>ZeroCopySocketOptions.ForcePortable: the socket uses the portable copying path (once per socket).</summary>
        public const string ForcedPortable = "forced_portable";

        /// <summary>The process has no kernel path (not Linux, or the probe failed): the socket uses the portable path (once per socket).</summary>
        public const string PlatformPortable = "platform_portable";
    }

    private static readonly Counter<long> s_smallFileCopied = s_meter.CreateCounter<long>(
        "zerocopy.small_file_copied", unit: "By", description: "File bytes SendWithHeadersAsync read into memory and sent with the headers instead of with sendfile (bodies below the small-body threshold).");

    public static void RecordSmallFileCopied(long bytes) => s_smallFileCopied.Add(bytes);

    private static readonly Counter<long> s_headerGatherCopied = s_meter.CreateCounter<long>(
        "zerocopy.header_gather_copied", unit: "By", description: "Header, trailer and memory-body bytes copied into one buffer before the kernel call (Windows TransmitFile's one head and one tail; small responses sent with one send(2) on Linux).");

    /// <summary>Records header, trailer and memory-body bytes gathered into one buffer (the same increment as <see cref="ZeroCopyStatistics.HeaderGatherCopiedBytes"/>).</summary>
    public static void RecordHeaderGatherCopied(long bytes) => s_headerGatherCopied.Add(bytes);

    public static void RecordSend(string path, long bytes)
    {
        var tag = new KeyValuePair<string, object?>("path", path);
        s_bytes.Add(bytes, tag);
        s_sends.Add(1, tag);
    }

    public static void RecordCompletions(long sends, long bytes, bool copied)
    {
        var tag = new KeyValuePair<string, object?>("copied", copied ? "true" : "false");
        s_completions.Add(sends, tag);
        s_completedBytes.Add(bytes, tag);
    }

    public static void RecordFallback(string reason) => s_fallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Whether anyone listens to zerocopy.release.duration (sends skip the clock read otherwise).</summary>
    public static bool ReleaseTimeEnabled => s_releaseTime.Enabled;

    public static void RecordReleaseTime(double seconds) => s_releaseTime.Record(seconds);

    public static void AddBytesInFlight(long delta) => Interlocked.Add(ref s_bytesInFlight, delta);
}
