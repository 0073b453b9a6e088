using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace HttpStaticServer;

/// <summary>
/// A small HTTP/1.1 static file server on <c>ZeroCopySocket.SendWithHeadersAsync</c>: GET and HEAD,
/// keep-alive and pipelining, Content-Length, Content-Type, Last-Modified, single byte ranges (206,
/// 416), 304 on If-Modified-Since, 400 on a malformed request, 404 for anything missing or outside
/// the root. One task per connection; no TLS, no compression, no directory listings, no caching
/// headers beyond Last-Modified.
/// </summary>
public sealed class StaticFileServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Task? _acceptLoop;

    /// <param name="root">The folder to serve.</param>
    /// <param name="endpoint">Where to listen; port 0 picks a free port (see <see cref="Port"/>).</param>
    public StaticFileServer(string root, IPEndPoint endpoint)
    {
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

    /// <summary>Idle time after which a keep-alive connection is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal OpenFileCache Files { get; }

    private long _accepted;

    /// <summary>Starts accepting connections.</summary>
    public void Start() => _acceptLoop = AcceptLoopAsync();

    /// <summary>Stops accepting, closes every connection and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        foreach (Socket socket in _connections.Keys)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        Files.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _connections[socket] = Task.Run(async () =>
            {
                try
                {
                    await new HttpConnection(this, socket).RunAsync(_stopping.Token).ConfigureAwait(false);
                }
                finally
                {
                    _connections.TryRemove(socket, out _);
                    socket.Dispose();
                }
            });
        }
    }
}
