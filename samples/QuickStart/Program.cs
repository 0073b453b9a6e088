// Quick start: wrap a connected loopback socket, send a file with no user-space copy, and print
// what happened: bytes, which kernel path carried them, and what this machine can do.
using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Tasks;
using ZeroCopy.Net;

const int FileSize = 8 * 1024 * 1024;

string path = Path.Combine(Path.GetTempPath(), $"zerocopy-quickstart-{Environment.ProcessId}.bin");
byte[] content = RandomNumberGenerator.GetBytes(FileSize);
await File.WriteAllBytesAsync(path, content);

try
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(1);
    using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    await client.ConnectAsync(listener.LocalEndPoint!);
    using Socket server = await listener.AcceptAsync();

    // The receiving side: read everything and hash it.
    Task<byte[]> received = Task.Run(async () =>
    {
        using var ms = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await server.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            ms.Write(buffer, 0, n);
        }

        return SHA256.HashData(ms.ToArray());
    });

    long sent;
    ZeroCopyStatistics stats;
    ZeroCopyCapabilities capabilities;
    string platform;
    await using (var zc = new ZeroCopySocket(client))
    {
        sent = await zc.SendFileAsync(path);
        stats = zc.Statistics;
        capabilities = zc.Capabilities;
        platform = zc.PlatformName;
    }

    client.Shutdown(SocketShutdown.Send);
    bool intact = (await received).AsSpan().SequenceEqual(SHA256.HashData(content));

    Console.WriteLine($"ZeroCopy.Net quick start");
    Console.WriteLine($"  platform:              {platform} (process: {ZeroCopySocket.ProcessPlatformName}{(ZeroCopySocket.ProcessFallbackReason is string r ? $", fallback: {r}" : string.Empty)})");
    Console.WriteLine($"  capabilities:          {capabilities}");
    Console.WriteLine($"  bytes sent:            {sent:N0} of {FileSize:N0}");
    Console.WriteLine($"  kernel sendfile bytes: {stats.KernelSendFileBytes:N0} in {stats.KernelSendFileSyscalls} sendfile(2) calls");
    Console.WriteLine($"  copied bytes:          {stats.PortableCopiedBytes:N0}");
    Console.WriteLine($"  EAGAIN waits:          {stats.WouldBlockWaits}");
    Console.WriteLine($"  receiver hash matches: {intact}");
    return intact && sent == FileSize ? 0 : 1;
}
finally
{
    File.Delete(path);
}
