using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net;
using ZeroCopy.Net.Buffers;

// SendPinnedAsync vs Socket.SendAsync, sender-bound throughput.
//
//   udp <ip> <port>   connected UDP with UDP_SEGMENT=1400 to an address whose packets the rig drops
//                     at the device (no network cost, no kernel copy: true zero-copy)
//   tcp               loopback TCP to a receiver in this process (the kernel always copies there)
//
// Both paths send from a 512 MiB working set, rotated so the data is cold in the CPU caches as in a
// real server, and write a 64-byte stamp into every 4 KiB page of a buffer before sending it (the
// way a program fills a buffer it is about to send, without making the whole buffer hot).
// Each (size, path) runs for --seconds, --rounds times, alternating paths, after an unreported
// warm-up of each; GB/s = 1e9 bytes/s. UDP's "64 KiB" row sends 65000-byte datagrams (UDP's limit
// is 65507).
//
// --sockets N (default 1): N connected sockets (UDP: each with UDP_SEGMENT and SO_SNDBUF; TCP: N
// loopback connections, each with its own receiver), each with its own ZeroCopySocket on the pinned
// paths, all renting from the one pool, and N concurrent sender tasks, each running the loop below
// for --seconds. GB/s = all sockets' bytes / wall time; CPU s/GB stays the whole process's. A
// server sends on many sockets at once: this shows whether per-socket costs (error queue drains,
// in-flight limits, reactor or ring wake-ups) add up differently from one socket's.

var argsList = args.ToList();
string mode = argsList.Count > 0 ? argsList[0] : "tcp";
double seconds = Option("--seconds", 1.5);
int rounds = (int)Option("--rounds", 3);
long workingSet = (long)Option("--working-set-mib", 512) * 1024 * 1024;
int[] sizes = OptionList("--sizes", "8192,16384,32768,65536").Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
string[] paths = OptionList("--paths", "bcl,pinned");
if (mode == "tcp")
{
    // Datagram bursts need a datagram socket: run.sh passes the same --paths to its loopback TCP run.
    paths = paths.Where(p => !p.EndsWith("-burst", StringComparison.Ordinal)).ToArray();
}

// --write stamp (default): a 64-byte stamp into every 4 KiB page of a buffer before it is sent, as a
// program that generates data writes it; --write none: the bytes are sent as they lie in the working
// set, as a cache serves values written long before (the kernel's MSG_ZEROCOPY notes' case).
bool stamp = (argsList.Contains("--write") ? argsList[argsList.IndexOf("--write") + 1] : "stamp") != "none";
int? threshold = argsList.Contains("--threshold") ? (int)Option("--threshold", 0) : null; // default: the library's
// Paths ending in "-burst" send --burst datagrams per SendPinnedDatagramsAsync call (raw_uring's queue depth).
int burst = (int)Option("--burst", 8);
int socketCount = (int)Option("--sockets", 1);
if (socketCount < 1)
{
    Console.Error.WriteLine("--sockets must be at least 1");
    return 2;
}

// Each socket may hold MaxPinnedBytesInFlight (the library's default, 4 MiB) in the kernel's hands.
long inFlightPerSocket = new ZeroCopySocketOptions().MaxPinnedBytesInFlight;

Console.WriteLine($"# mode={mode} write={(stamp ? "stamp" : "none")} threshold={(threshold?.ToString(CultureInfo.InvariantCulture) ?? "default")} seconds={seconds} rounds={rounds} working-set={workingSet >> 20} MiB cpus={Environment.ProcessorCount} os={System.Runtime.InteropServices.RuntimeInformation.OSDescription} runtime={Environment.Version} sockets={socketCount}");
Console.WriteLine("# transport size path round GBps sockets=N");

var results = new List<(string Transport, int Size, string Path, double GBps)>();
byte[] bclWorkingSet = new byte[workingSet];
new Random(1).NextBytes(bclWorkingSet);
PinnedBufferPool pool = null!;

