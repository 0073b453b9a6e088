using System;
using System.Globalization;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net.StraceProbe;

/// <summary>
/// Pinned sends from pool buffers on a socket that asks for the io_uring engine, every byte checked
/// by the peer. Prints which engine the socket got and the process's io_uring fallback reasons, so
/// a test can run it under strace, under a seccomp filter that refuses io_uring_setup, or under a
/// small RLIMIT_MEMLOCK, and see what the library did.
/// </summary>
public sealed class IoUringPinnedMode : IProbeMode
{
    public string Name => "iouring-pinned";

    public string Usage => "[sends] [bytes]: SendPinnedAsync with Engine = IoUring (zero-copy threshold 0)";

    public async Task<int> RunAsync(string[] args)
    {
        int sends = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 32;
        int length = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64 * 1024;
        (System.Net.Sockets.Socket client, System.Net.Sockets.Socket server) = await ProbeKit.ConnectAsync();
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 8L * 1024 * 1024 });
        var options = new ZeroCopySocketOptions { BufferPool = pool, Engine = SendEngine.IoUring, PinnedZeroCopyThreshold = 0, CopiedCompletionsBeforeFallback = 0 };
        long total = (long)sends * length;
        Task<bool> receive = ReceiveAsync(server, total);
        var zc = new ZeroCopySocket(client, options);
        ProbeKit.Print("socket-fd", ProbeKit.Fd(client));
        ProbeKit.Print("engine", zc.Engine);
        ProbeKit.Print("fallback-reason", ZeroCopySocket.ProcessIoUringFallbackReason ?? "none");
        for (int i = 0; i < sends; i++)
        {
            PinnedBuffer buffer = await pool.RentAsync(length);
            Fill(buffer.Span.Slice(0, length), (long)i * length);
            await zc.SendPinnedAsync(buffer, length);
        }

        bool verified = await receive;
        await zc.DisposeAsync();
        ProbeKit.Print("fixed-buffer-reason", ZeroCopySocket.ProcessIoUringFixedBufferFallbackReason ?? "none");
        ProbeKit.Print("zero-copy-sends", zc.Statistics.PinnedZeroCopySyscalls);
        ProbeKit.Print("completed-sends", zc.Statistics.ZeroCopyCompletedSends);
        ProbeKit.Print("in-flight-buffers", pool.InFlightBuffers);
        ProbeKit.Print("verified", verified ? "true" : "false");
        client.Dispose();
        server.Dispose();
        return verified ? 0 : 1;
    }

    private static byte At(long position) => (byte)((position * 31) ^ (position >> 9));

    private static void Fill(Span<byte> span, long position)
    {
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = At(position + i);
        }
    }

    private static async Task<bool> ReceiveAsync(System.Net.Sockets.Socket server, long total)
    {
        var buffer = new byte[256 * 1024];
        long position = 0;
        while (position < total)
        {
            int n = await server.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None);
            if (n == 0)
            {
                return false;
            }

            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != At(position + i))
                {
                    return false;
                }
            }

            position += n;
        }

        return true;
    }
}
