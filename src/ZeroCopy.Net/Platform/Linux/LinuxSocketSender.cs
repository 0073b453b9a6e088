using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using ZeroCopy.Net.Platform.Linux.Operations;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// The Linux sender for one socket: turns each public send into one send operation
/// (Operations/) and runs it, non-blocking syscall by syscall, waiting on <see cref="EpollReactor"/>
/// only when the kernel says EAGAIN.
/// </summary>
/// <remarks>
/// <para>What lives where, for one socket:</para>
/// <list type="bullet">
/// <item><see cref="EpollRegistration"/>: the reactor registration, every epoll_ctl, EPOLLOUT/EPOLLERR
/// arming, the writability signal and the idle drain.</item>
/// <item><see cref="ZeroCopyChannel"/>: SO_ZEROCOPY, the completion record, the error-queue drain,
/// backpressure, the bounded drain at disposal (created on the first pinned send).</item>
/// <item><see cref="VectoredWriter"/>: iovecs and the send/sendmsg syscalls; <see cref="TcpPush"/>:
/// TCP_NODELAY, TCP_CORK and the tail push.</item>
/// <item>Operations/: the whole state of one send each, advanced one syscall per step by <see cref="Run"/>.</item>
/// </list>
/// <para>The descriptor must be O_NONBLOCK. The runtime keeps a socket's descriptor non-blocking
/// once it has been switched (it then emulates blocking for synchronous calls), so toggling
/// <see cref="Socket.Blocking"/> off and back on makes the descriptor non-blocking without changing
/// what the application sees.</para>
/// <para>Every send holds a reference on the socket's SafeHandle from its first syscall to its
/// last, as the runtime's own socket operations do. Without it, Socket.Dispose would close the
/// descriptor at once: the kernel drops it from our epoll set (a parked send would never wake) and
/// may hand its number to a new socket that the next syscall would write to. With it,
/// Socket.Dispose shuts the connection down instead and waits for us; the shutdown wakes a parked
/// send (EPOLLHUP) and its next syscall fails it.</para>
/// </remarks>
internal sealed class LinuxSocketSender : SocketSender
{
    private readonly Socket _socket;
    private readonly SafeHandle _socketHandle;
    private readonly SocketSettings _settings;
    private ZeroCopyChannel? _zeroCopy;

    // Written by disposal on any thread, read before every step.
    private volatile bool _disposing;

    public LinuxSocketSender(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics)
    {
        _socket = socket;
        _settings = settings;
        Statistics = statistics;
        _socketHandle = SocketHandleAccess.Get(socket);
        Fd = (int)_socketHandle.DangerousGetHandle();
        IsStream = socket.SocketType == SocketType.Stream;
        SocketHandleAccess.MakeDescriptorNonBlocking(socket);
        Readiness = new EpollRegistration(Fd, statistics);
        Writer = new VectoredWriter(Fd);
        bool isTcp = IsStream && socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6;

        // KeepNagle on a socket whose Nagle is already off: nothing to keep, and toggling would turn it on.
        HeaderSendTuning tuning = isTcp && settings.HeaderTuning.TailPush == TailPushMode.TogglePerSend && socket.NoDelay
            ? HeaderSendTuning.Default
            : settings.HeaderTuning;
        Push = new TcpPush(Fd, tuning, isTcp);
    }

    /// <summary>The socket's descriptor (valid while a send holds the socket).</summary>
    public int Fd { get; }

    /// <summary>Whether the socket is a stream (a datagram goes out whole or not at all).</summary>
    public bool IsStream { get; }

    /// <summary>The socket's counters.</summary>
    public ZeroCopyStatistics Statistics { get; }

    /// <summary>The socket's place in the reactor.</summary>
    public EpollRegistration Readiness { get; }

    /// <summary>The socket's send syscalls and iovec scratch.</summary>
    public VectoredWriter Writer { get; }

    /// <summary>The socket's TCP options.</summary>
    public TcpPush Push { get; }