foreach (int size in sizes)
{
    // One pool per size: 8 KiB sends use 16 KiB buffers and 32 KiB sends 64 KiB ones, so each needs its own slabs.
    pool?.Dispose();
    // The working set (up to twice its bytes: buffers round up to their size class) plus headroom for
    // what every socket can hold beyond it: its in-flight bytes (again up to twice, in buffers) and a
    // burst of rented, not yet sent, buffers of up to 64 KiB. The pool maps only what renting needs;
    // this is a ceiling, so N sockets never meet InsufficientMemoryException where one would not.
    pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 2 * workingSet + (64L << 20) + socketCount * 2 * (inFlightPerSocket + burst * (64L << 10)) });
    // Put the working set into the pool's free queue in order: FIFO renting then rotates through all of it.
    int count = (int)(workingSet / size);
    var warm = new PinnedBuffer[count];
    for (int i = 0; i < count; i++)
    {
        warm[i] = pool.Rent(size);
        warm[i].Span.Fill((byte)i);
    }

    foreach (PinnedBuffer b in warm)
    {
        b.Dispose();
    }

    // Warm-up (not reported): tiered JIT reaches optimised code, sockets and reactor exist.
    foreach (string path in paths)
    {
        double saved = seconds;
        seconds = 0.3;
        _ = mode == "udp"
            ? await RunUdpAsync(path, size, IPAddress.Parse(argsList[1]), int.Parse(argsList[2], CultureInfo.InvariantCulture))
            : await RunTcpAsync(path, size);
        seconds = saved;
    }

    for (int round = 1; round <= rounds; round++)
    {
        foreach (string path in paths)
        {
            double gbps = mode == "udp"
                ? await RunUdpAsync(path, size, IPAddress.Parse(argsList[1]), int.Parse(argsList[2], CultureInfo.InvariantCulture))
                : await RunTcpAsync(path, size);
            results.Add((mode, size, path, gbps));
            Console.WriteLine(FormattableString.Invariant($"{mode} {size} {path} {round} {gbps:F2} sockets={socketCount}"));
        }
    }
}

pool.Dispose();
Console.WriteLine();
Console.WriteLine($"| transport, {socketCount} socket(s) | size | Socket.SendAsync GB/s min/med/max | SendPinnedAsync GB/s min/med/max | ratio (medians) |");
Console.WriteLine("|---|---|---|---|---|");
foreach (int size in sizes)
{
    double[] bcl = results.Where(r => r.Size == size && r.Path == "bcl").Select(r => r.GBps).OrderBy(x => x).ToArray();
    double[] pinned = results.Where(r => r.Size == size && r.Path == "pinned").Select(r => r.GBps).OrderBy(x => x).ToArray();
    if (bcl.Length == 0 || pinned.Length == 0)
    {
        continue; // one path only (--paths): nothing to compare
    }

    Console.WriteLine(FormattableString.Invariant(
        $"| {mode} | {size / 1024} KiB | {bcl[0]:F2} / {Median(bcl):F2} / {bcl[^1]:F2} | {pinned[0]:F2} / {Median(pinned):F2} / {pinned[^1]:F2} | {Median(pinned) / Median(bcl):F2}x |"));
}

