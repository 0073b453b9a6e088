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

var argsList = args.ToList();
string mode = argsList.Count > 0 ? argsList[0] : "tcp";
double seconds = Option("--seconds", 1.5);
int rounds = (int)Option("--rounds", 3);
long workingSet = (long)Option("--working-set-mib", 512) * 1024 * 1024;
int[] sizes = OptionList("--sizes", "8192,16384,32768,65536").Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
string[] paths = OptionList("--paths", "bcl,pinned");
// --write stamp (default): a 64-byte stamp into every 4 KiB page of a buffer before it is sent, as a
// program that generates data writes it; --write none: the bytes are sent as they lie in the working
// set, as a cache serves values written long before (the kernel's MSG_ZEROCOPY notes' case).
bool stamp = (argsList.Contains("--write") ? argsList[argsList.IndexOf("--write") + 1] : "stamp") != "none";
int? threshold = argsList.Contains("--threshold") ? (int)Option("--threshold", 0) : null; // default: the library's
// Paths ending in "-burst" send --burst datagrams per SendPinnedDatagramsAsync call (raw_uring's queue depth).
int burst = (int)Option("--burst", 8);

Console.WriteLine($"# mode={mode} write={(stamp ? "stamp" : "none")} threshold={(threshold?.ToString(CultureInfo.InvariantCulture) ?? "default")} seconds={seconds} rounds={rounds} working-set={workingSet >> 20} MiB cpus={Environment.ProcessorCount} os={System.Runtime.InteropServices.RuntimeInformation.OSDescription} runtime={Environment.Version}");
Console.WriteLine("# transport size path round GBps");

var results = new List<(string Transport, int Size, string Path, double GBps)>();
byte[] bclWorkingSet = new byte[workingSet];
new Random(1).NextBytes(bclWorkingSet);
PinnedBufferPool pool = null!;

foreach (int size in sizes)
{
    // One pool per size: 8 KiB sends use 16 KiB buffers and 32 KiB sends 64 KiB ones, so each needs its own slabs.
    pool?.Dispose();
    pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 2 * workingSet + (64L << 20) });
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
            Console.WriteLine(FormattableString.Invariant($"{mode} {size} {path} {round} {gbps:F2}"));
        }
    }
}

pool.Dispose();
Console.WriteLine();
Console.WriteLine("| transport | size | Socket.SendAsync GB/s min/med/max | SendPinnedAsync GB/s min/med/max | ratio (medians) |");
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
    Console.WriteLine("| transport | size | SendPinnedAsync epoll GB/s min/med/max | SendPinnedAsync io_uring GB/s min/med/max | io_uring / epoll (medians) |");
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
    Console.WriteLine($"| transport | size | one call per datagram, epoll / io_uring GB/s (median) | bursts of {burst}, epoll / io_uring GB/s (median) | io_uring bursts ÷ epoll one-per-call | io_uring bursts ÷ epoll bursts |");
    Console.WriteLine("|---|---|---|---|---|---|");
    foreach (int size in sizes)
    {
        double M(string path) => results.Where(r => r.Size == size && r.Path == path).Select(r => r.GBps).DefaultIfEmpty(double.NaN).OrderBy(x => x).ToArray() is { } v ? Median(v) : double.NaN;
        double epoll = M("pinned"), uring = M("pinned-iouring"), epollBurst = M("pinned-burst"), uringBurst = M("pinned-iouring-burst");
        Console.WriteLine(FormattableString.Invariant(
            $"| {mode} | {size / 1024} KiB | {epoll:F2} / {uring:F2} | {epollBurst:F2} / {uringBurst:F2} | {uringBurst / epoll:F2}x | {uringBurst / epollBurst:F2}x |"));
    }
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
    using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
    socket.SendBufferSize = 4 * 1024 * 1024;
    socket.SetRawSocketOption(17 /* SOL_UDP */, 103 /* UDP_SEGMENT */, BitConverter.GetBytes(1400));
    socket.Connect(new IPEndPoint(address, port));

    // CPU seconds per GB for the whole process (sending thread, epoll reactor or io_uring completion
    // thread, GC), on stderr beside the path's counters: the issue's table wants it per contender.
    TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    double gbps = await MeasureAsync(socket, path, size);
    double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    Console.Error.WriteLine(FormattableString.Invariant($"#   {path} {size}: cpu_s_per_gb={cpu / (gbps * wall.Elapsed.TotalSeconds):F3}"));
    return gbps;
}

