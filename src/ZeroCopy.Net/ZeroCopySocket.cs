using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;
using ZeroCopy.Net.Platform;

namespace ZeroCopy.Net;

/// <summary>
/// Wraps a connected <see cref="System.Net.Sockets.Socket"/> and sends through the kernel's
/// zero-copy paths where this machine has them (sendfile(2), MSG_ZEROCOPY, TCP_CORK), and through
/// a portable copying path everywhere else.
/// </summary>
/// <remarks>
/// <para>Sends on one <see cref="ZeroCopySocket"/> are parts of one ordered byte stream: await each
/// send before starting the next. A second send started while one runs throws
/// <see cref="InvalidOperationException"/> rather than interleaving bytes.</para>
/// <para>The kernel paths write to the socket's descriptor directly, below any
/// <see cref="System.Net.Security.SslStream"/>: use plaintext sockets only (or kernel TLS).</para>
/// </remarks>
public sealed partial class ZeroCopySocket : IAsyncDisposable, IDisposable
{
    private const int Idle = 0;
    private const int Sending = 1;

    /// <summary>
    /// The most pool buffers one SendPinnedAsync call (or one PipeWriter flush's send) takes: a
    /// library limit, the same on every OS. It equals Linux's UIO_MAXIOV, so a call is one sendmsg
    /// there (tests/native checks UIO_MAXIOV against the headers).
    /// </summary>
    internal const int MaxBuffersPerSend = 1024;
    private const int Disposed = 2;

    private readonly SocketSender _sender;
    private readonly SendPlatform _platform;
    private readonly SocketSettings _settings;
    private int _state;
    private TaskCompletionSource<bool>? _sendExited;

    /// <summary>Wraps a connected stream (TCP) or connected datagram (UDP) socket.</summary>
    /// <param name="socket">The connected socket. The caller keeps ownership unless <see cref="ZeroCopySocketOptions.OwnsSocket"/> is set.</param>
    /// <param name="options">Options, or <see langword="null"/> for <see cref="ZeroCopySocketOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The socket is not connected, or is neither a stream nor a datagram socket.</exception>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public ZeroCopySocket(Socket socket, ZeroCopySocketOptions? options = null)
    {
        if (socket is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(socket));
        }

        if (IsDisposed(socket))
        {
            ThrowHelper.ThrowObjectDisposed(socket);
        }

        if (socket.SocketType is not (SocketType.Stream or SocketType.Dgram))
        {
            ThrowHelper.ThrowArgument(nameof(socket), $"A {socket.SocketType} socket is not supported: wrap a stream (TCP) or datagram (UDP) socket.");
        }

        if (!socket.Connected)
        {
            ThrowHelper.ThrowArgument(nameof(socket), "The socket is not connected. Connect (or accept) it before wrapping it.");
        }

        Socket = socket;
        _settings = SocketSettings.From(options);
        _platform = _settings.ForcePortable ? SendPlatform.Portable : SendPlatform.Current;
        Statistics = new ZeroCopyStatistics();
        if (_settings.ForcePortable || _platform is Platform.Portable.PortableSendPlatform)
        {
            Statistics.SetPortableFallback(forced: _settings.ForcePortable);
        }