if (paths.Contains("pinned-iouring"))
{
    Console.WriteLine();
    Console.WriteLine($"| transport, {socketCount} socket(s) | size | SendPinnedAsync epoll GB/s min/med/max | SendPinnedAsync io_uring GB/s min/med/max | io_uring / epoll (medians) |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (int size in sizes)
    {
        double[] epoll = results.Where(r => r.Size == size && r.Path is "pinned" or "pinned-epoll").Select(r => r.GBps).OrderBy(x => x).ToArray();
        double[] uring = results.Where(r => r.Size == size && r.Path == "pinned-iouring").Select(r => r.GBps).OrderBy(x => x).ToArray();
        if (epoll.Length == 0 || uring.Length == 0)
        {
            continue;
        }

        Console.WriteLine(FormattableString.Invariant(
            $"| {mode} | {size / 1024} KiB | {epoll[0]:F2} / {Median(epoll):F2} / {epoll[^1]:F2} | {uring[0]:F2} / {Median(uring):F2} / {uring[^1]:F2} | {Median(uring) / Median(epoll):F2}x |"));
    }
}

if (paths.Any(p => p.EndsWith("-burst", StringComparison.Ordinal)))
{
    Console.WriteLine();
    Console.WriteLine($"| transport, {socketCount} socket(s) | size | one call per datagram, epoll / io_uring GB/s (median) | bursts of {burst}: epoll (sendmmsg) / io_uring / Auto GB/s (median) | io_uring bursts ÷ epoll one-per-call | io_uring bursts ÷ epoll bursts | Auto ÷ the better burst engine |");
    Console.WriteLine("|---|---|---|---|---|---|---|");
    foreach (int size in sizes)
    {
        double M(string path) => results.Where(r => r.Size == size && r.Path == path).Select(r => r.GBps).DefaultIfEmpty(double.NaN).OrderBy(x => x).ToArray() is { } v ? Median(v) : double.NaN;
        double epoll = M("pinned"), uring = M("pinned-iouring"), epollBurst = M("pinned-epoll-burst"), uringBurst = M("pinned-iouring-burst"), autoBurst = M("pinned-burst");
        Console.WriteLine(FormattableString.Invariant(
            $"| {mode} | {size / 1024} KiB | {epoll:F2} / {uring:F2} | {epollBurst:F2} / {uringBurst:F2} / {autoBurst:F2} | {uringBurst / epoll:F2}x | {uringBurst / epollBurst:F2}x | {autoBurst / Math.Max(epollBurst, uringBurst):F2}x |"));
    }

    Console.WriteLine($"# Auto bursts (pinned-burst) went on: {string.Join(", ", sizes.Select(size => FormattableString.Invariant($"{size / 1024} KiB {ZeroCopySocket.GetProcessDatagramBurstEngine(Math.Min(size, 65000))}")))}");
    Console.WriteLine($"#   because: {ZeroCopySocket.ProcessDatagramBurstEngineReason ?? "still measuring"}");
}

return 0;

double Option(string name, double fallback)
{
    int i = argsList.IndexOf(name);
    return i >= 0 ? double.Parse(argsList[i + 1], CultureInfo.InvariantCulture) : fallback;
}

string[] OptionList(string name, string fallback)
{
    int i = argsList.IndexOf(name);
    return (i >= 0 ? argsList[i + 1] : fallback).Split(',', StringSplitOptions.RemoveEmptyEntries);
}

static double Median(double[] sorted) => sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;

static void Stamp(Span<byte> buffer, long sequence)
{
    for (int page = 0; page < buffer.Length; page += 4096)
    {
        Span<byte> stamp = buffer.Slice(page, Math.Min(64, buffer.Length - page));
        BitConverter.TryWriteBytes(stamp, sequence);
        stamp.Slice(8).Fill((byte)sequence);
    }
}

async Task<double> RunUdpAsync(string path, int size, IPAddress address, int port)
{
    var sockets = new Socket[socketCount];
    try
    {
        for (int k = 0; k < sockets.Length; k++)
        {
            sockets[k] = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            sockets[k].SendBufferSize = 4 * 1024 * 1024;
            sockets[k].SetRawSocketOption(17 /* SOL_UDP */, 103 /* UDP_SEGMENT */, BitConverter.GetBytes(1400));
            sockets[k].Connect(new IPEndPoint(address, port));
        }

        // CPU seconds per GB for the whole process (sending threads, epoll reactor or io_uring completion
        // thread, GC), on stderr beside the path's counters: the issue's table wants it per contender.
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        double gbps = await MeasureAsync(sockets, path, size);
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.Error.WriteLine(FormattableString.Invariant($"#   {path} {size}: cpu_s_per_gb={cpu / (gbps * wall.Elapsed.TotalSeconds):F3} sockets={socketCount}"));
        return gbps;
    }
    finally
    {
        foreach (Socket? socket in sockets)
        {
            socket?.Dispose();
        }
    }
}

async Task<double> RunTcpAsync(string path, int size)
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(socketCount);
    var clients = new Socket[socketCount];
    var servers = new Socket[socketCount];
    var sinks = new Task[socketCount];
    try
    {
        for (int k = 0; k < socketCount; k++)
        {
            clients[k] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            Task<Socket> accept = listener.AcceptAsync();
            await clients[k].ConnectAsync(listener.LocalEndPoint!);
            Socket server = servers[k] = await accept;
            sinks[k] = Task.Run(async () =>
            {
                var buffer = new byte[1 << 20];
                while (await server.ReceiveAsync(buffer, SocketFlags.None) > 0)
                {
                }
            });
        }

        double result = await MeasureAsync(clients, path, size);
        foreach (Socket client in clients)
        {
            client.Shutdown(SocketShutdown.Send);
        }

        await Task.WhenAll(sinks);
        return result;
    }
    finally
    {
        foreach (Socket? socket in clients.Concat(servers))
        {
            socket?.Dispose();
        }
    }
}

