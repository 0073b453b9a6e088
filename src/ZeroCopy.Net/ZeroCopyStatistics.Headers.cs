using System.Threading;
using ZeroCopy.Net.Diagnostics;

namespace ZeroCopy.Net;

public sealed partial class ZeroCopyStatistics
{
    private long _sendWithHeadersCalls;
    private long _vectoredSendBytes;
    private long _vectoredSendSyscalls;
    private long _smallFileCopiedBytes;
    private long _corkedSends;
    private long _headerGatherCopiedBytes;

    /// <summary>Calls to a SendWithHeadersAsync overload that completed successfully.</summary>
    public long SendWithHeadersCalls => Volatile.Read(ref _sendWithHeadersCalls);

    /// <summary>
    /// Bytes handed to the kernel from memory rather than from a file: on Linux a vectored sendmsg (header and
    /// trailer pieces, memory bodies), or one send(2) for a response whose body is at most 16 KiB (head and
    /// body gathered into one buffer, small file bodies included), the header and trailer of a TransmitFile call on
    /// Windows, the sf_hdtr header and trailer iovecs (or writev) of a BSD sendfile. The kernel copies these into the socket buffer.
    /// </summary>
    public long VectoredSendBytes => Volatile.Read(ref _vectoredSendBytes);

    /// <summary>System calls that moved header, trailer or memory bytes (sendmsg, send, writev, or a TransmitFile / sendfile carrying them) with at least one byte.</summary>
    public long VectoredSendSyscalls => Volatile.Read(ref _vectoredSendSyscalls);

    /// <summary>
    /// File body bytes that were read into a pooled buffer and sent in the same sendmsg as the headers
    /// instead of going through sendfile(2), because the body was at or under the small-body threshold
    /// (one syscall for the whole response beats a second one for a few kilobytes). Also counted in
    /// <see cref="VectoredSendBytes"/>.
    /// </summary>
    public long SmallFileCopiedBytes => Volatile.Read(ref _smallFileCopiedBytes);

    /// <summary>Sends that set TCP_CORK (Linux: a file body followed by trailers; the others coalesce with MSG_MORE alone) or TCP_NOPUSH (FreeBSD, macOS: a file body with headers or trailers).</summary>
    public long CorkedSends => Volatile.Read(ref _corkedSends);

    /// <summary>
    /// Bytes of the caller's header, trailer and memory-body pieces copied into one buffer before the kernel
    /// call: on Windows because TransmitFile takes one head and one tail (TRANSMIT_FILE_BUFFERS); on Linux
    /// for small responses (a body of at most 16 KiB, file or memory), which go out as one contiguous
    /// send(2) instead of a vectored sendmsg. A user-space copy, counted so it is not hidden; also counted
    /// in <see cref="VectoredSendBytes"/> once sent. A small file body's own bytes are in
    /// <see cref="SmallFileCopiedBytes"/> instead. Always 0 on BSD, whose header paths take the caller's
    /// pieces as an iovec.
    /// </summary>
    public long HeaderGatherCopiedBytes => Volatile.Read(ref _headerGatherCopiedBytes);

    internal void AddSendWithHeadersCall() => Interlocked.Increment(ref _sendWithHeadersCalls);

    internal void AddVectoredSend(long bytes)
    {
        Interlocked.Add(ref _vectoredSendBytes, bytes);
        Interlocked.Increment(ref _vectoredSendSyscalls);
        ZeroCopyMetrics.RecordSend(ZeroCopyMetrics.Paths.Vectored, bytes);
    }

    internal void AddSmallFileCopied(long bytes)
    {
        Interlocked.Add(ref _smallFileCopiedBytes, bytes);
        ZeroCopyMetrics.RecordSmallFileCopied(bytes);
    }

    internal void AddHeaderGatherCopied(long bytes)
    {
        Interlocked.Add(ref _headerGatherCopiedBytes, bytes);
        ZeroCopyMetrics.RecordHeaderGatherCopied(bytes);
    }

    internal void AddCorkedSend() => Interlocked.Increment(ref _corkedSends);
}
