using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocketOptions
{
    /// <summary>The default of <see cref="PinnedZeroCopyThreshold"/>: 48 KiB (see docs/benchmarks.md, "SendPinnedAsync (issue 3)").</summary>
    public const int DefaultPinnedZeroCopyThreshold = 32 * 1024;

    /// <summary>
    /// SendPinnedAsync calls smaller than this many bytes are sent as plain copies (their buffers
    /// go back to the pool as soon as the call returns); larger ones use MSG_ZEROCOPY. Pinning pages
    /// and reading a completion cost more than copying a small send. Raw C on this project's rig
    /// crosses over between 8 KiB (zero-copy 5% slower) and 16 KiB (15% faster); through this
    /// library, with a 512 MiB cold working set, zero-copy measured 0.82x the BCL's copy at 32 KiB
    /// and 1.72x at 64 KiB, so the default sits between them at 48 KiB. Default
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