async Task<double> MeasureAsync(Socket[] sockets, string path, int size)
{
    if (sockets[0].SocketType == SocketType.Dgram && size > 65000)
    {
        size = 65000; // the largest UDP payload is 65507 bytes: the "64 KiB" UDP row sends 65000-byte datagrams
    }

    long deadline = (long)(seconds * Stopwatch.Frequency);
    if (path == "bcl")
    {
        int slots = (int)(workingSet / size);
        var watch = Stopwatch.StartNew();
        long sent = (await RunSendersAsync(k => BclLoopAsync(sockets[k], k))).Sum();
        return sent / watch.Elapsed.TotalSeconds / 1e9;

        async Task<long> BclLoopAsync(Socket socket, int first)
        {
            // Sender k takes sequences k, k + N, k + 2N...: together the N senders rotate through the
            // whole working set once, as one sender does, instead of all stamping the same slots.
            long sent = 0;
            long sequence = first;
            while (watch.ElapsedTicks < deadline)
            {
                for (int i = 0; i < 64; i++)
                {
                    Memory<byte> chunk = bclWorkingSet.AsMemory((int)(sequence % slots) * size, size);
                    if (stamp)
                    {
                        Stamp(chunk.Span, sequence);
                    }

                    sequence += sockets.Length;
                    sent += await socket.SendAsync(chunk, SocketFlags.None);
                }

                await YieldBetweenSendersAsync();
            }

            return sent;
        }
    }
    else
    {
        // Default options: the measured threshold and the COPIED adaptation are what users get
        // (--threshold overrides the threshold, to measure the crossover).
        // "pinned" = the default engine (Auto, today epoll); "pinned-iouring" asks for the io_uring
        // engine (SEND_ZC from registered slabs), "pinned-epoll" names epoll explicitly.
        var options = new ZeroCopySocketOptions
        {
            BufferPool = pool,
            // "-burst" paths: "pinned-epoll-burst" (sendmmsg), "pinned-iouring-burst" (one io_uring_enter per
            // burst), "pinned-burst" (Auto: the engine the process measured cheaper on its first bursts).
            Engine = path switch { "pinned-iouring" or "pinned-iouring-burst" => SendEngine.IoUring, "pinned-epoll" or "pinned-epoll-burst" => SendEngine.Epoll, _ => SendEngine.Auto },
        };
        if (threshold is int t && path != "pinned-measured")
        {
            options.PinnedZeroCopyThreshold = t;
        }

        // The crossover contenders (issue 12), in the same run as the default: "pinned-copy" never uses
        // MSG_ZEROCOPY, "pinned-zc" always does, "pinned-measured" follows the crossover the process
        // measures (MeasurePinnedCrossover; its estimates carry over from round to round, as in a server).
        switch (path)
        {
            case "pinned-copy":
                options.PinnedZeroCopyThreshold = int.MaxValue;
                break;
            case "pinned-zc":
                options.PinnedZeroCopyThreshold = 0;
                break;
            case "pinned-measured":
                options.MeasurePinnedCrossover = true; // ignores --threshold: a set threshold would fix the crossover
                break;
        }

        var zcs = new ZeroCopySocket[sockets.Length];
        try
        {
            // Created before the clock starts: N sockets' setup is not sending.
            for (int k = 0; k < sockets.Length; k++)
            {
                zcs[k] = new ZeroCopySocket(sockets[k], options);
            }

            if (options.Engine == SendEngine.IoUring && zcs[0].Engine != SendEngine.IoUring)
            {
                Console.Error.WriteLine($"#   {path}: io_uring unavailable, this row is epoll: {ZeroCopySocket.ProcessIoUringFallbackReason}");
            }

            bool bursts = path.EndsWith("-burst", StringComparison.Ordinal);
            var watch = Stopwatch.StartNew();
            long sent = (await RunSendersAsync(k => PinnedLoopAsync(zcs[k], k))).Sum();
            watch.Stop();
            ZeroCopyStatistics[] all = zcs.Select(z => z.Statistics).ToArray();
            Console.Error.WriteLine(FormattableString.Invariant(
                $"#   {path} {size} ({zcs[0].Engine}): zerocopy syscalls {all.Sum(s => s.PinnedZeroCopySyscalls)}, completed {all.Sum(s => s.ZeroCopyCompletedSends)} (copied {all.Sum(s => s.ZeroCopyCopiedCompletions)}), notifications {all.Sum(s => s.ZeroCopyNotifications)}, copied bytes {all.Sum(s => s.PinnedCopiedBytes)}, nobufs {all.Sum(s => s.ZeroCopyNoBufsFallbacks)}, backpressure waits {all.Sum(s => s.PinnedBackpressureWaits)}, switched-to-copy {all.Any(s => s.ZeroCopyDisabledByCopiedCompletions)} sockets={zcs.Length} switched-sockets={all.Count(s => s.ZeroCopyDisabledByCopiedCompletions)}"));
            if (path == "pinned-measured")
            {
                Console.Error.WriteLine(FormattableString.Invariant($"#   {path} {size}: crossover in force {all[0].PinnedZeroCopyCrossover} ({all[0].PinnedZeroCopyCrossoverSource}); estimates {CrossoverEstimates()}"));
            }

            return sent / watch.Elapsed.TotalSeconds / 1e9;

            async Task<long> PinnedLoopAsync(ZeroCopySocket zc, int first)
            {
                long sent = 0;
                long sequence = first; // k, k + N, ...: only the stamp's value; the pool's FIFO picks the buffers
                var burstBuffers = new PinnedBuffer[burst];
                int[] burstLengths = Enumerable.Repeat(size, burst).ToArray();
                while (bursts && watch.ElapsedTicks < deadline)
                {
                    // "-burst": SendPinnedDatagramsAsync, --burst datagrams per call (UDP only: one datagram per buffer).
                    for (int i = 0; i < 64; i += burst)
                    {
                        for (int j = 0; j < burst; j++)
                        {
                            burstBuffers[j] = pool.Rent(size);
                            if (stamp)
                            {
                                Stamp(burstBuffers[j].Span.Slice(0, size), sequence);
                            }

                            sequence += zcs.Length;
                        }

                        await zc.SendPinnedDatagramsAsync(burstBuffers, burstLengths);
                        sent += (long)size * burst;
                    }

                    await YieldBetweenSendersAsync();
                }

                while (!bursts && watch.ElapsedTicks < deadline)
                {
                    for (int i = 0; i < 64; i++)
                    {
                        PinnedBuffer buffer = pool.Rent(size);
                        if (stamp)
                        {
                            Stamp(buffer.Span.Slice(0, size), sequence);
                        }

                        sequence += zcs.Length;
                        await zc.SendPinnedAsync(buffer, size);
                        sent += size;
                    }

                    await YieldBetweenSendersAsync();
                }

                return sent;
            }
        }
        finally
        {
            foreach (ZeroCopySocket? zc in zcs)
            {
                if (zc is not null)
                {
                    await zc.DisposeAsync();
                }
            }
        }
    }
}

