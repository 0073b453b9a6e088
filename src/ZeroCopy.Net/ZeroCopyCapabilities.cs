using System;

namespace ZeroCopy.Net;

/// <summary>
/// The kernel paths that are really available to a <see cref="ZeroCopySocket"/> on this machine.
/// Anything not listed is done by the portable copying path, and counted as such in
/// <see cref="ZeroCopyStatistics"/>.
/// </summary>
[Flags]
public enum ZeroCopyCapabilities
{
    /// <summary>No kernel path: every send copies through user space (the portable path).</summary>
    None = 0,

    /// <summary>File bodies go from the page cache to the socket with sendfile(2) (or TransmitFile / BSD sendfile).</summary>
    KernelSendFile = 1 << 0,

    /// <summary>Pinned user buffers can be sent with MSG_ZEROCOPY; completions are read from the socket's error queue.</summary>
    MsgZeroCopy = 1 << 1,

    /// <summary>
    /// Headers, a file body and trailers are coalesced by the kernel: TCP_CORK or MSG_MORE (Linux), one
    /// TransmitFile call with TRANSMIT_FILE_BUFFERS (Windows), one sendfile with sf_hdtr under TCP_NOPUSH (FreeBSD, macOS).
    /// </summary>
    Cork = 1 << 2,

    /// <summary>Several buffers go out in one vectored sendmsg (iovec) from the library's own interop.</summary>
    VectoredSend = 1 << 3,

    /// <summary>Waiting for writability and completions uses the library's own readiness reactor (epoll on Linux, kqueue on FreeBSD and macOS), not blocked threads.</summary>
    AsyncReadiness = 1 << 4,
}
