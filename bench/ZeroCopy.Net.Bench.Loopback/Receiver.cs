using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace ZeroCopy.Net.Bench.Loopback;

/// <summary>
/// The receiving process: accepts one connection at a time and drains each phase into a 256 KiB
/// buffer, counting bytes. It prints its port, and exits when its standard input closes (the
/// orchestrator holds it open).
/// </summary>
internal static class Receiver
{
    private const int BufferSize = 256 * 1024;

    public static int Run()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        Console.WriteLine($"PORT {((IPEndPoint)listener.LocalEndPoint!).Port}");
        Console.Out.Flush();

        var stdinWatcher = new Thread(() =>
        {
            while (Console.In.ReadLine() is not null)
            {
            }

            Environment.Exit(0);
        })
        { IsBackground = true, Name = "stdin watcher" };
        stdinWatcher.Start();

        byte[] buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
        using Process self = Process.GetCurrentProcess();
        Span<byte> header = stackalloc byte[WireProtocol.HeaderSize];
        while (true)
        {
            using Socket connection = listener.Accept();
            connection.NoDelay = true;
            while (WireProtocol.ReceiveExactly(connection, header))
            {
                long expected = BinaryPrimitives.ReadInt64LittleEndian(header);
                self.Refresh();
                TimeSpan cpu0 = self.TotalProcessorTime;
                long received = 0;
                while (received < expected)
                {
                    int n = connection.Receive(buffer, 0, (int)Math.Min(BufferSize, expected - received), SocketFlags.None);
                    if (n == 0)
                    {
                        break;
                    }

                    received += n;
                }

                self.Refresh();
                long cpuMicros = (long)((self.TotalProcessorTime - cpu0).Ticks / 10);
                WireProtocol.WriteAck(connection, received, cpuMicros);
                if (received < expected)
                {
                    break;
                }
            }
        }
    }
}
