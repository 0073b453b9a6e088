using System;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Pipelines;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.SendFile;

namespace ZeroCopy.Net.Tests.Hardening;

/// <summary>
/// Issue 16: one clear behaviour per mistake, and sends that end promptly. Every wait has a
/// deadline, so a regression fails these tests instead of hanging them.
/// </summary>
public class HardeningTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task UnixDomainStreamSendsHeadersFileBodyAndTrailers(bool forcePortable)
    {
        string socketPath = Path.Combine(Path.GetTempPath(), $"zc-{Guid.NewGuid():N}.sock");
        using var file = TestFile.Create(300_000, seed: 5);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        try
        {
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(socketPath)).WaitAsync(Deadline);
            using Socket server = await listener.AcceptAsync().WaitAsync(Deadline);
            await using var zc = new ZeroCopySocket(client, SendPaths.Options(forcePortable));

            byte[] header = "HEADER\n"u8.ToArray();
            byte[] trailer = "TRAILER\n"u8.ToArray();
            byte[] memory = new byte[100_000];
            new Random(3).NextBytes(memory);
            long expected = (header.Length * 3) + file.Length + memory.Length + (trailer.Length * 2) + file.Length;
            Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(server, expected);

            Assert.Equal(header.Length + file.Length + trailer.Length, await zc.SendWithHeadersAsync(header, SendBody.FromFile(file.Path), trailer).AsTask().WaitAsync(Deadline));
            Assert.Equal(header.Length + memory.Length + trailer.Length, await zc.SendWithHeadersAsync(header, SendBody.FromMemory(memory), trailer).AsTask().WaitAsync(Deadline));
            Assert.Equal(header.Length, await zc.SendWithHeadersAsync(header, SendBody.None).AsTask().WaitAsync(Deadline));
            Assert.Equal(file.Length, await zc.SendFileAsync(file.Path).AsTask().WaitAsync(Deadline));

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] fileBytes = await File.ReadAllBytesAsync(file.Path);
            foreach (byte[] part in new[] { header, fileBytes, trailer, header, memory, trailer, header, fileBytes })
            {
                hash.AppendData(part);
            }

            HashingReceiver.Result got = await receive.WaitAsync(Deadline);
            Assert.Equal(expected, got.Bytes);
            Assert.Equal(hash.GetHashAndReset(), got.Hash);
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    [Theory]
    [InlineData(false, -1)]
    [InlineData(false, 0)]
    [InlineData(true, -1)]
    public async Task EmptyCallerMemoryOnUdpSendsAnEmptyDatagram(bool forcePortable, int threshold)
    {
        using var pair = LoopbackPair.CreateUdp();
        var options = SendPaths.Options(forcePortable);
        if (threshold >= 0)
        {
            options.PinnedZeroCopyThreshold = threshold;
        }

        await using var zc = new ZeroCopySocket(pair.Client, options);
        PinnedMemoryRelease release = await zc.SendPinnedAsync(ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Deadline);
        await release.WhenReleased.AsTask().WaitAsync(Deadline);

        byte[] buffer = new byte[16];
        int n = await pair.Server.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Deadline);
        Assert.Equal(0, n);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task HeadersWithoutAFileOnUdpSayWhatIsWrong(bool forcePortable)
    {
        using var pair = LoopbackPair.CreateUdp();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        var ex = await Assert.ThrowsAsync<NotSupportedException>(() => zc.SendWithHeadersAsync(new byte[] { 1 }, SendBody.None).AsTask());
        Assert.DoesNotContain("file", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("stream", ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ASecondAwaitOfWhenReleasedSaysWhy(bool forcePortable)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        PinnedMemoryRelease release = await zc.SendPinnedAsync(new byte[100]).AsTask().WaitAsync(Deadline);
        ValueTask whenReleased = release.WhenReleased;
        await whenReleased.AsTask().WaitAsync(Deadline);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await release.WhenReleased);
        Assert.Contains("WhenReleased was already awaited", ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task AFlushRefusedBecauseAnotherSendRunsLeavesTheWriterUsable(bool forcePortable)
    {
        using var file = TestFile.Create(4 << 20, seed: 9);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        ZeroCopyPipeWriter writer = ZeroCopyPipeWriter.Create(zc, new ZeroCopyPipeWriterOptions { LeaveOpen = true });

        byte[] payload = new byte[5000];
        new Random(4).NextBytes(payload);
        payload.CopyTo(writer.GetSpan(payload.Length));
        writer.Advance(payload.Length);

        // Nobody reads yet: the file send fills the socket and waits, holding the send gate.
        Task<long> fileSend = zc.SendFileAsync(file.Path).AsTask();
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.FlushAsync());
        Assert.Equal(payload.Length, writer.UnflushedBytes);

        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, file.Length + payload.Length);
        Assert.Equal(file.Length, await fileSend.WaitAsync(Deadline));
        FlushResult flushed = await writer.FlushAsync().AsTask().WaitAsync(Deadline);
        Assert.False(flushed.IsCanceled);

        HashingReceiver.Result got = await receive.WaitAsync(Deadline);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(await File.ReadAllBytesAsync(file.Path));
        hash.AppendData(payload);
        Assert.Equal(hash.GetHashAndReset(), got.Hash);
        await writer.CompleteAsync();
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task CancellingALargeMemoryBodyToAPeerThatNeverReadsEndsPromptly(bool forcePortable)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        using var cts = new CancellationTokenSource();

        Task<long> send = zc.SendWithHeadersAsync(new byte[] { 1, 2 }, SendBody.FromMemory(new byte[64 << 20]), cancellationToken: cts.Token).AsTask();
        await Task.Delay(200);
        Assert.False(send.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(TimeSpan.FromSeconds(2)));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DisposingDuringALargeMemoryBodyToAPeerThatNeverReadsEndsPromptly(bool forcePortable)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { ForcePortable = forcePortable, DisposeTimeout = TimeSpan.FromMinutes(1) });

        Task<long> send = zc.SendWithHeadersAsync(new byte[] { 1, 2 }, SendBody.FromMemory(new byte[64 << 20])).AsTask();
        await Task.Delay(200);
        Assert.False(send.IsCompleted);
        await zc.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(2));
        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(() => send.WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.Contains("bytes", ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DisposingAnOwningWrapperMidSendResetsTheConnection(bool forcePortable)
    {
        using var file = TestFile.Create(32 << 20);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { ForcePortable = forcePortable, OwnsSocket = true });

        Task<long> send = zc.SendFileAsync(file.Path).AsTask();
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable);
        await zc.DisposeAsync().AsTask().WaitAsync(Deadline);
        await Assert.ThrowsAnyAsync<Exception>(() => send.WaitAsync(Deadline));

        // The peer drains what arrived; the stream must end in a reset, never a clean end of stream.
        byte[] buffer = new byte[64 * 1024];
        long received = 0;
        var ex = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            while (true)
            {
                int n = await pair.Server.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Deadline);
                Assert.True(n > 0, $"The peer saw a clean end of stream after {received} of {file.Length} bytes.");
                received += n;
            }
        });
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        Assert.True(received < file.Length);
    }

    [Fact]
    public async Task ASenderBlockedOnAFullSocketEndsWhenItsReaderFails()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { DisposeTimeout = TimeSpan.FromSeconds(1) });

        // A reader that failed its check and stopped reading, as a verifying receiver does.
        Task<long> reader = Task.Run<long>(async () =>
        {
            await Task.Delay(200);
            throw new InvalidOperationException("the reader's check failed");
        });
        using var guard = new SenderGuard(reader, TimeSpan.FromSeconds(60));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => guard.RunAsync(async token =>
        {
            byte[] chunk = new byte[1 << 20];
            while (true)
            {
                await zc.SendWithHeadersAsync(new byte[1], SendBody.FromMemory(chunk), cancellationToken: token);
            }
        }).WaitAsync(Deadline));
        Assert.Equal("the reader's check failed", ex.Message);
    }
}
