using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Tests.Headers;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.SendFile;

namespace ZeroCopy.Net.Tests.ForeignPlatforms;

/// <summary>
/// Real loopback sends through the Windows (TransmitFile) and BSD (sendfile with sf_hdtr) kernel
/// paths, every byte verified, written once and run by <see cref="TransmitFileLoopbackTests"/> and
/// <see cref="BsdSendfileLoopbackTests"/> on their own OS only (skipped with the reason elsewhere).
/// </summary>
internal static class ForeignKernelPathScenarios
{
    private const int MiB = 1 << 20;

    /// <summary>A whole file by path: every byte through the kernel, none copied.</summary>
    public static async Task WholeFileByPathAsync()
    {
        using var file = TestFile.Create((3 * MiB) + 17, seed: 21);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);

        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, file.Length);
        long sent = await SendFileKit.Within(zc.SendFileAsync(file.Path).AsTask(), "the send");
        HashingReceiver.Result got = await SendFileKit.Within(receive, "the receiver");

        Assert.Equal(file.Length, sent);
        Assert.Equal(file.Length, got.Bytes);
        Assert.Equal(TestFile.ExpectedHash(0, file.Length, seed: 21), got.Hash);
        Assert.Equal(file.Length, zc.Statistics.KernelSendFileBytes);
        Assert.Equal(0, zc.Statistics.PortableCopiedBytes);
    }

    /// <summary>A window of a caller's handle at an odd offset; the handle stays open and its position unused.</summary>
    public static async Task WindowOfAHandleAsync()
    {
        using var file = TestFile.Create(2 * MiB, seed: 22);
        using SafeFileHandle handle = File.OpenHandle(file.Path);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        const long Offset = 12_345;
        const long Count = MiB + 7;

        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, Count);
        long sent = await SendFileKit.Within(zc.SendFileAsync(handle, Offset, Count).AsTask(), "the send");
        HashingReceiver.Result got = await SendFileKit.Within(receive, "the receiver");

        Assert.Equal(Count, sent);
        Assert.Equal(TestFile.ExpectedHash(Offset, Count, seed: 22), got.Hash);
        Assert.False(handle.IsClosed);
        Assert.Equal(Count, zc.Statistics.KernelSendFileBytes);
    }

    /// <summary>Several header pieces, a file window and several trailer pieces: the exact concatenation arrives.</summary>
    public static async Task HeadersFileAndTrailersAsync(int fileLength)
    {
        using var file = TestFile.Create(fileLength + 100, seed: 23);
        using var pair = await LoopbackPair.CreateTcpAsync(noDelay: false);
        await using var zc = new ZeroCopySocket(pair.Client);
        ReadOnlyMemory<byte>[] headers = { "HTTP/1.1 200 OK\r\n"u8.ToArray(), Array.Empty<byte>(), "Content-Length: 0000000000\r\n\r\n"u8.ToArray() };
        ReadOnlyMemory<byte>[] trailers = { "\r\n--"u8.ToArray(), "end\r\n"u8.ToArray() };
        byte[] expected = headers.SelectMany(h => h.ToArray())
            .Concat(ResponseExchange.Pattern(100, fileLength, seed: 23))
            .Concat(trailers.SelectMany(t => t.ToArray()))
            .ToArray();

        long sent = await SendFileKit.Within(
            zc.SendWithHeadersAsync(headers, SendBody.FromFile(file.Path, 100, fileLength), trailers).AsTask(), "the send");
        byte[] got = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);

        Assert.Equal(expected.Length, sent);
        Assert.Equal(expected, got);
        long memoryBytes = expected.Length - fileLength;
        Assert.Equal(fileLength, zc.Statistics.KernelSendFileBytes);
        Assert.Equal(memoryBytes, zc.Statistics.VectoredSendBytes);
        Assert.Equal(0, zc.Statistics.PortableCopiedBytes);
        Assert.Equal(ZeroCopySocket.ProcessPlatformName == "windows" ? memoryBytes : 0, zc.Statistics.HeaderGatherCopiedBytes);

        // BSD corks with TCP_NOPUSH around headers/trailers; TransmitFile needs no cork.
        Assert.Equal(ZeroCopySocket.ProcessPlatformName == "windows" ? 0 : 1, zc.Statistics.CorkedSends);
    }

    /// <summary>
    /// More header and trailer pieces than one sf_hdtr list or writev takes (IOV_MAX, 1024): BSD sends
    /// header windows by writev before the file and the trailers after it; Windows gathers them all.
    /// </summary>
    public static async Task MorePiecesThanIovMaxAsync()
    {
        using var file = TestFile.Create(200_000, seed: 27);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        ReadOnlyMemory<byte>[] headers = Enumerable.Range(0, 1500).Select(i => (ReadOnlyMemory<byte>)new[] { (byte)i, (byte)(i >> 8) }).ToArray();
        ReadOnlyMemory<byte>[] trailers = Enumerable.Range(0, 1100).Select(i => (ReadOnlyMemory<byte>)new[] { (byte)(i * 7) }).ToArray();
        byte[] expected = headers.SelectMany(h => h.ToArray())
            .Concat(ResponseExchange.Pattern(0, (int)file.Length, seed: 27))
            .Concat(trailers.SelectMany(t => t.ToArray()))
            .ToArray();

        long sent = await SendFileKit.Within(zc.SendWithHeadersAsync(headers, SendBody.FromFile(file.Path), trailers).AsTask(), "the send");
        byte[] got = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);

        Assert.Equal(expected.Length, sent);
        Assert.Equal(expected, got);
        Assert.Equal(file.Length, zc.Statistics.KernelSendFileBytes);
    }

    /// <summary>A reader that takes 16 KiB at a time behind a 4 KiB send buffer: the send waits again and again and still delivers every byte.</summary>
    public static async Task SlowReaderAsync()
    {
        using var file = TestFile.Create((4 * MiB) + 3, seed: 24);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client);
        ReadOnlyMemory<byte> header = new byte[300];
        ReadOnlyMemory<byte> trailer = new byte[50];

        long total = header.Length + file.Length + trailer.Length;
        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, total, delayPerChunkMs: 1, chunk: 16 * 1024);
        long sent = await SendFileKit.Within(zc.SendWithHeadersAsync(header, SendBody.FromFile(file.Path), trailer).AsTask(), "the send to a slow reader");
        HashingReceiver.Result got = await SendFileKit.Within(receive, "the slow receiver");

        Assert.Equal(total, sent);
        Assert.Equal(total, got.Bytes);
        Assert.Equal(file.Length, zc.Statistics.KernelSendFileBytes);
        Assert.True(zc.Statistics.WouldBlockWaits > 0, "The send never had to wait.");
    }

    /// <summary>Cancelling a send parked on a reader that reads nothing ends it promptly with OperationCanceledException.</summary>
    public static async Task CancelParkedSendAsync()
    {
        using var file = TestFile.Create(32 * MiB, seed: 25);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client);
        using var cts = new CancellationTokenSource();

        Task<long> send = zc.SendWithHeadersAsync(new byte[100], SendBody.FromFile(file.Path), new byte[10], cts.Token).AsTask();
        await Task.Delay(300);
        Assert.False(send.IsCompleted, "The send should be parked on a peer that reads nothing.");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SendFileKit.Within(send, "the cancelled send"));
    }

    /// <summary>Disposing the wrapper during a parked send fails it promptly with ObjectDisposedException.</summary>
    public static async Task DisposeDuringParkedSendAsync()
    {
        using var file = TestFile.Create(32 * MiB, seed: 26);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        var zc = new ZeroCopySocket(pair.Client);

        Task<long> send = zc.SendFileAsync(file.Path).AsTask();
        await Task.Delay(300);
        Assert.False(send.IsCompleted, "The send should be parked on a peer that reads nothing.");
        Task dispose = zc.DisposeAsync().AsTask();
        Exception ex = await Assert.ThrowsAnyAsync<Exception>(() => SendFileKit.Within(send, "the send whose wrapper was disposed"));
        Assert.True(ex is ObjectDisposedException or SocketException, $"Unexpected {ex.GetType()}: {ex.Message}");
        await dispose.WaitAsync(SendFileKit.Prompt);
    }
}
