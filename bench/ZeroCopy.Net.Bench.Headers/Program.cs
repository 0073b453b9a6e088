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
using ZeroCopy.Net.Platform.Linux;

// Request/response over loopback, one connection per contender, closed loop: the client writes a
// 32-byte request, the server answers with a ~200 B header + a body of 1 KiB, 4 KiB or 64 KiB from
// a file (or a cached copy), the client reads the whole response and records the latency.
//
// --serve is the server half for bench/ZeroCopy.Net.Bench.Headers/client/rr_client.c, which bench/run-headers-bench.sh
// drives: the published numbers come from there (a client in C, in its own process, and the
// server's CPU time read apart from the client's).
// --child (and no arguments: every configuration in a child process of its own) runs both halves in
// this process and also reports the bytes allocated per response.
//
// Usage: ZeroCopy.Net.Bench.Headers --serve <bodyBytes> <on|off> <mode,mode,...>
//        ZeroCopy.Net.Bench.Headers [seconds-per-run=2] [repetitions=3] [mode-filter|all] [on|off]
//        ZeroCopy.Net.Bench.Headers --child <mode> <bodyBytes> <nagle:on|off> <seconds>
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "--serve")
{
    // --serve <bodyBytes> <on|off> <mode,mode,...>: the server half only, for bench/ZeroCopy.Net.Bench.Headers/client/rr_client.c.
    return await Child.ServeExternalClientAsync(args[3].Split(','), int.Parse(args[1]), args[2] == "on");
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
        "bcl-sendfile", "bcl-two-sends", "bcl-one-buffer", "bcl-one-buffer-nodelay",
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

    /// <summary>The library's internal header-send knobs for this mode, given to this mode's sockets only, so connections of different modes can take turns in one process.</summary>
    private static HeaderSendTuning TuningFor(string mode) => new()
    {
        SmallFileThreshold = mode is "zc-sendfile-only" or "zc-cork" or "zc-nopush" ? 0 : 16 * 1024,
        AlwaysCork = mode == "zc-cork",
        TailPush = mode switch
        {
            "zc-toggle" => TailPushMode.TogglePerSend,
            "zc-nopush" => TailPushMode.None,
            _ => TailPushMode.NoDelayOnce,
        },
    };

    /// <summary>
    /// One listener per mode; prints "PORT mode port" lines, then "READY", serves the one connection
    /// each gets from the external client until it closes, and exits.
    /// </summary>
    public static async Task<int> ServeExternalClientAsync(string[] modes, int bodySize, bool nagle)
    {
        var content = new byte[bodySize];
        new Random(bodySize).NextBytes(content);
        var listeners = new List<(string Mode, Socket Listener, string Path)>();
        try
        {
            foreach (string mode in modes)
            {
                var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                listener.Listen(1);
                string path = Path.Combine(Path.GetTempPath(), $"zc-bench-{bodySize}-{Environment.ProcessId}-{mode}.bin");
                await File.WriteAllBytesAsync(path, content);
                listeners.Add((mode, listener, path));
                Console.WriteLine($"PORT {mode} {((IPEndPoint)listener.LocalEndPoint!).Port}");
            }

            Console.WriteLine("READY");
            Console.Out.Flush();
            var serving = new List<Task>();
            foreach (var (mode, listener, path) in listeners)
            {
                Socket server = await listener.AcceptAsync();
                server.NoDelay = !nagle;
                serving.Add(Task.Run(async () =>
                {
                    using (server)
                    {
                        try
                        {
                            await ServeAsync(mode, server, path, content, CancellationToken.None);
                        }
                        catch (Exception e) when (e is SocketException or IOException)
                        {
                            // The client closed mid-response: it is done.
                        }
                    }
                }));
            }

            await Task.WhenAll(serving);
            return 0;
        }
        finally
        {
            foreach (var (_, listener, path) in listeners)
            {
                listener.Dispose();
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
        if (mode == "bcl-one-buffer-nodelay")
        {
            // What SendWithHeadersAsync does to the socket (TCP_NODELAY once), without the library.
            server.NoDelay = true;
        }

        await using var zc = new ZeroCopySocket(server, new ZeroCopySocketOptions { HeaderTuning = TuningFor(mode) });
        using SafeFileHandle handle = File.OpenHandle(path);
        using SendCpu? sendCpu = SendCpu.ForMode(mode);
        long served = 0;
        int leakedBudget = 19_000; // under the 20,000-descriptor limit here
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

            // The header changes per response in real servers: touch it.
            header[0] = (byte)('A' + (served % 26));
            long cpu0 = sendCpu is null ? 0 : SendCpu.ThreadNanoseconds();
            int thread0 = Environment.CurrentManagedThreadId;
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
                case "bcl-one-buffer-nodelay":
                    header.CopyTo(oneBuffer, 0);
                    await server.SendAsync(oneBuffer, SocketFlags.None, stop);
                    break;
                default:
                    // A server knows the length it put in Content-Length: the handle goes with its count.
                    await zc.SendWithHeadersAsync(header, SendBody.FromFile(handle, 0, content.Length), cancellationToken: stop);
                    break;
            }

            if (sendCpu is not null && Environment.CurrentManagedThreadId == thread0)
            {
                // Only sends that completed on the calling thread: their whole cost is on this clock.
                sendCpu.Add(SendCpu.ThreadNanoseconds() - cpu0);
            }

            served++;
        }

        return served;
    }
}

/// <summary>
/// With ZC_BENCH_SEND_CPU=&lt;file&gt; set, the sending thread's CPU time of each send call that completed
/// on that thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID) around it), appended to the file as
/// "mode nanoseconds-per-send sends" when the connection ends: the send path's own cost, kernel
/// loopback delivery included, without the runtime's receive and dispatch around it.
/// </summary>
internal sealed class SendCpu : IDisposable
{
    private static readonly object FileLock = new();
    private readonly string _mode;
    private readonly string _path;
    private long _nanoseconds;
    private long _sends;

    private SendCpu(string mode, string path)
    {
        _mode = mode;
        _path = path;
    }

    public static SendCpu? ForMode(string mode)
        => Environment.GetEnvironmentVariable("ZC_BENCH_SEND_CPU") is { Length: > 0 } path ? new SendCpu(mode, path) : null;

    public static long ThreadNanoseconds()
    {
        _ = clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, out Timespec t);
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    public void Add(long nanoseconds)
    {
        _nanoseconds += nanoseconds;
        _sends++;
    }

    public void Dispose()
    {
        if (_sends > 0)
        {
            // Every connection ends at once, when the client closes them all.
            lock (FileLock)
            {
                File.AppendAllText(_path, FormattableString.Invariant($"{_mode} {_nanoseconds / (double)_sends:F0} {_sends}\n"));
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clock, out Timespec time);

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
