using System;

namespace ZeroCopy.Net;

/// <summary>Options for a <see cref="ZeroCopySocket"/>. Validated and copied once, when the socket is wrapped: changing them later affects no existing socket.</summary>
public sealed partial class ZeroCopySocketOptions
{
    /// <summary>A new instance with every default (each call returns its own: changing it changes no other socket).</summary>
    public static ZeroCopySocketOptions Default => new();

    /// <summary>
    /// Use the portable copying path even where a kernel path exists. The portable path is correct
    /// everywhere .NET runs; this switch exists for comparison, diagnosis and tests.
    /// </summary>
    public bool ForcePortable { get; set; }

    /// <summary>
    /// Dispose the wrapped <see cref="System.Net.Sockets.Socket"/> when the <see cref="ZeroCopySocket"/> is disposed.
    /// Default <see langword="false"/>: the caller keeps ownership of its socket. When a send is
    /// still running as disposal begins, the socket is closed with SO_LINGER 0: the peer sees a
    /// reset, not a clean end of stream, so a truncated stream cannot pass for a complete one.
    /// </summary>
    public bool OwnsSocket { get; set; }

    /// <summary>
    /// How long <see cref="ZeroCopySocket.DisposeAsync"/> waits for sends still in flight to finish.
    /// Default 5 seconds.
    /// </summary>
    public TimeSpan DisposeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Keep Nagle's algorithm on the wrapped socket. By default the first
    /// <c>SendWithHeadersAsync</c>
    /// sets TCP_NODELAY on the socket and leaves it set (nginx does the same on keep-alive connections):
    /// cork and MSG_MORE do the coalescing, and with Nagle on the last partial segment of a response
    /// waits for the peer's delayed ACK (about 40 ms) now and then. Set this when other code writes
    /// small pieces to the same socket and relies on Nagle to merge them: each send with headers then
    /// pushes its own tail by setting TCP_NODELAY and clearing it again at its end (two setsockopt
    /// calls per response; setting the option makes the kernel send what Nagle held). A socket whose
    /// <see cref="System.Net.Sockets.Socket.NoDelay"/> is already <see langword="true"/> when it is wrapped is left as it is.
    /// Default <see langword="false"/>.
    /// </summary>
    public bool KeepNagle { get; set; }

    /// <summary>
    /// Which Linux engine carries this socket's pinned sends. Default <see cref="SendEngine.Auto"/>
    /// (today <see cref="SendEngine.Epoll"/>). <see cref="SendEngine.IoUring"/> falls back to
    /// <see cref="SendEngine.Epoll"/> where the process cannot use io_uring; <see cref="ZeroCopySocket.Engine"/>
    /// says which one a socket got. Ignored off Linux and on the portable path.
    /// </summary>
    public SendEngine Engine { get; set; }

    /// <summary>The Linux header-send knobs; internal, for the header benchmark's contenders.</summary>
    internal Platform.Linux.HeaderSendTuning HeaderTuning { get; set; } = Platform.Linux.HeaderSendTuning.Default;
}
