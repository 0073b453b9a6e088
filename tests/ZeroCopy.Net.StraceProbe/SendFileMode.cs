using System;
using System.IO;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Tasks;

namespace ZeroCopy.Net.StraceProbe;

/// <summary>
/// <c>sendfile linux|portable FILE</c>: sends FILE over loopback with the path overload of
/// SendFileAsync and checks the peer got the file's SHA-256. Under strace the Linux path shows
/// sendfile(socket-fd, ...) calls; the portable path shows none.
/// </summary>
public sealed class SendFileMode : IProbeMode
{
    public string Name => "sendfile";

    public string Usage => "linux|portable FILE";

    public async Task<int> RunAsync(string[] args)
    {
        bool? forcePortable = args.Length == 2 ? ProbeKit.ParseForcePortable(args[0]) : null;
        if (forcePortable is null)
        {
            await Console.Error.WriteLineAsync($"usage: {Name} {Usage}");
            return 2;
        }

        string path = args[1];
        byte[] expected = SHA256.HashData(File.ReadAllBytes(path));
        (Socket client, Socket server) = await ProbeKit.ConnectAsync();
        using (client)
        using (server)
        {
            await using var zc = new ZeroCopySocket(client, new ZeroCopySocketOptions { ForcePortable = forcePortable.Value });
            ProbeKit.Print("mode", Name);
            ProbeKit.Print("platform", zc.PlatformName);
            ProbeKit.Print("socket-fd", ProbeKit.Fd(client));

            Task<(long, byte[])> receive = ReceiveAllAsync(server);
            long sent = await zc.SendFileAsync(path);
            client.Shutdown(SocketShutdown.Send);
            (long received, byte[] hash) = await receive;

            bool verified = received == sent && hash.AsSpan().SequenceEqual(expected);
            ProbeKit.Print("bytes", sent);
            ProbeKit.Print("kernel-sendfile-bytes", zc.Statistics.KernelSendFileBytes);
            ProbeKit.Print("kernel-sendfile-syscalls", zc.Statistics.KernelSendFileSyscalls);
            ProbeKit.Print("portable-copied-bytes", zc.Statistics.PortableCopiedBytes);
            ProbeKit.Print("verified", verified ? "true" : "false");
            return verified ? 0 : 1;
        }
    }

    private static async Task<(long, byte[])> ReceiveAllAsync(Socket server)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = await server.ReceiveAsync(buffer.AsMemory(), SocketFlags.None)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }

        return (total, hash.GetHashAndReset());
    }
}
