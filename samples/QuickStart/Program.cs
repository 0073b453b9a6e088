// Quick start: wrap a connected loopback socket, send a file with no user-space copy and a few
// pinned buffers (MSG_ZEROCOPY above the threshold), and print what happened: bytes, which kernel
// path carried them (from the statistics and from the ZeroCopy.Net meter), and what this machine can do.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Tasks;
using ZeroCopy.Net;

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
    ZeroCopyStatistics stats;
    ZeroCopyCapabilities capabilities;
    string platform;
    await using (var zc = new ZeroCopySocket(client))
    {
        sent = await zc.SendFileAsync(path);

        // Pinned buffers: filled in place, sent with MSG_ZEROCOPY at or above the threshold (32 KiB),
        // copied below it; each buffer returns to the pool when the kernel's completion arrives.
        int offset = 0;
        foreach (int size in pinnedSizes)
        {
            var buffer = zc.RentBuffer(size);
            content.AsSpan(offset, size).CopyTo(buffer.Span);
            offset += size;
            await zc.SendPinnedAsync(buffer, size);
            sent += size;
        }

        // Let the completions arrive before the figures are read.
        for (int i = 0; i < 100 && zc.Statistics.PinnedBytesInFlight > 0; i++)
        {
            await Task.Delay(10);
        }

        stats = zc.Statistics;
        capabilities = zc.Capabilities;
        platform = zc.PlatformName;
    }

    client.Shutdown(SocketShutdown.Send);
    byte[] expected = new byte[FileSize + pinnedTotal];
    content.CopyTo(expected, 0);
    content.AsSpan(0, pinnedTotal).CopyTo(expected.AsSpan(FileSize));
    bool intact = (await received).AsSpan().SequenceEqual(SHA256.HashData(expected));

    Console.WriteLine($"ZeroCopy.Net quick start");
    Console.WriteLine($"  platform:              {platform} (process: {ZeroCopySocket.ProcessPlatformName}{(ZeroCopySocket.ProcessFallbackReason is string r ? $", fallback: {r}" : string.Empty)})");
    Console.WriteLine($"  capabilities:          {capabilities}");
    Console.WriteLine($"  bytes sent:            {sent:N0} of {FileSize + pinnedTotal:N0} (a file, then {pinnedSizes.Length} pinned buffers)");
    Console.WriteLine($"  kernel sendfile bytes: {stats.KernelSendFileBytes:N0} in {stats.KernelSendFileSyscalls} sendfile(2) calls");
    Console.WriteLine($"  copied bytes:          {stats.PortableCopiedBytes:N0}");
    Console.WriteLine($"  EAGAIN waits:          {stats.WouldBlockWaits}");
    Console.WriteLine($"  pinned MSG_ZEROCOPY:   {stats.PinnedZeroCopyBytes:N0} bytes in {stats.PinnedZeroCopySyscalls} sendmsg calls; completions {stats.ZeroCopyCompletedSends}, of which the kernel copied {stats.ZeroCopyCopiedCompletions}");
    Console.WriteLine($"  pinned copied:         {stats.PinnedCopiedBytes:N0} bytes ({stats.PinnedCopiedBelowThresholdBytes:N0} below the threshold)");
    Console.WriteLine($"  receiver hash matches: {intact}");
    Console.WriteLine();
    Console.WriteLine($"  meter '{ZeroCopySocket.MeterName}' (docs/metrics.md), as dotnet-counters would show it:");
    foreach (KeyValuePair<string, long> figure in measured.OrderBy(f => f.Key, StringComparer.Ordinal))
    {
        Console.WriteLine($"    {figure.Key,-52} {figure.Value,14:N0}");
    }

    return intact && sent == FileSize + pinnedTotal ? 0 : 1;
}
finally
{
    File.Delete(path);
}
