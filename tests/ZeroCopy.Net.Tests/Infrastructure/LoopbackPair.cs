using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace ZeroCopy.Net.Tests.Infrastructure;

/// <summary>A connected TCP (or UDP) pair on loopback, port 0, for one test.</summary>
public sealed class LoopbackPair : IDisposable
{
    private LoopbackPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    /// <summary>The sending side (wrap it in a ZeroCopySocket).</summary>
    public Socket Client { get; }

    /// <summary>The receiving side.</summary>
    public Socket Server { get; }

    /// <summary>Creates a connected TCP pair. <paramref name="ipv6"/> uses a dual-mode AF_INET6 socket on [::1].</summary>
    public static async Task<LoopbackPair> CreateTcpAsync(bool ipv6 = false, bool noDelay = true)
    {
        IPAddress address = ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(1);
        var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = noDelay };
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await accept;
        return new LoopbackPair(client, server);
    }

    /// <summary>Creates a connected UDP pair.</summary>
    public static LoopbackPair CreateUdp(bool ipv6 = false)
    {
        IPAddress address = ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        var server = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(address, 0));
        var client = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(address, 0));
        client.Connect(server.LocalEndPoint!);
        server.Connect(client.LocalEndPoint!);
        return new LoopbackPair(client, server);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
