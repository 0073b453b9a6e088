using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net;
using ZeroCopy.Net.Internal;

// Request/response over loopback, one connection, closed loop: the client writes a 32-byte request,
// the server answers with a ~200 B header + a body of 1 KiB, 4 KiB or 64 KiB from a file, the
// client reads the whole response and records the latency. Server and client share this process
// (2 vCPUs: one thread each, mostly). Every configuration runs in its own child process so JIT,
// GC and leaked descriptors (the BCL's SendFileAsync leaks one per call on Linux) do not carry over.
//
// Usage: ZeroCopy.Net.Bench.Headers [seconds-per-run=2] [repetitions=3] [mode-filter|all] [on|off]
//        ZeroCopy.Net.Bench.Headers --child <mode> <bodyBytes> <nagle:on|off> <seconds>
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "--interleave")
{
    // --interleave <bodyBytes> <on|off> <seconds-per-mode> <mode,mode,...>
    return await Child.RunInterleavedAsync(args[4].Split(','), int.Parse(args[1]), args[2] == "on", double.Parse(args[3]));
}

if (args.Length > 0 && args[0] == "--child")
{
    return await Child.RunAsync(args[1], int.Parse(args[2]), args[3] == "on", double.Parse(args[4]));
}

double seconds = args.Length > 0 ? double.Parse(args[0]) : 2;
int reps = args.Length > 1 ? int.Parse(args[1]) : 3;
string? filter = args.Length > 2 && args[2] != "all" ? args[2] : null;
bool[] nagleModes = args.Length > 3 ? new[] { args[3] == "on" } : new[] { true, false };
string self = typeof(Child).Assembly.Location;

