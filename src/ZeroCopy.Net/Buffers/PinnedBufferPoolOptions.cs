using System;

namespace ZeroCopy.Net.Buffers;

/// <summary>Options for a <see cref="PinnedBufferPool"/>. Read once, when the pool is created.</summary>
public sealed class PinnedBufferPoolOptions
{
    /// <summary>
    /// The most native memory the pool maps, in bytes, over all size classes (rounded down to whole
    /// 2 MiB slabs, at least one). Rented, in-flight and free buffers all count; quarantined buffers
    /// were given back to the OS and do not. Default 64 MiB.
    /// </summary>
    public long MaxTotalBytes { get; set; } = 64L * 1024 * 1024;
}
