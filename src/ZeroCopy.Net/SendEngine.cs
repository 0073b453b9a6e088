namespace ZeroCopy.Net;

/// <summary>Which Linux engine carries a socket's pinned sends (<see cref="ZeroCopySocketOptions.Engine"/>).</summary>
public enum SendEngine
{
    /// <summary>
    /// The library's choice: <see cref="Epoll"/> for single sends (at one send per call the two engines
    /// cost about the same); for datagram bursts (<see cref="ZeroCopySocket.SendPinnedDatagramsAsync"/>)
    /// the engine that measured cheaper on this machine during the process's first bursts
    /// per size class (<see cref="ZeroCopySocket.GetProcessDatagramBurstEngine"/> says which, and <see cref="ZeroCopySocket.ProcessDatagramBurstEngineReason"/> why).
    /// </summary>
    Auto = 0,

    /// <summary>Non-blocking sendmsg with MSG_ZEROCOPY, completions from the socket's error queue, readiness from the library's epoll thread.</summary>
    Epoll = 1,

    /// <summary>
    /// io_uring (Linux 6.0+): pinned sends as IORING_OP_SEND_ZC from pool memory registered as fixed
    /// buffers, completions as CQEs. sendfile and header responses stay on <see cref="Epoll"/>. Where
    /// the process cannot use io_uring (old kernel, kernel.io_uring_disabled, a seccomp filter), the
    /// socket uses <see cref="Epoll"/> and <see cref="ZeroCopySocket.ProcessIoUringFallbackReason"/> says why.
    /// </summary>
    IoUring = 2,
}
