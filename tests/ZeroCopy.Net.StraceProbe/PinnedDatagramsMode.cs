using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net.StraceProbe;

/// <summary>
/// Bursts of datagrams through SendPinnedDatagramsAsync on a connected UDP socket, on the engine
/// named, every datagram checked by the peer: under strace a test sees one io_uring_enter (io_uring)
/// or one sendmmsg(MSG_ZEROCOPY) (epoll) per burst.
/// </summary>
public sealed class PinnedDatagramsMode : IProbeMode
{
    public string Name => "pinned-datagrams";

    public string Usage => "[IoUring|Epoll] [bursts] [datagrams per burst] [bytes]: SendPinnedDatagramsAsync (zero-copy threshold 0)";

    public async Task<int> RunAsync(string[] args)
    {
        SendEngine engine = args.Length > 0 ? Enum.Parse<SendEngine>(args[0]) : SendEngine.IoUring;
        int bursts = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
        int perBurst = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        int length = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 8192;
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        // The burst waits in the receive queue until read; SEND_ZC from registered memory arrives
        // over loopback with a large truesize: as root, SO_RCVBUFFORCE makes room for it.
        server.SetRawSocketOption(1 /* SOL_SOCKET */, 33 /* SO_RCVBUFFORCE */, BitConverter.GetBytes(64 << 20));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(server.LocalEndPoint!);
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 8L * 1024 * 1024 });
        var options = new ZeroCopySocketOptions { BufferPool = pool, Engine = engine, PinnedZeroCopyThreshold = 0, CopiedCompletionsBeforeFallback = 0 };
        var zc = new ZeroCopySocket(client, options);
        ProbeKit.Print("socket-fd", ProbeKit.Fd(client));
        ProbeKit.Print("engine", zc.Engine);
        ProbeKit.Print("fallback-reason", ZeroCopySocket.ProcessIoUringFallbackReason ?? "none");
        var buffers = new PinnedBuffer[perBurst];
        var lengths = new int[perBurst];
        var received = new byte[65536];
        bool verified = true;
        long sequence = 0;
        for (int burst = 0; burst < bursts; burst++)
        {
            for (int i = 0; i < perBurst; i++)
            {
                buffers[i] = pool.Rent(length);
                lengths[i] = length;
                Fill(buffers[i].Span.Slice(0, length), sequence + i);
            }

            await zc.SendPinnedDatagramsAsync(buffers, lengths);

            // Received after the burst: the burst fits the loopback receive buffer.
            for (int i = 0; i < perBurst; i++)
            {
                int n = await server.ReceiveAsync(received, SocketFlags.None);
                var want = new byte[length];
                Fill(want, sequence + i);
                verified &= n == length && received.AsSpan(0, n).SequenceEqual(want);
            }

            sequence += perBurst;
        }

        await zc.DisposeAsync();
        ProbeKit.Print("pinned-send-calls", zc.Statistics.PinnedSendCalls);
        ProbeKit.Print("zero-copy-sends", zc.Statistics.PinnedZeroCopySyscalls);
        ProbeKit.Print("completed-sends", zc.Statistics.ZeroCopyCompletedSends);
        ProbeKit.Print("in-flight-buffers", pool.InFlightBuffers);
        ProbeKit.Print("verified", verified ? "true" : "false");
        return verified ? 0 : 1;
    }

    private static void Fill(Span<byte> span, long datagram)
    {
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (byte)((datagram * 131) + (i * 7) + (i >> 8));
        }
    }
}
