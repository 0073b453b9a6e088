using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocketOptions
{
    private int _pinnedZeroCopyThreshold = DefaultPinnedZeroCopyThreshold;

    /// <summary>The default of <see cref="PinnedZeroCopyThreshold"/>: 32 KiB (see docs/benchmarks.md, "SendPinnedAsync (issue 3)").</summary>
    public const int DefaultPinnedZeroCopyThreshold = 32 * 1024;

    /// <summary>
    /// SendPinnedAsync calls smaller than this many bytes are sent as plain copies (their buffers go
    /// back to the pool as soon as the call returns); larger ones use MSG_ZEROCOPY. Default
    /// <see cref="DefaultPinnedZeroCopyThreshold"/>; 0 sends everything with MSG_ZEROCOPY. The gain of
    /// zero-copy is a property of the CPU (on one Intel Xeon VM it won from 8 KiB, on an AMD EPYC VM
    /// only from 32 KiB): see <see cref="MeasurePinnedCrossover"/> for a crossover measured at run time.
    /// Left unset, datagram bursts (<see cref="ZeroCopySocket.SendPinnedDatagramsAsync"/>) on the io_uring
    /// engine use 8 KiB instead (zero-copy from registered memory in a batch pays from smaller sizes), and
    /// <see cref="SendEngine.Auto"/> bursts measure; once set, the value holds on every path.
    /// </summary>
    public int PinnedZeroCopyThreshold
    {
        get => _pinnedZeroCopyThreshold;
        set
        {
            _pinnedZeroCopyThreshold = value;
            PinnedZeroCopyThresholdIsFixed = true;
        }
    }

    /// <summary>
    /// Experimental, off by default: measure the copy/MSG_ZEROCOPY crossover on this machine instead of
    /// using <see cref="PinnedZeroCopyThreshold"/> (which must then be left unset). One pinned send in 64
    /// is timed on the sending thread's CPU clock, per size and mode, the other mode in short runs of
    /// consecutive sends (1.6% of sends), and each size goes the cheaper way once both modes have enough
    /// samples (docs/design.md, "The crossover"). Off by default: on the AMD EPYC VM where it was
    /// measured its choices were not yet reliably within 5% of the better fixed choice at every size
    /// (docs/benchmarks.md, run 7).
    /// </summary>
    public bool MeasurePinnedCrossover { get; set; }

    /// <summary>Whether <see cref="PinnedZeroCopyThreshold"/> was set (a fixed crossover) rather than left to the measurement.</summary>
    internal bool PinnedZeroCopyThresholdIsFixed { get; private set; }

    /// <summary>
    /// The most bytes one socket may have sent with MSG_ZEROCOPY and not yet released by the kernel.
    /// A SendPinnedAsync call that would exceed it waits (asynchronously, cancellably) for
    /// completions first. It bounds the pinned memory a slow peer can hold. Default 4 MiB.
    /// </summary>
    public long MaxPinnedBytesInFlight { get; set; } = 4L * 1024 * 1024;

    /// <summary>
    /// The pool whose buffers this socket sends (<see cref="ZeroCopySocket.RentBuffer"/> rents from it);
    /// buffers of any other pool are refused. <see langword="null"/> (default) means <see cref="PinnedBufferPool.Shared"/>.
    /// </summary>
    public PinnedBufferPool? BufferPool { get; set; }

    /// <summary>
    /// After this many consecutive sends whose completions said the kernel copied anyway
    /// (SO_EE_CODE_ZEROCOPY_COPIED: loopback, some devices), the socket switches to plain sends for
    /// good. Default 64; 0 never switches.
    /// </summary>
    public int CopiedCompletionsBeforeFallback { get; set; } = 64;
}
