using System.Threading;
using ZeroCopy.Net.Diagnostics;

namespace ZeroCopy.Net;

/// <summary>
/// Live counters for one <see cref="ZeroCopySocket"/>: how many bytes went through which path.
/// Nothing here is hidden: every byte the library copied instead of sending zero-copy is counted
/// as copied, with the reason.
/// </summary>
/// <remarks>Counters are updated with interlocked adds and may be read from any thread.</remarks>
public sealed partial class ZeroCopyStatistics
{
    private long _sendFileCalls;
    private long _kernelSendFileBytes;
    private long _kernelSendFileSyscalls;
    private long _portableCopiedBytes;
    private long _wouldBlockWaits;

    /// <summary>Calls to a SendFileAsync overload that completed successfully.</summary>
    public long SendFileCalls => Volatile.Read(ref _sendFileCalls);

    /// <summary>Bytes that went from a file to the socket through the kernel (sendfile(2)), with no user-space copy.</summary>
    public long KernelSendFileBytes => Volatile.Read(ref _kernelSendFileBytes);

    /// <summary>sendfile(2) system calls that moved at least one byte.</summary>
    public long KernelSendFileSyscalls => Volatile.Read(ref _kernelSendFileSyscalls);

    /// <summary>Bytes the portable path copied through a user-space buffer (forced, or no kernel path on this OS).</summary>
    public long PortableCopiedBytes => Volatile.Read(ref _portableCopiedBytes);

    /// <summary>Times a send found the socket buffer full (EAGAIN) and waited for the reactor to report writability.</summary>
    public long WouldBlockWaits => Volatile.Read(ref _wouldBlockWaits);

    internal void AddSendFileCall() => Interlocked.Increment(ref _sendFileCalls);

    internal void AddKernelSendFile(long bytes)
    {
        Interlocked.Add(ref _kernelSendFileBytes, bytes);
        Interlocked.Increment(ref _kernelSendFileSyscalls);
        ZeroCopyMetrics.RecordSend(ZeroCopyMetrics.Paths.KernelSendFile, bytes);
    }

    internal void AddPortableCopied(long bytes)
    {
        Interlocked.Add(ref _portableCopiedBytes, bytes);
        ZeroCopyMetrics.RecordSend(ZeroCopyMetrics.Paths.Portable, bytes);
    }

    internal void AddWouldBlockWait() => Interlocked.Increment(ref _wouldBlockWaits);
}