    /// <summary>Set once disposal began.</summary>
    public bool IsDisposing => _disposing;

    public override ZeroCopyCapabilities Capabilities
    {
        get
        {
            ZeroCopyChannel? channel = _zeroCopy;
            return ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.AsyncReadiness | ZeroCopyCapabilities.VectoredSend
                | (channel is null || channel.Enabled ? ZeroCopyCapabilities.MsgZeroCopy : 0);
        }
    }

    public override ValueTask<long> SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        bool added = false;
        try
        {
            added = AcquireSocket();
            return Run(new SendFileOperation(FileWindow.Open(path, offset, count), ownsWindow: true), added, cancellationToken);
        }
        catch (Exception e)
        {
            ReleaseSocket(added);
            return Faulted<long>(e);
        }
    }

    public override ValueTask<long> SendFileAsync(SafeFileHandle file, long offset, long? count, CancellationToken cancellationToken)
    {
        bool added = false;
        try
        {
            added = AcquireSocket();
            return Run(new SendFileOperation(FileWindow.Reference(file, offset, count), ownsWindow: true), added, cancellationToken);
        }
        catch (Exception e)
        {
            ReleaseSocket(added);
            return Faulted<long>(e);
        }
    }

    public override ValueTask<long> SendWithHeadersAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
    {
        bool added = false;
        try
        {
            added = AcquireSocket();
            Push.SetNoDelayOnce();
            HeaderSendTuning tuning = Push.Tuning;
            byte[] response;
            int length;
            switch (body.Kind)
            {
                case SendBodyKind.FileHandle when body.Count is long count && SmallResponse.Fits(headers, count, trailers, tuning):
                    // A static-file server that keeps its files open and knows their lengths: no
                    // statx, pread + send, no state machine when the socket takes it at once.
                    FileWindow small = FileWindow.Reference(body.Handle, body.Offset, count, checkLength: false);
                    try
                    {
                        response = SmallResponse.FromFile(headers, small, trailers, windowChecked: false, Statistics, out length);
                    }
                    finally
                    {
                        small.Release();
                    }

                    return Run(new ContiguousSendOperation(response, length), added, cancellationToken);

                case SendBodyKind.FilePath or SendBodyKind.FileHandle:
                    return RunFileResponse(headers, body, trailers, tuning, added, cancellationToken);

                default:
                    ReadOnlyMemory<byte> memory = body.Memory;
                    if (memory.Length > 0 && SmallResponse.Fits(headers, memory.Length, trailers, tuning))
                    {
                        response = SmallResponse.FromMemory(headers, memory, trailers, Statistics, out length);
                        return Run(new ContiguousSendOperation(response, length), added, cancellationToken);
                    }

                    return Run(new VectoredSendOperation(new PieceSequence(headers, memory, trailers), moreFollows: false, isResponse: true), added, cancellationToken);
            }
        }
        catch (Exception e)
        {
            // Nothing was sent yet (every operation pushes after its own failures).
            ReleaseSocket(added);
            return Faulted<long>(e);
        }
    }

    public override ValueTask SendPinnedAsync(PinnedSendBatch batch, CancellationToken cancellationToken)
    {
        if (_zeroCopy is null && !_settings.MeasureCrossover && !_settings.ReachesZeroCopyThreshold(batch.TotalLength))
        {
            // A copy, and no zero-copy send yet: the socket is not opted in (SO_ZEROCOPY) nor put in the
            // reactor. Registered, every packet the kernel frees wakes the socket's wait queue into
            // ep_poll_callback (sock_wfree -> sk_write_space): about 4% of a sender's CPU at 8 KiB on the
            // veth rig, for an EPOLLERR that copies never produce. The BCL's socket is not registered either
            // until a send must wait.
            return SendPinnedCopyAsync(batch, PinnedCopyReason.BelowThreshold, cancellationToken);
        }

        if (AcquireForZeroCopy(out bool added, out ZeroCopyChannel channel) is Exception e)
        {
            batch.Release();
            return new ValueTask(Task.FromException(e));
        }

        return RunPinned(new PinnedSendOperation(this, batch, channel, moreFlag: 0), added, cancellationToken);
    }

    /// <summary>A burst of datagrams: sendmmsg, many per syscall (<see cref="DatagramBurstOperation"/>).</summary>
    public override ValueTask SendPinnedDatagramsAsync(PinnedSendBatch[] datagrams, int count, CancellationToken cancellationToken)
    {
        if (AcquireForZeroCopy(out bool added, out ZeroCopyChannel channel) is Exception e)
        {
            ReleaseDatagrams(datagrams, count);
            return new ValueTask(Task.FromException(e));
        }

        return RunPinned(new DatagramBurstOperation(datagrams, count, channel), added, cancellationToken);
    }

    /// <summary>Takes the socket's handle and its zero-copy channel (opened on first use) for a pinned send; the error, with nothing held, or null.</summary>
    private Exception? AcquireForZeroCopy(out bool added, out ZeroCopyChannel channel)
    {
        channel = null!;
        if (AcquireSocketOrError(out added) is Exception e)
        {
            return e;
        }

        try
        {
            channel = _zeroCopy ?? OpenZeroCopy();
            return null;
        }
        catch (Exception error)
        {
            ReleaseSocket(added);
            added = false;
            return error;
        }
    }

    /// <summary>Runs a pinned operation (synchronous attempt first) and drops its byte count: the pinned API returns a plain task.</summary>
    private ValueTask RunPinned<TOperation>(TOperation operation, bool added, CancellationToken cancellationToken)
        where TOperation : struct, ISendOperation
    {
        Readiness.NoteSendStarted();
        ValueTask<long> send = Run(operation, added, cancellationToken);
        return send.IsCompletedSuccessfully ? default : AwaitWithoutResult(send);
    }

    /// <summary>
    /// A pinned send that copies (plain sendmsg, no SO_ZEROCOPY state): the io_uring engine's sends
    /// below its threshold, where one synchronous sendmsg costs less than a ring round trip.
    /// </summary>
    public ValueTask SendPinnedCopyAsync(PinnedSendBatch batch, PinnedCopyReason reason, CancellationToken cancellationToken)
    {
        if (AcquireSocketOrError(out bool added) is Exception e)
        {
            batch.Release();
            return new ValueTask(Task.FromException(e));
        }

        return RunPinned(new PinnedSendOperation(this, batch, reason), added, cancellationToken);
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask AwaitWithoutResult(ValueTask<long> send) => _ = await send.ConfigureAwait(false);

    public override ValueTask<long> SendWithPinnedBodyAsync(PieceList headers, PinnedSendBatch body, PieceList trailers, CancellationToken cancellationToken)
    {
        bool added = false;
        ZeroCopyChannel channel;
        try
        {
            added = AcquireSocket();
            Push.SetNoDelayOnce();
            channel = _zeroCopy ?? OpenZeroCopy();
        }
        catch (Exception e)
        {
            body.Release();
            ReleaseSocket(added);
            return Faulted<long>(e);
        }

        long length = body.TotalLength;
        if (!channel.Enabled || !channel.WouldUseZeroCopy(length))
        {
            // The kernel copies a body this small (or on this socket) anyway: it rides in the
            // headers' sendmsg, one syscall for the response, and is back in the pool at the end.
            PinnedCopyReason reason = channel.Enabled ? PinnedCopyReason.BelowThreshold : PinnedCopyReason.ZeroCopyOff;
            return Run(new VectoredSendOperation(new PieceSequence(headers, body.MemoryOf(0), trailers), body, reason), added, cancellationToken);
        }

        Readiness.NoteSendStarted();
        var pinnedBody = new PinnedSendOperation(this, body, channel, trailers.TotalLength > 0 ? Interop.Linux.MSG_MORE : 0);
        return Run(new HeaderResponseOperation<PinnedSendOperation>(headers, pinnedBody, trailers, cork: false), added, cancellationToken);
    }

    public override void BeginDispose()
    {
        _disposing = true;
        Readiness.Writable.Signal();
        _zeroCopy?.WakeRoomWaiter();
    }

    public override async ValueTask DisposeAsync()
    {
        BeginDispose();

        // While still registered: completions arrive through EPOLLERR and our own drains.
        if (_zeroCopy is ZeroCopyChannel channel)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }

        bool held = TryAcquireSocket(out bool added);
        try
        {
            Readiness.Unregister(held ? Fd : -1);
        }
        finally
        {
            ReleaseSocket(added);
        }
    }

    /// <summary>References the socket's handle for the length of one send; throws ObjectDisposedException for a socket already closed.</summary>
    public bool AcquireSocket() => SocketHandleAccess.Acquire(_socketHandle, _socket);

    /// <summary>
    /// <see cref="AcquireSocket"/> for a pinned send, which reports a failure in its task rather than
    /// throwing: the error (with nothing held), or null and the reference to drop later.
    /// </summary>
    public Exception? AcquireSocketOrError(out bool added)
    {
        added = false;
        try
        {
            added = AcquireSocket();
            return null;
        }
        catch (Exception e)
        {
            ReleaseSocket(added);
            added = false;
            return e;
        }
    }

    /// <summary>Like <see cref="AcquireSocket"/>, for callers that must not throw (the reactor thread): false once the socket is closed.</summary>
    public bool TryAcquireSocket(out bool added) => SocketHandleAccess.TryAcquire(_socketHandle, out added);

    /// <summary>Drops the reference <see cref="AcquireSocket"/> or <see cref="TryAcquireSocket"/> added.</summary>
    public void ReleaseSocket(bool added) => SocketHandleAccess.Release(_socketHandle, added);

    private static ValueTask<T> Faulted<T>(Exception e) => new(Task.FromException<T>(e));

    private ValueTask<long> RunFileResponse(PieceList headers, SendBody body, PieceList trailers, HeaderSendTuning tuning, bool added, CancellationToken cancellationToken)
    {
        // The window is checked before the first header byte leaves.
        FileWindow window = body.Kind == SendBodyKind.FilePath
            ? FileWindow.Open(body.Path, body.Offset, body.Count)
            : FileWindow.Reference(body.Handle, body.Offset, body.Count);
        byte[] response;
        int length;
        try
        {
            if (window.Count > tuning.SmallFileThreshold)
            {
                if (body.Kind == SendBodyKind.FileHandle)
                {
                    // The headers leave before the first sendfile: a write-only handle is refused first.
                    LinuxFile.ThrowIfNotReadable(window.Fd, "file");
                }

                var fileBody = new SendFileOperation(window, ownsWindow: true);
                return Run(new HeaderResponseOperation<SendFileOperation>(headers, fileBody, trailers, cork: tuning.AlwaysCork || trailers.TotalLength > 0), added, cancellationToken);
            }

            if (SmallResponse.Fits(headers, window.Count, trailers, tuning))
            {
                response = SmallResponse.FromFile(headers, window, trailers, windowChecked: true, Statistics, out length);
            }
            else
            {
                // A small body behind headers too large to copy: the body read into a pooled array, sent as the middle iovec.
                byte[] pooledBody = SmallResponse.BodyFromFile(window, Statistics);
                var pieces = new PieceSequence(headers, new ReadOnlyMemory<byte>(pooledBody, 0, (int)window.Count), trailers);
                window.Release();
                return Run(new VectoredSendOperation(pieces, pooledBody), added, cancellationToken);
            }
        }
        catch
        {
            window.Release();
            throw;
        }

        window.Release();
        return Run(new ContiguousSendOperation(response, length), added, cancellationToken);
    }

    private ZeroCopyChannel OpenZeroCopy() => _zeroCopy = ZeroCopyChannel.Open(this, _settings, Readiness);

    /// <summary>
    /// Runs one send operation to its end and releases the socket reference <paramref name="added"/>
    /// then. The first steps run here, synchronously: an operation that the kernel takes at once
    /// costs no state machine and no task. Only one that must wait (EAGAIN, or room for zero-copy
    /// sends) continues in <see cref="ContinueAsync"/>. Never throws: failures come back in the task,
    /// after <see cref="ISendOperation.Complete"/> released what the operation held.
    /// </summary>
    private ValueTask<long> Run<TOperation>(TOperation operation, bool added, CancellationToken cancellationToken)
        where TOperation : struct, ISendOperation
    {
        OperationStatus status;
        int epoch;
        try
        {
            do
            {
                status = Step(ref operation, out epoch, cancellationToken);
            }
            while (status == OperationStatus.Retry);
        }
        catch (Exception e)
        {
            operation.Complete(this, succeeded: false);
            ReleaseSocket(added);
            return Faulted<long>(ClosedDuringSend(e, operation.Sent, operation.Total));
        }

        if (status == OperationStatus.Done)
        {
            operation.Complete(this, succeeded: true);
            ReleaseSocket(added);
            return new ValueTask<long>(operation.Result);
        }

        return ContinueAsync(operation, status, epoch, added, cancellationToken);
    }

    /// <summary>The rest of an operation that had to wait: wait, step, until done; then release, however it ended.</summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> ContinueAsync<TOperation>(TOperation operation, OperationStatus status, int epoch, bool added, CancellationToken cancellationToken)
        where TOperation : struct, ISendOperation
    {
        bool succeeded = false;
        try
        {
            while (status != OperationStatus.Done)
            {
                if (status == OperationStatus.WaitWritable)
                {
                    await Readiness.WaitWritableAsync(epoch, cancellationToken).ConfigureAwait(false);
                }
                else if (status == OperationStatus.WaitForRoom)
                {
                    await _zeroCopy!.WaitForRoomAsync(operation.RoomNeeded, Readiness, cancellationToken).ConfigureAwait(false);
                }

                status = Step(ref operation, out epoch, cancellationToken);
            }

            succeeded = true;
            return operation.Result;
        }
        catch (Exception e) when (ClosedDuringSend(e, operation.Sent, operation.Total) is ObjectDisposedException disposed && disposed != e)
        {
            throw disposed;
        }
        finally
        {
            operation.Complete(this, succeeded);
            ReleaseSocket(added);
        }
    }

    /// <summary>
    /// Socket.Dispose during a send shuts the connection down under us (we hold its handle), and the
    /// next syscall fails with EPIPE or ECONNRESET: reported as the disposal it is, as the portable
    /// path and a send started after the disposal report it, not as a reset by the peer.
    /// </summary>
    private Exception ClosedDuringSend(Exception e, long sent, long total)
        => e is ZeroCopySocketException && SocketHandleAccess.IsDisposed(_socket) ? ThrowHelper.SocketClosedDuringSend(sent, total, e) : e;

    /// <summary>
    /// One step: cancellation and disposal are checked before every syscall, and the readiness
    /// epoch is read before it, so a wakeup between an EAGAIN and the wait is not lost.
    /// </summary>
    private OperationStatus Step<TOperation>(ref TOperation operation, out int epoch, CancellationToken cancellationToken)
        where TOperation : struct, ISendOperation
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_disposing)
        {
            throw ThrowHelper.SocketDisposedDuringSend(operation.Sent, operation.Total);
        }

        if (Readiness.Fault is Exception fault)
        {
            throw new IOException($"ZeroCopy.Net's readiness reactor failed for this socket after {operation.Sent} of {operation.Total} bytes: {fault.Message}", fault);
        }

        epoch = Readiness.Writable.Epoch;
        return operation.TryComplete(this);
    }
}
