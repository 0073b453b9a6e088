using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace ZeroCopy.Net.Bench.Loopback;

/// <summary>
/// Paired comparison in one process on one connection: batches of each method back to back, the
/// order rotated every cycle, so both sides of every ratio saw the same machine load within a
/// fraction of a second. On a shared, noisy machine this resolves differences of a few percent that
/// the per-process samples cannot. Prints one PAIRED line per batch.
/// </summary>
internal static class Paired
{
    // paired <method,method,...> <fileLength> <port> <path> <batchSends> <cycles> <bclPath>
    // The BCL's methods send an identical copy of the file (another inode): the advisory locks they
    // leak would otherwise make every close() of the shared file walk a growing lock list, which
    // slows the library's path overload in the same process (measured: see docs/benchmarks.md).
    public static async Task<int> RunAsync(string[] args)
    {
        string[] methods = args[0].Split(',');
        long length = long.Parse(args[1], CultureInfo.InvariantCulture);
        int port = int.Parse(args[2], CultureInfo.InvariantCulture);
        string path = args[3];
        int batch = int.Parse(args[4], CultureInfo.InvariantCulture);
        int cycles = int.Parse(args[5], CultureInfo.InvariantCulture);
        string bclPath = args[6];

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).ConfigureAwait(false);
        await using ZeroCopySocket? zc = methods.Any(m => m.StartsWith("zc-", StringComparison.Ordinal)) ? new ZeroCopySocket(socket) : null;
        var senders = new SendMethod[methods.Length];
        for (int i = 0; i < methods.Length; i++)
        {
            senders[i] = SendMethod.Create(methods[i], socket, zc, methods[i].StartsWith("bcl-", StringComparison.Ordinal) ? bclPath : path, length);
        }

        try
        {
            using Process self = Process.GetCurrentProcess();
            for (int cycle = -1; cycle < cycles; cycle++)
            {
                for (int k = 0; k < methods.Length; k++)
                {
                    int m = (k + Math.Max(cycle, 0)) % methods.Length;
                    self.Refresh();
                    TimeSpan cpu0 = self.TotalProcessorTime;
                    WireProtocol.WriteHeader(socket, length * batch);
                    long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
                    long start = Stopwatch.GetTimestamp();
                    for (int i = 0; i < batch; i++)
                    {
                        await senders[m].SendOnceAsync().ConfigureAwait(false);
                    }

                    long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
                    (long received, _) = WireProtocol.ReadAck(socket);
                    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    self.Refresh();
                    double cpu = (self.TotalProcessorTime - cpu0).TotalSeconds;
                    if (received != length * batch)
                    {
                        Console.Error.WriteLine($"{methods[m]}: receiver counted {received} bytes, expected {length * batch}");
                        return 2;
                    }

                    if (cycle >= 0)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PAIRED method={methods[m]} cycle={cycle} bytes={length * batch} sends={batch} seconds={seconds:R} cpu={cpu:R} allocated={allocated}"));
                    }
                }
            }
        }
        finally
        {
            foreach (SendMethod sender in senders)
            {
                await sender.DisposeAsync().ConfigureAwait(false);
            }
        }

        return 0;
    }
}