// One sender: runs inline, exactly as before --sockets existed. N senders: each on the thread pool,
// started together, the clock running until the last one is done.
async Task<long[]> RunSendersAsync(Func<int, Task<long>> sender)
{
    if (socketCount == 1)
    {
        return [await sender(0)];
    }

    long[] sent = await Task.WhenAll(Enumerable.Range(0, socketCount).Select(k => Task.Run(() => sender(k))));
    // Each sender's share (stderr, beside the counters): shows all N took part, not a few that got threads first.
    Console.Error.WriteLine(FormattableString.Invariant($"#   {socketCount} senders: MB per sender min/max {sent.Min() / 1e6:F0} / {sent.Max() / 1e6:F0}"));
    return sent;
}

// UDP sends to the rig nearly always complete synchronously, so a sender task never gives its thread
// back: with more senders than pool threads the others would wait for the thread pool to inject
// threads (about one per 0.5 s) and start late. Yielding after every 64 sends lets the N senders take
// turns on the threads there are, as a server's connections do; one sender has nobody to yield to.
ValueTask YieldBetweenSendersAsync()
{
    if (socketCount == 1)
    {
        return ValueTask.CompletedTask;
    }

    return YieldAsync();

    static async ValueTask YieldAsync() => await Task.Yield();
}

// The measured crossover's estimates (internal; read by reflection for this diagnostic line only):
// per size class 4 KiB..256 KiB, copy / zero-copy sendmsg CPU in ns per KiB, and the drain cost per send.
static string CrossoverEstimates()
{
    Type? type = typeof(ZeroCopySocket).Assembly.GetType("ZeroCopy.Net.Platform.Linux.CrossoverPolicy");
    object? policy = type?.GetProperty("Process")?.GetValue(null);
    System.Reflection.MethodInfo? estimate = type?.GetMethod("EstimateNsPerKiB");
    System.Reflection.FieldInfo? drain = type?.GetField("_drainNsPerSend", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
    if (policy is null || estimate is null)
    {
        return "(unavailable)";
    }

    var parts = new List<string>();
    for (int c = 0; c < 7; c++)
    {
        double copy = (double)estimate.Invoke(policy, new object[] { c, false })!;
        double zc = (double)estimate.Invoke(policy, new object[] { c, true })!;
        if (copy >= 0 || zc >= 0)
        {
            parts.Add(FormattableString.Invariant($"{4 << c}K copy={copy:F0} zc={zc:F0}"));
        }
    }

    return string.Join(", ", parts) + FormattableString.Invariant($"; drain/send={drain?.GetValue(policy)} ns");
}
