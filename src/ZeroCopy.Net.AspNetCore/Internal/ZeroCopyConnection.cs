using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace ZeroCopy.Net.AspNetCore.Internal;

/// <summary>
/// One accepted connection, as Kestrel sees it. Input: a receive loop fills a <see cref="Pipe"/> (as Kestrel's socket
/// transport does). Output: <see cref="ZeroCopyOutputWriter"/>, which sends on Kestrel's own flushes through a
/// <see cref="ZeroCopySocket"/>, and can send a range of the output stream from a file (see that class).
/// </summary>
/// <remarks>
/// Lifetime, following Kestrel's SocketConnection: the connection is closed (<see cref="BaseConnectionContext.ConnectionClosed"/> fires,
/// and with it Kestrel's RequestAborted) when the receive side ends: the peer's FIN or reset, or a shutdown of the
/// socket. When the output completes (Kestrel is done, a send failed, the connection was aborted), the socket is
/// shut down in both directions, which ends the receive loop. <see cref="Abort(ConnectionAbortedException)"/> shuts the socket down at
/// once: a send waiting for room and the receive loop both wake with an error. The socket and the
/// <see cref="ZeroCopySocket"/> are disposed in <see cref="DisposeAsync"/>, after both sides have stopped, so no
/// descriptor is closed under a system call still using it.
/// </remarks>
internal sealed class ZeroCopyConnection : ConnectionContext,
    IConnectionIdFeature,
    IConnectionTransportFeature,
    IConnectionItemsFeature,
    IConnectionLifetimeFeature,
    IConnectionEndPointFeature,
    IConnectionSocketFeature,
    IMemoryPoolFeature
{
    private const int MinAllocBufferSize = 2048;
    private static long s_lastId;

    private readonly Socket _socket;
    private readonly ZeroCopySocket _zeroCopy;
    private readonly Pipe _input;
    private readonly ZeroCopyOutputWriter _output;
    private readonly IDuplexPipe _ownTransport;
    private readonly bool _waitForData;
    private readonly CancellationTokenSource _closed = new();
    private readonly FeatureCollection _features = new();

    private IDuplexPipe _transport;
    private IDictionary<object, object?>? _items;
    private string? _connectionId;
    private volatile ConnectionAbortedException? _abortReason;
    private Task _receiveTask = Task.CompletedTask;
    private Task? _outputTask;
    private int _shutDown;
    private int _disposed;

    public ZeroCopyConnection(Socket socket, ZeroCopyTransportOptions options, AspNetCoreMetrics metrics)
    {
        _socket = socket;
        Metrics = metrics;
        _zeroCopy = new ZeroCopySocket(socket, new ZeroCopySocketOptions { ForcePortable = options.ForcePortable });
        long maxRead = options.MaxReadBufferSize ?? 0;
        _input = new Pipe(new PipeOptions(
            pool: MemoryPool<byte>.Shared,
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: maxRead,
            resumeWriterThreshold: maxRead / 2,
            useSynchronizationContext: false));
        _output = new ZeroCopyOutputWriter(this, _zeroCopy);
        _ownTransport = new DuplexPipe(_input.Reader, _output);
        _transport = _ownTransport;
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        SendFileEnabled = options.SendFile;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionClosed = _closed.Token;

        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
        _features.Set<IConnectionSocketFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
        _features.Set(this);
    }

    public override string ConnectionId
    {
        get => _connectionId ??= "zc" + Interlocked.Increment(ref s_lastId).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    /// <summary>
    /// The connection's pipes. A connection middleware that replaces them (TLS, connection logging) puts its own
    /// bytes between Kestrel and the socket; the send-file path then stands aside for this connection.
    /// </summary>
    public override IDuplexPipe Transport
    {
        get => _transport;
        set => _transport = value;
    }

    public Socket Socket => _socket;

    public MemoryPool<byte> MemoryPool => MemoryPool<byte>.Shared;

    internal AspNetCoreMetrics Metrics { get; }

    internal bool SendFileEnabled { get; }

    /// <summary>Kestrel's HTTP layer writes straight into this transport's output (no connection middleware wrapped it).</summary>
    internal bool OwnsTransport => ReferenceEquals(_transport, _ownTransport);

    internal ZeroCopyOutputWriter Output => _output;

    public void Start() => _receiveTask = ReceiveLoopAsync();

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _abortReason ??= abortReason;
        _output.MarkDead();
        ShutdownSocket();

        // A receive loop paused on a full input pipe wakes and ends (as in Kestrel's SocketConnection).
        _input.Writer.CancelPendingFlush();
    }

    /// <summary>A send failed: the output is dead and the connection goes down, as when the socket transport's send loop fails.</summary>
    internal void OnSendFailed(Exception error)
    {
        _abortReason ??= new ConnectionAbortedException("The connection's send failed: " + error.Message, error);
        ShutdownSocket();
    }

    /// <summary>Kestrel completed the output: once its last bytes are sent, the socket is shut down.</summary>
    internal void OnOutputCompleted(Task drain)
    {
        _outputTask = FinishOutputAsync(drain);
    }

    private async Task FinishOutputAsync(Task drain)
    {
        try
        {
            await drain.ConfigureAwait(false);
        }
        finally
        {
            // Ends the receive loop too (a paused one through CancelPendingFlush), which fires ConnectionClosed.
            ShutdownSocket();
            _input.Writer.CancelPendingFlush();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                if (_waitForData)
                {
                    // Wait until there is something to read, then take a buffer: idle connections hold no memory.
                    _ = await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                Memory<byte> buffer = _input.Writer.GetMemory(MinAllocBufferSize);
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                _input.Writer.Advance(received);
                FlushResult result = await _input.Writer.FlushAsync().ConfigureAwait(false);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument)
        {
            error = _abortReason ?? (ex.SocketErrorCode == SocketError.ConnectionReset
                ? new ConnectionResetException(ex.Message, ex)
                : (Exception)new ConnectionAbortedException(ex.Message, ex));
        }
        catch (ObjectDisposedException ex)
        {
            error = _abortReason ?? new ConnectionAbortedException(ex.Message, ex);
        }
        catch (Exception ex)
        {
            error = new IOException(ex.Message, ex);
        }
        finally
        {
            await _input.Writer.CompleteAsync(_abortReason ?? error).ConfigureAwait(false);
            FireConnectionClosed();
        }
    }

    private void FireConnectionClosed()
    {
        // Off this thread: ConnectionClosed callbacks (Kestrel's request-aborted tokens) must not run inline here.
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.CancelClosed(), this, preferLocal: false);
    }

    private void CancelClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void ShutdownSocket()
    {
        if (Interlocked.Exchange(ref _shutDown, 1) != 0)
        {
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await base.DisposeAsync().ConfigureAwait(false);
            return;
        }

        _output.Complete();
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        ShutdownSocket();
        await _receiveTask.ConfigureAwait(false);
        if (_outputTask is { } output)
        {
            await output.ConfigureAwait(false);
        }

        await _zeroCopy.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _closed.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
