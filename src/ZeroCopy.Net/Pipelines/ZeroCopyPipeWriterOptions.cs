using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net.Pipelines;

/// <summary>Options of a <see cref="ZeroCopyPipeWriter"/>.</summary>
public sealed class ZeroCopyPipeWriterOptions
{
    /// <summary>The default <see cref="MinimumSegmentSize"/>: 16 KiB.</summary>
    public const int DefaultMinimumSegmentSize = 16 * 1024;

    /// <summary>
    /// The smallest pinned buffer the writer rents for <see cref="System.IO.Pipelines.PipeWriter.GetMemory(int)"/>,
    /// 1 to <see cref="PinnedBufferPool.MaxBufferSize"/> (rounded up to the pool's size classes: powers of two from 4 KiB to 256 KiB).
    /// Larger segments mean fewer iovecs per flush; each unflushed or in-flight segment holds its whole buffer.
    /// </summary>
    public int MinimumSegmentSize { get; set; } = DefaultMinimumSegmentSize;

    /// <summary>
    /// <see langword="true"/> to leave the <see cref="ZeroCopySocket"/> open when the writer completes;
    /// <see langword="false"/> (the default) to dispose it once the remaining bytes are flushed.
    /// </summary>
    public bool LeaveOpen { get; set; }
}
