using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace ZeroCopy.Net.Bench.Loopback;

/// <summary>
/// One sample in a fresh process: connect to the receiver, warm up (JIT, pools, the reactor
/// registration), then time <c>measured</c> whole-file sends and print one RESULT line.
/// </summary>
internal static class Sender
{
    // send <method> <fileLength> <port> <path> <warmupSends> <measuredSends>
    public static async Task<int> RunAsync(string[] args)
    {
        string method = args[0];
        long length = long.Parse(args[1], CultureInfo.InvariantCulture);
        int port = int.Parse(args[2], CultureInfo.InvariantCulture);
        string path = args[3];
        int warmup = int.Parse(args[4], CultureInfo.InvariantCulture);
        int measured = int.Parse(args[5], CultureInfo.InvariantCulture);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).ConfigureAwait(false);
        // Only the library's methods wrap the socket: the others run on a socket the library never touched.
        await using ZeroCopySocket? zc = method.StartsWith("zc-", StringComparison.Ordinal) ? new ZeroCopySocket(socket) : null;
        await using SendMethod sender = SendMethod.Create(method, socket, zc, path, length);

        using AllocationTypes? allocationTypes = Environment.GetEnvironmentVariable("ZC_BENCH_ALLOCATION_TYPES") == "1" ? new AllocationTypes() : null;
        using Process self = Process.GetCurrentProcess();
        await RunPhaseAsync(socket, sender, length, warmup).ConfigureAwait(false);
        allocationTypes?.Recording = true;

        int fdsBefore = CountFdsOpenOn(path);
        long syscallsBefore = sender.Statistics?.KernelSendFileSyscalls ?? 0;
        long waitsBefore = sender.Statistics?.WouldBlockWaits ?? 0;
        self.Refresh();
        TimeSpan user0 = self.UserProcessorTime;
        TimeSpan sys0 = self.PrivilegedProcessorTime;

        WireProtocol.WriteHeader(socket, length * measured);
        int gen0Before = GC.CollectionCount(0);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < measured; i++)
        {
            await sender.SendOnceAsync().ConfigureAwait(false);
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        int gen0 = GC.CollectionCount(0) - gen0Before;
        allocationTypes?.Recording = false;
        (long received, long receiverCpuMicros) = WireProtocol.ReadAck(socket);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        self.Refresh();
        double userSeconds = (self.UserProcessorTime - user0).TotalSeconds;
        double sysSeconds = (self.PrivilegedProcessorTime - sys0).TotalSeconds;
        int fdsAfter = CountFdsOpenOn(path);

        long syscalls = (sender.Statistics?.KernelSendFileSyscalls ?? 0) - syscallsBefore;
        long waits = (sender.Statistics?.WouldBlockWaits ?? 0) - waitsBefore;

        long expected = length * measured;
        if (received != expected)
        {
            Console.Error.WriteLine($"receiver counted {received} bytes, expected {expected}");
            return 2;
        }

        allocationTypes?.Print();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"RESULT bytes={expected} sends={measured} seconds={seconds:R} user={userSeconds:R} sys={sysSeconds:R} receiverCpu={receiverCpuMicros / 1e6:R} allocated={allocated} gen0={gen0} fdsBefore={fdsBefore} fdsAfter={fdsAfter} sendfileCalls={syscalls} eagainWaits={waits}"));
        return 0;
    }

    private static async Task RunPhaseAsync(Socket socket, SendMethod sender, long length, int sends)
    {
        WireProtocol.WriteHeader(socket, length * sends);
        for (int i = 0; i < sends; i++)
        {
            await sender.SendOnceAsync().ConfigureAwait(false);
        }

        (long received, _) = WireProtocol.ReadAck(socket);
        if (received != length * sends)
        {
            throw new InvalidOperationException($"warm-up: receiver counted {received} bytes, expected {length * sends}");
        }
    }

    /// <summary>Descriptors this process holds open on the payload file (the BCL's path overload leaks one per call).</summary>
    private static int CountFdsOpenOn(string path)
    {
        if (!Directory.Exists("/proc/self/fd"))
        {
            return -1;
        }

        string full = Path.GetFullPath(path);
        int count = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == full)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked (the enumeration's own, for one).
            }
        }

        return count;
    }
}
