using System;
using System.Threading;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using ZeroCopy.Net.Platform.Linux;

namespace ZeroCopy.Net;

/// <summary>
/// The validated, immutable copy of a <see cref="ZeroCopySocketOptions"/> that one socket runs with
/// (aspnetcore's SocketConnectionFactoryOptions copies SocketTransportOptions the same way): every
/// invalid value is refused when the socket is wrapped, always with <see cref="ArgumentOutOfRangeException"/>,
/// and changing the options object afterwards changes nothing.
/// </summary>
internal sealed class SocketSettings
{
    private SocketSettings(ZeroCopySocketOptions options)
    {
        ForcePortable = options.ForcePortable;
        OwnsSocket = options.OwnsSocket;
        DisposeTimeout = options.DisposeTimeout;
        PinnedZeroCopyThreshold = options.PinnedZeroCopyThreshold;
        PinnedZeroCopyThresholdIsFixed = options.PinnedZeroCopyThresholdIsFixed;
        MeasureCrossover = options.MeasurePinnedCrossover && !options.PinnedZeroCopyThresholdIsFixed;
        MaxPinnedBytesInFlight = options.MaxPinnedBytesInFlight;
        BufferPool = options.BufferPool ?? PinnedBufferPool.Shared;
        CopiedCompletionsBeforeFallback = options.CopiedCompletionsBeforeFallback;
        KeepNagle = options.KeepNagle;
        HeaderTuning = options.KeepNagle && ReferenceEquals(options.HeaderTuning, HeaderSendTuning.Default)
            ? HeaderSendTuning.KeepNagle
            : options.HeaderTuning;
        Engine = options.Engine;
    }

    /// <summary>The settings of <c>new ZeroCopySocketOptions()</c>.</summary>
    public static SocketSettings Default { get; } = new(new ZeroCopySocketOptions());

    /// <inheritdoc cref="ZeroCopySocketOptions.ForcePortable"/>
    public bool ForcePortable { get; }

    /// <inheritdoc cref="ZeroCopySocketOptions.OwnsSocket"/>
    public bool OwnsSocket { get; }

    /// <inheritdoc cref="ZeroCopySocketOptions.DisposeTimeout"/>
    public TimeSpan DisposeTimeout { get; }

    /// <inheritdoc cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/>
    public int PinnedZeroCopyThreshold { get; }

    /// <summary>
    /// The fixed-threshold rule every pinned path applies: a send of <paramref name="bytes"/> goes
    /// zero-copy when it is at or above <see cref="PinnedZeroCopyThreshold"/> (an empty send never does).
    /// </summary>
    public bool ReachesZeroCopyThreshold(long bytes) => bytes > 0 && bytes >= PinnedZeroCopyThreshold;

    /// <summary>Whether the user set <see cref="PinnedZeroCopyThreshold"/> (then every path honours it), rather than leaving the default.</summary>
    public bool PinnedZeroCopyThresholdIsFixed { get; }

    /// <summary>Whether the copy/MSG_ZEROCOPY crossover is measured (the threshold was not set).</summary>
    public bool MeasureCrossover { get; }

    /// <inheritdoc cref="ZeroCopySocketOptions.MaxPinnedBytesInFlight"/>
    public long MaxPinnedBytesInFlight { get; }

    /// <summary>The pool this socket sends from (never null).</summary>
    public PinnedBufferPool BufferPool { get; }

    /// <inheritdoc cref="ZeroCopySocketOptions.CopiedCompletionsBeforeFallback"/>
    public int CopiedCompletionsBeforeFallback { get; }

    /// <inheritdoc cref="ZeroCopySocketOptions.KeepNagle"/>
    public bool KeepNagle { get; }

    /// <inheritdoc cref="ZeroCopySocketOptions.Engine"/>
    public SendEngine Engine { get; }

    /// <summary>The header-send knobs (<see cref="ZeroCopySocketOptions.KeepNagle"/> and the header benchmark change them).</summary>
    public HeaderSendTuning HeaderTuning { get; }

    /// <summary>Validates <paramref name="options"/> (null: the defaults) and snapshots it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its documented range; the message names it.</exception>
    public static SocketSettings From(ZeroCopySocketOptions? options)
    {
        if (options is null)
        {
            return Default;
        }

        if (options.DisposeTimeout < TimeSpan.Zero && options.DisposeTimeout != Timeout.InfiniteTimeSpan)
        {
            Refuse(nameof(ZeroCopySocketOptions.DisposeTimeout), "must not be negative (Timeout.InfiniteTimeSpan waits without a limit)", options.DisposeTimeout);
        }

        if (options.PinnedZeroCopyThreshold < 0)
        {
            Refuse(nameof(ZeroCopySocketOptions.PinnedZeroCopyThreshold), "must not be negative (0 sends everything with MSG_ZEROCOPY)", options.PinnedZeroCopyThreshold);
        }

        if (options.MaxPinnedBytesInFlight <= 0)
        {
            Refuse(nameof(ZeroCopySocketOptions.MaxPinnedBytesInFlight), "must be positive", options.MaxPinnedBytesInFlight);
        }

        if (options.CopiedCompletionsBeforeFallback < 0)
        {
            Refuse(nameof(ZeroCopySocketOptions.CopiedCompletionsBeforeFallback), "must not be negative (0 never switches to copies)", options.CopiedCompletionsBeforeFallback);
        }

        if (options.Engine is not (SendEngine.Auto or SendEngine.Epoll or SendEngine.IoUring))
        {
            Refuse(nameof(ZeroCopySocketOptions.Engine), "must be Auto, Epoll or IoUring", options.Engine);
        }

        return new SocketSettings(options);
    }

    private static void Refuse(string name, string rule, object value)
        => ThrowHelper.ThrowArgumentOutOfRange("options", $"ZeroCopySocketOptions.{name} {rule}; it is {value}.");
}
