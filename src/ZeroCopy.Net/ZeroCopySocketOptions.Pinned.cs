using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocketOptions
{
    /// <summary>The default of <see cref="PinnedZeroCopyThreshold"/>: 32 KiB (see docs/benchmarks.md, "SendPinnedAsync (issue 3)").</summary>
    public const int DefaultPinnedZeroCopyThreshold = 32 * 1024;

    /// <summary>
    /// SendPinnedAsync calls smaller than this many bytes are sent as plain copies (their buffers
    /// go back to the pool as soon as the call returns); larger ones use MSG_ZEROCOPY. Pinning pages
    /// and reading a completion cost more than copying a small send. Measured on this project's rig
    /// (UDP, a 512 MiB cold working set, packets dropped at the device): MSG_ZEROCOPY through this
    /// library was 0.77-0.95x the BCL's copying send at 16 KiB, 0.94-1.14x at 32 KiB and 1.40-1.58x
    /// at 64 KiB; raw C crosses over at the same place. Default
    /// <see cref="DefaultPinnedZeroCopyThreshold"/>; 0 sends everything with MSG_ZEROCOPY.
    /// </summary>
    public int PinnedZeroCopyThreshold { get; set; } = DefaultPinnedZeroCopyThreshold;

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