Console.WriteLine($"# {Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, platform {ZeroCopySocket.ProcessPlatformName}");
Console.WriteLine($"# {seconds} s per run, {reps} runs per configuration; req/s median [min-max]; latency percentiles from the median run");
Console.WriteLine("| mode | body | Nagle | req/s | p50 µs | p99 µs | p99.9 µs | max ms | >10 ms | >30 ms | responses | B/resp |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (bool nagle in nagleModes)
{
    foreach (int size in new[] { 1024, 4096, 65536 })
    {
        foreach (string mode in Child.Modes)
        {
            if (filter is not null && !mode.Contains(filter, StringComparison.Ordinal))
            {
                continue;
            }

            if (mode == "zc-toggle" && !nagle)
            {
                continue; // Toggling restores Nagle, which only makes sense on a Nagle-on socket.
            }

            var runs = new List<string[]>();
            for (int r = 0; r < reps; r++)
            {
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
                foreach (string a in new[] { self, "--child", mode, size.ToString(), nagle ? "on" : "off", seconds.ToString() })
                {
                    start.ArgumentList.Add(a);
                }

                using Process p = Process.Start(start)!;
                string output = await p.StandardOutput.ReadToEndAsync();
                await p.WaitForExitAsync();
                string? line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
                if (line is null)
                {
                    Console.WriteLine($"| {mode} | {size} | {(nagle ? "on" : "off")} | failed: {output.Trim().Replace('\n', ' ')} |");
                    break;
                }

                runs.Add(line.Split(' '));
            }

            if (runs.Count == reps)
            {
                var sorted = runs.OrderBy(r => double.Parse(r[1])).ToList();
                string[] median = sorted[sorted.Count / 2];
                Console.WriteLine($"| {mode} | {size / 1024} KiB | {(nagle ? "on" : "off")} | {double.Parse(median[1]):F0} [{double.Parse(sorted[0][1]):F0}-{double.Parse(sorted[^1][1]):F0}] | {median[2]} | {median[3]} | {median[4]} | {median[5]} | {median[6]} | {median[8]} | {median[9]} | {median[7]} |");
            }
        }
    }
}

return 0;

internal static class Child
{
    public static readonly string[] Modes =
    {
        "zc-handle", "zc-path", "zc-memory", "zc-sendfile-only", "zc-cork", "zc-toggle", "zc-nopush",
        "bcl-sendfile", "bcl-two-sends", "bcl-one-buffer",
    };

    private const int HeaderLength = 200;
    private const int RequestLength = 32;

    public static async Task<int> RunAsync(string mode, int bodySize, bool nagle, double seconds)
    {
        string path = Path.Combine(Path.GetTempPath(), $"zc-bench-{bodySize}-{Environment.ProcessId}.bin");
        var content = new byte[bodySize];
        new Random(bodySize).NextBytes(content);
        await File.WriteAllBytesAsync(path, content);
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = !nagle };
            await client.ConnectAsync(listener.LocalEndPoint!);
            using Socket server = await listener.AcceptAsync();
            server.NoDelay = !nagle;

            using var stop = new CancellationTokenSource();
            Task<long> serverTask = Task.Run(() => ServeAsync(mode, server, path, content, stop.Token));

            var request = new byte[RequestLength];
            var response = new byte[HeaderLength + bodySize];
            var latencies = new List<long>(1 << 20);

            // Warm-up, then the measured window.
            await Loop(client, request, response, TimeSpan.FromSeconds(0.3), null);
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            long startTicks = Stopwatch.GetTimestamp();
            int count = await Loop(client, request, response, TimeSpan.FromSeconds(seconds), latencies);
            double elapsed = Stopwatch.GetElapsedTime(startTicks).TotalSeconds;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

            client.Shutdown(SocketShutdown.Send);
            stop.Cancel();
            try
            {
                await serverTask;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
            {
            }

            latencies.Sort();
            double us(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))] * 1e6 / Stopwatch.Frequency;
            long over10ms = latencies.Count(l => l * 1000.0 / Stopwatch.Frequency > 10);
            long over30ms = latencies.Count(l => l * 1000.0 / Stopwatch.Frequency > 30);
            Console.WriteLine(FormattableString.Invariant(
                $"RESULT {count / elapsed:F0} {us(0.5):F0} {us(0.99):F0} {us(0.999):F0} {latencies[^1] * 1000.0 / Stopwatch.Frequency:F1} {over10ms} {allocated / Math.Max(1, count)} {over30ms} {latencies.Count}"));
            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The library's internal knobs for this mode; set before every send, so connections of different modes can take turns in one process.</summary>
    private static void ApplyTuning(string mode)
    {
        HeaderSendTuning.SmallFileThreshold = mode is "zc-sendfile-only" or "zc-cork" or "zc-nopush" ? 0 : 16 * 1024;
        HeaderSendTuning.AlwaysCork = mode == "zc-cork";
        HeaderSendTuning.TailPush = mode switch
        {
            "zc-toggle" => TailPushMode.TogglePerSend,
            "zc-nopush" => TailPushMode.None,
            _ => TailPushMode.NoDelayOnce,
        };
    }

    /// <summary>
    /// All modes in one process, one connection each, taking turns in 100 ms slices until each has
    /// had <paramref name="seconds"/>: background load (this machine is shared) hits every mode alike.
    /// </summary>
    public static async Task<int> RunInterleavedAsync(string[] modes, int bodySize, bool nagle, double seconds)
    {
        var content = new byte[bodySize];
        new Random(bodySize).NextBytes(content);
        var connections = new List<(string Mode, Socket Client, Socket Server, Task Serve, List<long> Latencies, long[] Ticks, double[] CpuSeconds)>();
        var paths = new List<string>();
        using var stop = new CancellationTokenSource();
        try
        {
            foreach (string mode in modes)
            {
                using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                listener.Listen(1);
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = !nagle };
                await client.ConnectAsync(listener.LocalEndPoint!);
                Socket server = await listener.AcceptAsync();
                server.NoDelay = !nagle;
                // A file of its own per connection: the BCL's SendFileAsync leaks an flock(LOCK_SH) per call,
                // and every close(2) of the same inode then walks that growing lock list.
                string path = Path.Combine(Path.GetTempPath(), $"zc-bench-{bodySize}-{Environment.ProcessId}-{mode}.bin");
                await File.WriteAllBytesAsync(path, content);
                paths.Add(path);
                Task serve = Task.Run(() => ServeAsync(mode, server, path, content, stop.Token));
                connections.Add((mode, client, server, serve, new List<long>(1 << 18), new long[1], new double[1]));
            }

            var request = new byte[RequestLength];
            var response = new byte[HeaderLength + bodySize];
            foreach (var c in connections)
            {
                await Loop(c.Client, request, response, TimeSpan.FromSeconds(0.2), null);
            }

            var slice = TimeSpan.FromMilliseconds(100);
            int slices = (int)Math.Ceiling(seconds / slice.TotalSeconds);
            for (int i = 0; i < slices; i++)
            {
                foreach (var c in connections)
                {
                    // CPU time of the whole process (server and client of this contender, plus the
                    // runtime) per turn: steadier than latency on a VM whose idle vCPUs are slow to wake.
                    double cpu0 = Environment.CpuUsage.TotalTime.TotalSeconds;
                    long t0 = Stopwatch.GetTimestamp();
                    await Loop(c.Client, request, response, slice, c.Latencies);
                    c.Ticks[0] += Stopwatch.GetTimestamp() - t0;
                    c.CpuSeconds[0] += Environment.CpuUsage.TotalTime.TotalSeconds - cpu0;
                }
            }

            foreach (var c in connections)
            {
                List<long> l = c.Latencies;
                l.Sort();
                double us(double q) => l[Math.Min(l.Count - 1, (int)(q * l.Count))] * 1e6 / Stopwatch.Frequency;
                double elapsed = c.Ticks[0] / (double)Stopwatch.Frequency;
                long over10 = l.Count(x => x * 1000.0 / Stopwatch.Frequency > 10);
                long over30 = l.Count(x => x * 1000.0 / Stopwatch.Frequency > 30);
                Console.WriteLine(FormattableString.Invariant(
                    $"| {c.Mode} | {bodySize / 1024} KiB | {(nagle ? "on" : "off")} | {l.Count / elapsed:F0} | {us(0.5):F0} | {us(0.99):F0} | {us(0.999):F0} | {l[^1] * 1000.0 / Stopwatch.Frequency:F1} | {over10} | {over30} | {l.Count} | {c.CpuSeconds[0] * 1e6 / l.Count:F1} |"));
            }

            return 0;
        }
        finally
        {
            stop.Cancel();
            foreach (var c in connections)
            {
                c.Client.Dispose();
                c.Server.Dispose();
            }

            foreach (string path in paths)
            {
                File.Delete(path);
            }
        }
    }

    private static async Task<int> Loop(Socket client, byte[] request, byte[] response, TimeSpan duration, List<long>? latencies)
    {
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        int count = 0;
        // The BCL's SendFileAsync leaks a descriptor per call: stay under the 20,000 fd limit.
        while (Stopwatch.GetTimestamp() < end && count < 15_000_000)
        {
            long t0 = Stopwatch.GetTimestamp();
            await client.SendAsync(request, SocketFlags.None);
            int got = 0;
            while (got < response.Length)
            {
                int n = await client.ReceiveAsync(response.AsMemory(got), SocketFlags.None);
                if (n == 0)
                {
                    throw new EndOfStreamException("server closed");
                }

                got += n;
            }

            latencies?.Add(Stopwatch.GetTimestamp() - t0);
            count++;
        }

        return count;
    }

    private static async Task<long> ServeAsync(string mode, Socket server, string path, byte[] content, CancellationToken stop)
    {
        var request = new byte[RequestLength];
        var header = new byte[HeaderLength];
        for (int i = 0; i < header.Length; i++)
        {
            header[i] = (byte)('a' + (i % 26));
        }

        var oneBuffer = new byte[HeaderLength + content.Length];
        content.CopyTo(oneBuffer, HeaderLength);
        await using var zc = new ZeroCopySocket(server);
        using SafeFileHandle handle = File.OpenHandle(path);
        long served = 0;
        int leakedBudget = 15_000;
        while (!stop.IsCancellationRequested)
        {
            int got = 0;
            while (got < RequestLength)
            {
                int n = await server.ReceiveAsync(request.AsMemory(got), SocketFlags.None, stop);
                if (n == 0)
                {
                    return served;
                }

                got += n;
            }

            ApplyTuning(mode);

            // The header changes per response in real servers: touch it.
            header[0] = (byte)('A' + (served % 26));
            switch (mode)
            {
                case "zc-path":
                    await zc.SendWithHeadersAsync(header, SendBody.FromFile(path), cancellationToken: stop);
                    break;
                case "zc-memory":
                    await zc.SendWithHeadersAsync(header, SendBody.FromMemory(content), cancellationToken: stop);
                    break;
                case "bcl-sendfile":
                    if (--leakedBudget < 0)
                    {
                        return served;
                    }

                    await server.SendFileAsync(path, header, null, TransmitFileOptions.UseDefaultWorkerThread, stop);
                    break;
                case "bcl-two-sends":
                    await server.SendAsync(header, SocketFlags.None, stop);
                    await server.SendAsync(content, SocketFlags.None, stop);
                    break;
                case "bcl-one-buffer":
                    header.CopyTo(oneBuffer, 0);
                    await server.SendAsync(oneBuffer, SocketFlags.None, stop);
                    break;
                default:
                    // A server knows the length it put in Content-Length: the handle goes with its count.
                    await zc.SendWithHeadersAsync(header, SendBody.FromFile(handle, 0, content.Length), cancellationToken: stop);
                    break;
            }

            served++;
        }

        return served;
    }
}
