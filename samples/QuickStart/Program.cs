// Quick start: wrap a connected loopback socket, send a file with no user-space copy, a few pinned
// buffers (MSG_ZEROCOPY above the threshold) and two HTTP-style responses (a header and a file body,
// on a socket that starts with Nagle on), and print what happened: bytes, which kernel path and which
// syscalls carried them (from the statistics and from the ZeroCopy.Net meter), and what this machine can do.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using ZeroCopy.Net;
using ZeroCopy.Net.Buffers;

const int FileSize = 8 * 1024 * 1024;
int[] pinnedSizes = { 1024, 64 * 1024, 256 * 1024, 256 * 1024 };
int pinnedTotal = 0;
foreach (int size in pinnedSizes)
{
    pinnedTotal += size;
}

// The meter's figures, summed by instrument and tag, as any MeterListener (or dotnet-counters) sees them.
var measured = new ConcurrentDictionary<string, long>();
using var meterListener = new MeterListener
{
    InstrumentPublished = (instrument, l) =>
    {
        if (instrument.Meter.Name == ZeroCopySocket.MeterName)
        {
            l.EnableMeasurementEvents(instrument);
        }
    },
};
meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
{
    string key = instrument.Name;
    foreach (KeyValuePair<string, object?> tag in tags)
    {
        key += $"{{{tag.Key}={tag.Value}}}";
    }

    measured.AddOrUpdate(key, value, (_, old) => old + value);
});
meterListener.Start();

string path = Path.Combine(Path.GetTempPath(), $"zerocopy-quickstart-{Environment.ProcessId}.bin");
byte[] content = RandomNumberGenerator.GetBytes(FileSize);
await File.WriteAllBytesAsync(path, content);

