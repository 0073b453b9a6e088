using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;

namespace ZeroCopy.Net.AspNetCore.Internal;

/// <summary>A bound listen socket: accepts connections and wraps each in a <see cref="ZeroCopyConnection"/>.</summary>
internal sealed class ZeroCopyConnectionListener : IConnectionListener
{
    private readonly Socket _listenSocket;
    private readonly ZeroCopyTransportOptions _options;
    private readonly AspNetCoreMetrics _metrics;

    private ZeroCopyConnectionListener(Socket listenSocket, EndPoint endPoint, ZeroCopyTransportOptions options, AspNetCoreMetrics metrics)
    {
        _listenSocket = listenSocket;
        EndPoint = endPoint;
        _options = options;
        _metrics = metrics;
    }

    public EndPoint EndPoint { get; }

    /// <summary>Creates, binds and listens, as Kestrel's SocketConnectionListener does (dual mode on [::], AddressInUseException).</summary>
    public static ZeroCopyConnectionListener Bind(EndPoint endPoint, ZeroCopyTransportOptions options, AspNetCoreMetrics metrics)
    {
        Socket socket = endPoint switch
        {
            IPEndPoint ip => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp),
            UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            _ => throw new NotSupportedException($"The ZeroCopy.Net transport binds IP and Unix domain socket endpoints, not {endPoint.GetType().Name}."),
        };

        try
        {
            if (endPoint is IPEndPoint { Address: var address } && address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        socket.Listen(options.Backlog);
        return new ZeroCopyConnectionListener(socket, socket.LocalEndPoint!, options, metrics);
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _listenSocket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null; // unbound
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return null; // unbound
            }
            catch (SocketException)
            {
                continue; // the peer reset the connection before it was accepted: take the next one
            }

            try
            {
                if (accepted.AddressFamily != AddressFamily.Unix)
                {
                    accepted.NoDelay = _options.NoDelay;
                }

                var connection = new ZeroCopyConnection(accepted, _options, _metrics);
                connection.Start();
                return connection;
            }
            catch (Exception ex) when (ex is SocketException or ArgumentException)
            {
                // Reset (or not connected any more) between accept and setup: drop it, take the next one.
                accepted.Dispose();
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _listenSocket.Dispose();
        return default;
    }

    public ValueTask DisposeAsync()
    {
        _listenSocket.Dispose();
        return default;
    }
}