        Statistics.SetCrossover(
            _settings.MeasureCrossover ? Platform.Linux.CrossoverPolicy.Process : null,
            _settings.PinnedZeroCopyThreshold,
            portable: _platform is not Platform.Linux.LinuxSendPlatform);
        _sender = _platform.CreateSender(socket, _settings, Statistics);
    }

    /// <summary>The wrapped socket.</summary>
    public Socket Socket { get; }

    /// <summary>The kernel paths this socket really uses. Anything missing here is done by copying, and counted in <see cref="Statistics"/>.</summary>
    public ZeroCopyCapabilities Capabilities => _sender.Capabilities;

    /// <summary>The platform implementation in use for this socket ("linux", "portable", ...).</summary>
    public string PlatformName => _platform.Name;

    /// <summary>Byte and call counters for this socket, by path.</summary>
    public ZeroCopyStatistics Statistics { get; }

    /// <summary>
    /// The name of the library's <see cref="System.Diagnostics.Metrics.Meter"/> ("ZeroCopy.Net"): bytes and
    /// sends by path, completions, bytes in flight, release time and fallbacks. See docs/metrics.md.
    /// </summary>
    public const string MeterName = Diagnostics.ZeroCopyMetrics.MeterName;

    /// <summary>The kernel paths available in this process (chosen once, from the OS and a probe).</summary>
    public static ZeroCopyCapabilities ProcessCapabilities => SendPlatform.Current.Capabilities;

    /// <summary>The platform implementation chosen for this process ("linux", "portable", ...).</summary>
    public static string ProcessPlatformName => SendPlatform.Current.Name;

    /// <summary>Why this process uses the portable path instead of a kernel path, or <see langword="null"/> when it does not.</summary>
    public static string? ProcessFallbackReason => SendPlatform.Current.FallbackReason;

    /// <summary>
    /// Why sockets that ask for <see cref="SendEngine.IoUring"/> get <see cref="SendEngine.Epoll"/> in
    /// this process (the kernel lacks IORING_OP_SEND_ZC, kernel.io_uring_disabled, a seccomp filter
    /// refused io_uring_setup, ...), or <see langword="null"/> when the io_uring engine is available.
    /// Probed once per process, on the first call or the first io_uring socket.
    /// </summary>
    public static string? ProcessIoUringFallbackReason => SendPlatform.Current is Platform.Linux.LinuxSendPlatform
        ? Platform.Linux.IoUring.IoUringEngine.FallbackReason
        : $"io_uring is a Linux kernel path; this process uses the {SendPlatform.Current.Name} platform";

    /// <summary>
    /// Why pool memory goes out as unregistered SEND_ZC on the io_uring engine (the kernel refused to
    /// register a pool slab as a fixed buffer: RLIMIT_MEMLOCK, or no sparse buffer table before
    /// Linux 5.19), or <see langword="null"/> while every slab used so far is registered (or the
    /// engine is not in use).
    /// </summary>
    public static string? ProcessIoUringFixedBufferFallbackReason => SendPlatform.Current is Platform.Linux.LinuxSendPlatform && Platform.Linux.IoUring.IoUringEngine.FallbackReason is null
        ? Platform.Linux.IoUring.IoUringEngine.Shared!.FixedBufferFallbackReason
        : null;

    /// <summary>
    /// Where <see cref="SendEngine.Auto"/> datagram sockets send bursts (<see cref="SendPinnedDatagramsAsync"/>)
    /// whose datagrams are about <paramref name="datagramLength"/> bytes: <see cref="SendEngine.IoUring"/>
    /// or <see cref="SendEngine.Epoll"/>, whichever cost the sending thread less CPU per byte when the
    /// process's first bursts of that size class (below 8 KiB, 8-16, 16-32, 32-64, 64 KiB up) were
    /// measured on both; <see cref="SendEngine.Auto"/> while that class is still being measured.
    /// Always <see cref="SendEngine.Epoll"/> off Linux, where bursts are one send per datagram.
    /// </summary>
    /// <param name="datagramLength">A datagram length in bytes (a burst's class is its mean datagram length).</param>
    /// <returns>The engine for bursts of that size class.</returns>
    public static SendEngine GetProcessDatagramBurstEngine(int datagramLength) => SendPlatform.Current is Platform.Linux.LinuxSendPlatform
        ? Platform.Linux.IoUring.BurstEngineChoice.Choice(Platform.Linux.IoUring.BurstEngineChoice.ClassOf(Math.Max(datagramLength, 0), 1))
        : SendEngine.Epoll;

    /// <summary>Why <see cref="GetProcessDatagramBurstEngine"/> says what it says, per size class decided so far: both engines' measured cost, or why io_uring could not take part; null before any class has decided.</summary>
    public static string? ProcessDatagramBurstEngineReason => SendPlatform.Current is Platform.Linux.LinuxSendPlatform
        ? Platform.Linux.IoUring.BurstEngineChoice.Reason
        : $"datagram bursts are one send per datagram on the {SendPlatform.Current.Name} platform";

    /// <summary>
    /// The engine that carries this socket's pinned sends: <see cref="SendEngine.IoUring"/> or
    /// <see cref="SendEngine.Epoll"/> (also reported for the portable path and other platforms, whose
    /// sends wait on readiness too). Never <see cref="SendEngine.Auto"/>.
    /// </summary>
    public SendEngine Engine => _sender is Platform.Linux.IoUring.IoUringSocketSender { IsAuto: false } ? SendEngine.IoUring : SendEngine.Epoll;

    /// <summary>
    /// Stops the socket from starting new sends, wakes a send that waits for the socket to become
    /// writable (it fails with <see cref="ObjectDisposedException"/>), waits up to
    /// <see cref="ZeroCopySocketOptions.DisposeTimeout"/> for it to return, and releases the
    /// platform resources. Disposes the wrapped socket only if <see cref="ZeroCopySocketOptions.OwnsSocket"/> is set.
    /// </summary>
    /// <returns>A task that completes when the socket is disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        // Published before the state flips, so a send that exits after the flip finds it. The first
        // caller's instance wins: a concurrent second DisposeAsync must not replace the one the first waits on.
        TaskCompletionSource<bool> exited = Interlocked.CompareExchange(
            ref _sendExited, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously), null)
            ?? _sendExited!;
        int previous = Interlocked.Exchange(ref _state, Disposed);
        if (previous == Disposed)
        {
            return;
        }

        if (previous == Sending && _settings.OwnsSocket)
        {
            // The send is cut short: the peer must see a reset (SO_LINGER 0 on close), not a
            // clean FIN that a close-delimited protocol would take for a complete stream.
            AbortOnClose();
        }

        _sender.BeginDispose();
        if (previous == Sending)
        {
            Task finished = await Task.WhenAny(exited.Task, Task.Delay(_settings.DisposeTimeout)).ConfigureAwait(false);
            _ = finished;
        }

        await _sender.DisposeAsync().ConfigureAwait(false);
        if (_settings.OwnsSocket)
        {
            Socket.Dispose();
        }
    }

    /// <summary>Synchronous form of <see cref="DisposeAsync"/>: blocks until it completes. Prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void AbortOnClose()
    {
        try
        {
            Socket.LingerState = new LingerOption(enable: true, seconds: 0);
        }
        catch (SocketException)
        {
            // Already reset or shut down by the peer: nothing left to abort.
        }
        catch (ObjectDisposedException)
        {
            // The application closed the socket itself.
        }
    }

    /// <summary>Claims the socket for one send. Lock-free: one compare-exchange on the uncontended path.</summary>
    private void EnterSend()
    {
        int state = Interlocked.CompareExchange(ref _state, Sending, Idle);
        if (state == Idle)
        {
            return;
        }

        if (state == Disposed)
        {
            ThrowHelper.ThrowObjectDisposed(this);
        }

        ThrowHelper.ThrowConcurrentSend();
    }

    private void ExitSend()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Sending) != Sending)
        {
            // Disposal began while we were sending and is waiting for us.
            Volatile.Read(ref _sendExited)?.TrySetResult(true);
        }
    }

    private void ThrowIfNotStream(bool sendsFile = true)
    {
        if (Socket.SocketType != SocketType.Stream)
        {
            throw new NotSupportedException(sendsFile
                ? $"Sending a file needs a stream (TCP) socket; this one is {Socket.SocketType}."
                : $"Headers, body and trailers are one byte stream and need a stream (TCP) socket; this one is {Socket.SocketType} (send a datagram with SendPinnedAsync).");
        }
    }

    /// <summary>A disposed socket also reports "not connected"; tell the caller the real reason.</summary>
    private static bool IsDisposed(Socket socket)
    {
#if NETSTANDARD2_0
        // netstandard2.0 has no SafeHandle to ask.
        return SocketHandleAccess.IsDisposed(socket);
#else
        return socket.SafeHandle.IsClosed;
#endif
    }

    private static ValueTask<long> Canceled(CancellationToken cancellationToken)
        => new(Task.FromCanceled<long>(cancellationToken));
}
