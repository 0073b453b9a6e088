using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace HttpStaticServer;

/// <summary>
/// A small HTTP/1.1 static file server on <c>ZeroCopySocket.SendWithHeadersAsync</c>: GET and HEAD,
/// keep-alive and pipelining, Content-Length, Content-Type, Last-Modified, single byte ranges (206,
/// 416), 304 on If-Modified-Since, 400 on a malformed request, 404 for anything missing, outside
/// the root or not a regular file. Bounded against hostile clients like nginx: a deadline for the
/// whole request head, a send timeout, a keep-alive timeout, a connection cap and a lingering
/// close. One task per connection; no TLS, no compression, no directory listings, no caching
/// headers beyond Last-Modified.
/// </summary>
public sealed class StaticFileServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<HttpConnection, Task> _connections = new();
    private SemaphoreSlim? _slots;
    private Timer? _sweeper;
    private Task? _acceptLoop;
    private long _accepted;

    /// <param name="root">The folder to serve.</param>
    /// <param name="endpoint">Where to listen; port 0 picks a free port (see <see cref="Port"/>).</param>
    /// <param name="limits">Timeouts and the connection cap; null for the defaults (nginx's).</param>
    public StaticFileServer(string root, IPEndPoint endpoint, ServerLimits? limits = null)
    {
        Limits = limits ?? new ServerLimits();
        if (Limits.MaxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(limits), $"{nameof(ServerLimits.MaxConnections)} must be at least 1.");
        }

        RealRoot = SafePath.RealPath(root) ?? throw new DirectoryNotFoundException($"The folder to serve does not exist: '{root}'.");
        if (!Directory.Exists(RealRoot))
        {
            throw new DirectoryNotFoundException($"Not a folder: '{root}'.");
        }

        Files = new OpenFileCache(RealRoot);
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(endpoint);
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    /// <summary>The served folder's real path.</summary>
    public string RealRoot { get; }

    /// <summary>The bound port.</summary>
    public int Port { get; }

    /// <summary>Connections served so far.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>Connections open now (at most <see cref="ServerLimits.MaxConnections"/>).</summary>
    public int ActiveConnections => _connections.Count;

    /// <summary>The timeouts and the connection cap this server enforces.</summary>
    public ServerLimits Limits { get; }

    internal OpenFileCache Files { get; }

    /// <summary>Starts accepting connections.</summary>
    public void Start()
    {
        _slots = new SemaphoreSlim(Limits.MaxConnections, Limits.MaxConnections);

        // One timer checks every connection's deadline, instead of a timer per connection re-armed
        // on every receive and send: a request costs two plain writes, not timer-queue operations.
        TimeSpan shortest = new[] { Limits.KeepAliveTimeout, Limits.RequestHeadTimeout, Limits.SendTimeout }.Min();
        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 4, 10, 1000));
        _sweeper = new Timer(_ => Sweep(), null, period, period);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Stops accepting, closes every connection and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Dispose();
        if (_sweeper is not null)
        {
            await _sweeper.DisposeAsync().ConfigureAwait(false);
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        foreach (HttpConnection connection in _connections.Keys)
        {
            connection.Abort();
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        Files.Dispose();
        _slots?.Dispose();
        _stopping.Dispose();
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (KeyValuePair<HttpConnection, Task> connection in _connections)
        {
            connection.Key.Sweep(now);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                // At the cap, stop accepting: the kernel's backlog holds the next clients.
                await _slots!.WaitAsync(_stopping.Token).ConfigureAwait(false);
                try
                {
                    socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch
                {
                    _slots.Release();
                    throw;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            var connection = new HttpConnection(this, socket, _stopping.Token);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = Task.Run(async () =>
            {
                try
                {
                    await started.Task.ConfigureAwait(false);
                    await connection.RunAsync().ConfigureAwait(false);
                }
                finally
                {
                    _connections.TryRemove(connection, out _);
                    connection.Dispose();
                    _slots.Release();
                }
            });

            // Registered before it runs, so a connection that ends at once is also removed.
            started.SetResult();
        }
    }
}
