using ZeroCopy.Net.Pipelines;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopySocket
{
    /// <summary>
    /// Creates a <see cref="System.IO.Pipelines.PipeWriter"/> that writes into pinned buffers from <see cref="BufferPool"/>
    /// and flushes them with <see cref="SendPinnedAsync(System.ReadOnlySpan{Buffers.PinnedBuffer}, System.ReadOnlySpan{int}, System.Threading.CancellationToken)"/>.
    /// </summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults (16 KiB segments, the writer owns this socket).</param>
    /// <returns>The writer. Only one writer (or other sender) may send on a socket at a time.</returns>
    /// <exception cref="System.ArgumentOutOfRangeException"><see cref="ZeroCopyPipeWriterOptions.MinimumSegmentSize"/> is out of range.</exception>
    public ZeroCopyPipeWriter CreatePipeWriter(ZeroCopyPipeWriterOptions? options = null) => ZeroCopyPipeWriter.Create(this, options);
}
