using System;
using System.Net.Sockets;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>Linux: sendfile(2), MSG_ZEROCOPY, TCP_CORK/MSG_MORE and sendmsg through libc, readiness through <see cref="EpollReactor"/>.</summary>
internal sealed class LinuxSendPlatform : SendPlatform
{
    private LinuxSendPlatform()
    {
    }

    public override string Name => "linux";

    public override ZeroCopyCapabilities Capabilities =>
        ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.AsyncReadiness
        | ZeroCopyCapabilities.MsgZeroCopy | ZeroCopyCapabilities.VectoredSend;

    /// <summary>
    /// Probes, once per process, that the imports resolve and behave: each is called with an
    /// invalid descriptor and must fail with EBADF. Returns null (and a reason) when the Linux
    /// path cannot be used, so the process falls back to the portable path.
    /// </summary>
    public static unsafe LinuxSendPlatform? TryCreate(out string? reason)
    {
        if (IntPtr.Size != 8)
        {
            // sendfile's off_t and the struct layouts in Interop are the 64-bit ABI's.
            reason = "the Linux path supports 64-bit processes only";
            return null;
        }

        try
        {
            if (sendfile(-1, -1, null, 0) != -1 || GetLastErrno() != Errno.EBADF)
            {
                reason = "sendfile(2) probe did not fail with EBADF as expected";
                return null;
            }

            statx_t st;
            byte empty = 0;
            if (statx(-1, &empty, AT_EMPTY_PATH, STATX_SIZE, &st) != -1 || GetLastErrno() != Errno.EBADF)
            {
                reason = "statx(2) probe did not fail with EBADF as expected (glibc 2.28+ is needed)";
                return null;
            }

            _ = EpollReactor.Shared;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            reason = $"libc probe failed: {ex.Message}";
            return null;
        }

        reason = null;
        return new LinuxSendPlatform();
    }

    /// <summary>
    /// The epoll engine, or the io_uring one when the options ask for it and the process's probe
    /// found it usable (<see cref="IoUring.IoUringEngine.FallbackReason"/> otherwise). Auto is epoll,
    /// except that an Auto datagram socket's bursts (SendPinnedDatagramsAsync) go on the engine
    /// measured cheaper on this machine (<see cref="IoUring.BurstEngineChoice"/>); the ring is not
    /// touched until such a burst needs it.
    /// </summary>
    public override SocketSender CreateSender(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics)
    {
        if (settings.Engine == SendEngine.IoUring && IoUring.IoUringEngine.Shared is IoUring.IoUringEngine engine)
        {
            return new IoUring.IoUringSocketSender(socket, settings, statistics, engine);
        }

        return settings.Engine == SendEngine.Auto && socket.SocketType == SocketType.Dgram
            ? IoUring.IoUringSocketSender.CreateAuto(socket, settings, statistics)
            : new LinuxSocketSender(socket, settings, statistics);
    }
}
