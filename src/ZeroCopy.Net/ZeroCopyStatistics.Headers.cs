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

    /// <summary>Calls to a SendWithHeadersAsync overload that completed successfully.</summary>
    public long SendWithHeadersCalls => Volatile.Read(ref _sendWithHeadersCalls);

    /// <summary>Bytes handed to the kernel by vectored sendmsg (header and trailer pieces, memory bodies, small file bodies). The kernel copies these into the socket buffer.</summary>
    public long VectoredSendBytes => Volatile.Read(ref _vectoredSendBytes);

    /// <summary>sendmsg system calls with an iovec that moved at least one byte.</summary>
    public long VectoredSendSyscalls => Volatile.Read(ref _vectoredSendSyscalls);

    /// <summary>
    /// File body bytes that were read into a pooled buffer and sent in the same sendmsg as the headers
    /// instead of going through sendfile(2), because the body was at or under the small-body threshold
    /// (one syscall for the whole response beats a second one for a few kilobytes). Also counted in
    /// <see cref="VectoredSendBytes"/>.
    /// </summary>
    public long SmallFileCopiedBytes => Volatile.Read(ref _smallFileCopiedBytes);

    /// <summary>Sends that set TCP_CORK (a file body followed by trailers); the others coalesce with MSG_MORE alone.</summary>
    public long CorkedSends => Volatile.Read(ref _corkedSends);

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

    internal void AddCorkedSend() => Interlocked.Increment(ref _corkedSends);
}