try
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(1);
    // Nagle is on (the default) until SendWithHeadersAsync turns it off below.
    using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    await client.ConnectAsync(listener.LocalEndPoint!);
    using Socket server = await listener.AcceptAsync();

    // The receiving side: read everything and hash it.
    Task<byte[]> received = Task.Run(async () =>
    {
        using var ms = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await server.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            ms.Write(buffer, 0, n);
        }

        return SHA256.HashData(ms.ToArray());
    });

    long sent;
    ZeroCopyStatisticsSnapshot stats;
    ZeroCopyCapabilities capabilities;
    string platform;
    bool nagleBefore = !client.NoDelay;
    var responses = new List<string>();
    await using (var zc = new ZeroCopySocket(client))
    {
        sent = await zc.SendFileAsync(path);

        // Pinned buffers: filled in place, sent with MSG_ZEROCOPY at or above the threshold (32 KiB),
        // copied below it; each buffer returns to the pool when the kernel's completion arrives.
        int offset = 0;
        foreach (int size in pinnedSizes)
        {
            PinnedBuffer buffer = zc.RentBuffer(size);
            content.AsSpan(offset, size).CopyTo(buffer.Span);
            offset += size;
            await zc.SendPinnedAsync(buffer, size);
            sent += size;
        }

        // A header and a file body, as an HTTP server answers: a small body goes with the header in one
        // send(2), a large one as sendmsg(MSG_MORE) for the header then sendfile(2) for the body.
        foreach (int bodySize in ResponseBodySizes)
        {
            byte[] header = ResponseHeader(bodySize);
            ZeroCopyStatisticsSnapshot before = zc.Statistics.Snapshot();
            sent += await zc.SendWithHeadersAsync(header, SendBody.FromFile(path, 0, bodySize));
            ZeroCopyStatisticsSnapshot after = zc.Statistics.Snapshot();
            responses.Add($"{header.Length} B header + {bodySize:N0} B file body: {after.VectoredSendSyscalls - before.VectoredSendSyscalls} send/sendmsg call(s) carrying {after.VectoredSendBytes - before.VectoredSendBytes:N0} B from memory " +
                $"({after.SmallFileCopiedBytes - before.SmallFileCopiedBytes:N0} B of it the body, read into memory), {after.KernelSendFileSyscalls - before.KernelSendFileSyscalls} sendfile(2) call(s) carrying {after.KernelSendFileBytes - before.KernelSendFileBytes:N0} B");
        }

        // Let the completions arrive before the figures are read.
        for (int i = 0; i < 100 && zc.Statistics.PinnedBytesInFlight > 0; i++)
        {
            await Task.Delay(10);
        }

        stats = zc.Statistics.Snapshot();
        capabilities = zc.Capabilities;
        platform = zc.PlatformName;
    }

    client.Shutdown(SocketShutdown.Send);
    long expectedLength = FileSize + pinnedTotal;
    foreach (int bodySize in ResponseBodySizes)
    {
        expectedLength += ResponseHeader(bodySize).Length + bodySize;
    }

    var expected = new MemoryStream();
    expected.Write(content);
    expected.Write(content, 0, pinnedTotal);
    foreach (int bodySize in ResponseBodySizes)
    {
        expected.Write(ResponseHeader(bodySize));
        expected.Write(content, 0, bodySize);
    }

    bool intact = (await received).AsSpan().SequenceEqual(SHA256.HashData(expected.ToArray()));

    Console.WriteLine($"ZeroCopy.Net quick start");
    Console.WriteLine($"  platform:              {platform} (process: {ZeroCopySocket.ProcessPlatformName}{(ZeroCopySocket.ProcessFallbackReason is string r ? $", fallback: {r}" : string.Empty)})");
    Console.WriteLine($"  capabilities:          {capabilities}");
    Console.WriteLine($"  bytes sent:            {sent:N0} of {expectedLength:N0} (a file, {pinnedSizes.Length} pinned buffers, {ResponseBodySizes.Length} header + file responses)");
    Console.WriteLine($"  file by sendfile(2):   {stats.KernelSendFileBytes:N0} bytes in {stats.KernelSendFileSyscalls} calls (no user-space copy)");
    Console.WriteLine($"  file by copy loop:     {stats.PortableCopiedBytes:N0} bytes (the portable path; 0 where sendfile(2) is used)");
    Console.WriteLine($"  pinned MSG_ZEROCOPY:   {stats.PinnedZeroCopyBytes:N0} bytes in {stats.PinnedZeroCopySyscalls} sendmsg calls; completions {stats.ZeroCopyCompletedSends}, of which the kernel copied {stats.ZeroCopyCopiedCompletions} (loopback always does)");
    Console.WriteLine($"  pinned sent as copies: {stats.PinnedCopiedBytes:N0} bytes ({stats.PinnedCopiedBelowThresholdBytes:N0} below the 32 KiB threshold, {stats.PinnedCopiedAfterAdaptationBytes:N0} after the socket switched to copies)");
    Console.WriteLine($"  SendWithHeadersAsync:  Nagle on before: {nagleBefore}; TCP_NODELAY after: {client.NoDelay} (the first call sets it)");
    foreach (string response in responses)
    {
        Console.WriteLine($"    {response}");
    }

    Console.WriteLine($"  receiver hash matches: {intact}");
    Console.WriteLine();
    Console.WriteLine("  statistics snapshot (zc.Statistics.Snapshot()):");
    foreach (string line in stats.ToString().Split('\n'))
    {
        Console.WriteLine($"    {line}");
    }

    Console.WriteLine();
    Console.WriteLine($"  meter '{ZeroCopySocket.MeterName}' (docs/metrics.md), as dotnet-counters would show it:");
    foreach (KeyValuePair<string, long> figure in measured.OrderBy(f => f.Key, StringComparer.Ordinal))
    {
        Console.WriteLine($"    {figure.Key,-52} {figure.Value,14:N0}");
    }

    return intact && sent == expectedLength ? 0 : 1;
}
finally
{
    File.Delete(path);
}

static byte[] ResponseHeader(int bodySize) => Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {bodySize}\r\n\r\n");

internal static partial class Program
{
    // 1 KiB goes with its header in one send(2); 1 MiB as sendmsg(MSG_MORE) + sendfile(2).
    private static readonly int[] ResponseBodySizes = { 1024, 1024 * 1024 };
}