async Task<double> RunTcpAsync(string path, int size)
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(1);
    using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    Task<Socket> accept = listener.AcceptAsync();
    await client.ConnectAsync(listener.LocalEndPoint!);
    using Socket server = await accept;
    var sink = Task.Run(async () =>
    {
        var buffer = new byte[1 << 20];
        while (await server.ReceiveAsync(buffer, SocketFlags.None) > 0)
        {
        }
    });
    double result = await MeasureAsync(client, path, size);
    client.Shutdown(SocketShutdown.Send);
    await sink;
    return result;
}

async Task<double> MeasureAsync(Socket socket, string path, int size)
{
    if (socket.SocketType == SocketType.Dgram && size > 65000)
    {
        size = 65000; // the largest UDP payload is 65507 bytes: the "64 KiB" UDP row sends 65000-byte datagrams
    }

    long sent = 0;
    long sequence = 0;
    var watch = Stopwatch.StartNew();
    long deadline = (long)(seconds * Stopwatch.Frequency);
    if (path == "bcl")
    {
        int slots = (int)(workingSet / size);
        while (watch.ElapsedTicks < deadline)
        {
            for (int i = 0; i < 64; i++)
            {
                Memory<byte> chunk = bclWorkingSet.AsMemory((int)(sequence % slots) * size, size);
                if (stamp)
                {
                    Stamp(chunk.Span, sequence);
                }

                sequence++;
                sent += await socket.SendAsync(chunk, SocketFlags.None);
            }
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
            Engine = path switch { "pinned-iouring" or "pinned-iouring-burst" => SendEngine.IoUring, "pinned-epoll" => SendEngine.Epoll, _ => SendEngine.Auto },
        };
        if (threshold is int t)
        {
            options.PinnedZeroCopyThreshold = t;
        }

        await using var zc = new ZeroCopySocket(socket, options);
        if (options.Engine == SendEngine.IoUring && zc.Engine != SendEngine.IoUring)
        {
            Console.Error.WriteLine($"#   {path}: io_uring unavailable, this row is epoll: {ZeroCopySocket.ProcessIoUringFallbackReason}");
        }
        bool bursts = path.EndsWith("-burst", StringComparison.Ordinal);
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

                    sequence++;
                }

                await zc.SendPinnedDatagramsAsync(burstBuffers, burstLengths);
                sent += (long)size * burst;
            }
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

                sequence++;
                await zc.SendPinnedAsync(buffer, size);
                sent += size;
            }
        }

        watch.Stop();
        ZeroCopyStatistics s = zc.Statistics;
        Console.Error.WriteLine(FormattableString.Invariant(
            $"#   {path} {size} ({zc.Engine}): zerocopy syscalls {s.PinnedZeroCopySyscalls}, completed {s.ZeroCopyCompletedSends} (copied {s.ZeroCopyCopiedCompletions}), notifications {s.ZeroCopyNotifications}, copied bytes {s.PinnedCopiedBytes}, nobufs {s.ZeroCopyNoBufsFallbacks}, backpressure waits {s.PinnedBackpressureWaits}, switched-to-copy {s.ZeroCopyDisabledByCopiedCompletions}"));
        return sent / watch.Elapsed.TotalSeconds / 1e9;
    }

    return sent / watch.Elapsed.TotalSeconds / 1e9;
}
