using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace ZeroCopy.Net.StraceProbe;

/// <summary>Helpers shared by probe modes.</summary>
internal static class ProbeKit
{
    /// <summary>Parses "linux" (the process's kernel path) or "portable" (forced copying path).</summary>
    public static bool? ParseForcePortable(string path) => path switch
    {
        "linux" => false,
        "portable" => true,
        _ => null,
    };

    /// <summary>A connected loopback TCP pair on port 0.</summary>
    public static async Task<(Socket Client, Socket Server)> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, await accept);
    }

    /// <summary>The descriptor number strace shows for <paramref name="socket"/>.</summary>
    public static int Fd(Socket socket) => (int)socket.SafeHandle.DangerousGetHandle();

    public static void Print(string key, object? value) => Console.WriteLine(FormattableString.Invariant($"{key}={value}"));
}
