using System;
using System.Net.Sockets;
using System.Runtime.Versioning;
using static ZeroCopy.Net.Interop.Bsd;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>
/// FreeBSD and macOS: sendfile(2) in each OS's form with an sf_hdtr for headers and trailers,
/// TCP_NOPUSH as the cork, readiness through <see cref="KqueueReactor"/> (<see cref="BsdSocketSender"/>).
/// Memory bodies and pinned sends take the portable path, counted as copied.
/// </summary>
[SupportedOSPlatform("freebsd")]
[SupportedOSPlatform("macos")]
internal sealed class BsdSendPlatform : SendPlatform
{
    private BsdSendPlatform()
    {
    }

    /// <inheritdoc/>
    public override string Name => BsdLibc.IsMacOS ? "macos" : "freebsd";

    /// <inheritdoc/>
    public override ZeroCopyCapabilities Capabilities =>
        ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.Cork | ZeroCopyCapabilities.AsyncReadiness;

    /// <summary>
    /// Probes, once per process, that the imports resolve and behave: each is called with an invalid
    /// descriptor and must fail with EBADF, and the kqueue reactor must start. Returns null (and a
    /// reason) when the path cannot be used, so the process falls back to the portable path.
    /// </summary>
    public static unsafe BsdSendPlatform? TryCreate(out string? reason)
    {
        if (IntPtr.Size != 8)
        {
            // off_t and the struct layouts in Interop/Bsd are the 64-bit ABI's.
            reason = "the BSD sendfile path supports 64-bit processes only";
            return null;
        }

        try
        {
            _ = BsdLibc.Sendfile(-1, -1, 0, 1, null, 0, out Errno errno);
            if (errno != Errno.EBADF)
            {
                reason = $"sendfile(2) probe did not fail with EBADF as expected ({errno})";
                return null;
            }

            iovec iov = default;
            if (BsdLibc.Writev(-1, &iov, 1, out errno) != -1 || errno != Errno.EBADF)
            {
                reason = $"writev(2) probe did not fail with EBADF as expected ({errno})";
                return null;
            }

            if ((errno = BsdLibc.SetTcpOption(-1, TCP_NOPUSH, 0)) != Errno.EBADF)
            {
                reason = $"setsockopt(2) probe did not fail with EBADF as expected ({errno})";
                return null;
            }

            if ((errno = KqueueReactor.Shared.ArmWrite(-1, 0)) != Errno.EBADF)
            {
                reason = $"kevent(2) probe did not fail with EBADF as expected ({errno})";
                return null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            reason = $"libc probe failed: {ex.Message}";
            return null;
        }

        reason = null;
        return new BsdSendPlatform();
    }

    /// <inheritdoc/>
    public override SocketSender CreateSender(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics)
        => new BsdSocketSender(socket, statistics, settings.KeepNagle);
}
