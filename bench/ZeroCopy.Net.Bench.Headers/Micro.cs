using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using ZeroCopy.Net;

/// <summary>Per-call cost of the send itself, with a drain thread on the peer: isolates user-space overhead from the request/response round trip.</summary>
internal static class Micro
{
    private static unsafe void RawSendmsg(Socket socket, byte[] a, byte[] b)
    {
        fixed (byte* pa = a)
        fixed (byte* pb = b)
        {
            var iov = stackalloc ZeroCopy.Net.Interop.Linux.iovec[2];
            iov[0].iov_base = pa;
            iov[0].iov_len = (nuint)a.Length;
            iov[1].iov_base = pb;
            iov[1].iov_len = (nuint)b.Length;
            ZeroCopy.Net.Interop.Linux.msghdr msg = default;
            msg.msg_iov = iov;
            msg.msg_iovlen = b.Length == 0 ? 1u : 2u;
            long n = ZeroCopy.Net.Interop.Linux.sendmsg((int)socket.SafeHandle.DangerousGetHandle(), &msg, 0x4040);
            if (n != a.Length + b.Length)
            {
                throw new InvalidOperationException($"short {n}");
            }
        }
    }

    public static async Task<int> RunAsync(string mode, int bodySize, int calls)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        using Socket server = await listener.AcceptAsync();
        server.NoDelay = true;
        var drain = new Task(() =>
        {
            var buffer = new byte[1 << 20];
            while (client.Receive(buffer) > 0)
            {
            }
        }, TaskCreationOptions.LongRunning);
        drain.Start();
        var header = new byte[200];
        var body = new byte[bodySize];
        var one = new byte[200 + bodySize];
        await using var zc = new ZeroCopySocket(server);
        for (int round = 0; round < 2; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                switch (mode)
                {
                    case "zc-memory":
                        await zc.SendWithHeadersAsync(header, SendBody.FromMemory(body));
                        break;
                    case "raw-sendmsg":
                        RawSendmsg(server, header, body);
                        break;
                    case "raw-send":
                        RawSendmsg(server, one, Array.Empty<byte>());
                        break;
                    case "bcl-one-buffer":
                        header.CopyTo(one, 0);
                        await server.SendAsync(one, SocketFlags.None);
                        break;
                }
            }

            double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / calls;
            if (round == 1)
            {
                Console.WriteLine($"{mode} {bodySize} B: {ns:F0} ns per send");
            }
        }

        server.Shutdown(SocketShutdown.Send);
        await drain;
        return 0;
    }
}
