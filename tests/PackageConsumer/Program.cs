// A user's app built against the packed ZeroCopy.Net: sends a file over a real loopback TCP
// connection with both file overloads, checks every byte on the receiving side and prints what
// the package did. The packaging test parses these lines; exit code 0 means every byte arrived.
using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net;

const int FileSize = (1024 * 1024) + 13;
const int WindowOffset = 13;
const int WindowCount = 4096;

string path = Path.Combine(Path.GetTempPath(), $"zerocopy-package-consumer-{Environment.ProcessId}.bin");
byte[] content = RandomNumberGenerator.GetBytes(FileSize);
await File.WriteAllBytesAsync(path, content);

// What the peer must receive: the whole file (path overload), then a window of it (handle overload).
byte[] expected = new byte[FileSize + WindowCount];
content.CopyTo(expected, 0);
content.AsSpan(WindowOffset, WindowCount).CopyTo(expected.AsSpan(FileSize));

try
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(1);
    using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    await client.ConnectAsync(listener.LocalEndPoint!);
    using Socket server = await listener.AcceptAsync();

    Task<byte[]> received = Task.Run(async () =>
    {
        using var all = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = await server.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    });

    long sentWhole;
    long sentWindow;
    long kernelBytes;
    long copiedBytes;
    ZeroCopyCapabilities capabilities;
    string platform;
    await using (var zc = new ZeroCopySocket(client))
    {
        sentWhole = await zc.SendFileAsync(path);
        using (SafeFileHandle handle = File.OpenHandle(path))
        {
            sentWindow = await zc.SendFileAsync(handle, WindowOffset, WindowCount);
        }

        kernelBytes = zc.Statistics.KernelSendFileBytes;
        copiedBytes = zc.Statistics.PortableCopiedBytes;
        capabilities = zc.Capabilities;
        platform = zc.PlatformName;
    }

    client.Shutdown(SocketShutdown.Send);
    byte[] got = await received;
    bool intact = got.AsSpan().SequenceEqual(expected);

    string version = typeof(ZeroCopySocket).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    Console.WriteLine($"package: ZeroCopy.Net {version}");
    Console.WriteLine($"platform: {platform}");
    Console.WriteLine($"process capabilities: {ZeroCopySocket.ProcessCapabilities}");
    Console.WriteLine($"socket capabilities: {capabilities}");
    Console.WriteLine($"sent: {sentWhole + sentWindow}");
    Console.WriteLine($"kernel sendfile bytes: {kernelBytes}");
    Console.WriteLine($"copied bytes: {copiedBytes}");
    Console.WriteLine($"received: {got.Length} bytes, {(intact ? "identical" : "DIFFERENT")}");
    return intact && sentWhole == FileSize && sentWindow == WindowCount ? 0 : 1;
}
finally
{
    File.Delete(path);
}
