using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// Failures in the middle of a send: the peer resets, the file shrinks, the caller cancels, the
/// socket is disposed. Each must end the send promptly with the documented exception (never a
/// hang, never a silent short send), over every overload and both paths.
/// </summary>
public abstract class SendFileFaultTests<TOverload>
    where TOverload : IFileOverload, new()
{
    protected static readonly IFileOverload Overload = new TOverload();

    private const long FileLength = 8 << 20;

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task PeerResetMidSendFailsWithSocketError(bool forcePortable)
    {
        using var file = TestFile.Create(FileLength);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        Task<long> send = Overload.SendAsync(zc, file.Path);
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable);

        // Linger 0: close sends RST instead of FIN.
        pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close();

        var ex = await Assert.ThrowsAnyAsync<SocketException>(() => SendFileKit.Within(send, "the send after a reset"));
        Assert.True(
            ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted,
            $"Expected ConnectionReset/Shutdown, got {ex.SocketErrorCode}: {ex.Message}");
        if (SendFileKit.IsKernelPath(forcePortable))
        {
            Assert.Contains("errno", ex.Message);
            Assert.Contains("sendfile", ex.Message);
        }
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task FileThatShrinksDuringTheSendFailsWithIOExceptionNamingTheCounts(bool forcePortable)
    {
        const long TruncatedLength = 64 * 1024;
        using var file = TestFile.Create(FileLength, seed: 41);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        Task<long> send = Overload.SendAsync(zc, file.Path);
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable);

        using (SafeFileHandle writer = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            RandomAccess.SetLength(writer, TruncatedLength);
        }

        // Drain the peer so the sender runs into the new end of file.
        Task<byte[]> drain = DrainAsync(pair.Server);
        var ex = await Assert.ThrowsAsync<IOException>(() => SendFileKit.Within(send, "the send of a shrinking file"));
        Match m = Regex.Match(ex.Message, @"after (\d+) of (\d+) bytes");
        Assert.True(m.Success, $"The message must say how many bytes were sent of how many: {ex.Message}");
        long reportedSent = long.Parse(m.Groups[1].Value);
        Assert.Equal(FileLength, long.Parse(m.Groups[2].Value));
        Assert.InRange(reportedSent, 1, FileLength - 1);

        // The peer got exactly the bytes the exception reports, no more; the part of the file that
        // still exists arrived intact (bytes past the new end may have been zeroed in the page cache).
        pair.Client.Shutdown(SocketShutdown.Send);
        byte[] got = await SendFileKit.Within(drain, "the drain");
        Assert.Equal(reportedSent, got.LongLength);
        long intact = Math.Min(reportedSent, TruncatedLength);
        Assert.True(got.AsSpan(0, (int)intact).SequenceEqual(Pattern(intact, 41)), "The bytes before the truncation point must be the file's.");
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task CancellationMidSendStopsPromptlyAndTheSocketCanBeDisposed(bool forcePortable)
    {
        using var file = TestFile.Create(FileLength);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        using var cts = new CancellationTokenSource();

        // A slow reader keeps the send moving, so every path (including the netstandard2.0 portable
        // path, whose Socket.SendAsync takes no token) reaches a point where it sees the token.
        using var stopReading = new CancellationTokenSource();
        Task<HashingReceiver.Result> slowReader = HashingReceiver.ReceiveAsync(pair.Server, FileLength, delayPerChunkMs: 2, chunk: 8 * 1024, stopReading.Token);
        Task<long> send = Overload.SendAsync(zc, file.Path, 0, null, cts.Token);
        await SendFileKit.WaitUntilAsync(() => zc.Statistics.KernelSendFileBytes + zc.Statistics.PortableCopiedBytes > 256 * 1024, "the send is under way");

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SendFileKit.Within(send, "the cancelled send"));
        Assert.True(zc.Statistics.KernelSendFileBytes + zc.Statistics.PortableCopiedBytes < FileLength, "The send must stop before the end of the file.");

        await SendFileKit.Within(zc.DisposeAsync().AsTask().ContinueWith(_ => 0L, TaskScheduler.Default), "DisposeAsync after cancellation");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Overload.SendAsync(zc, file.Path));
        stopReading.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slowReader);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DisposeDuringSendFailsTheSendWithObjectDisposedAndReturns(bool forcePortable)
    {
        using var file = TestFile.Create(FileLength);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);

        // A dispose timeout far longer than "promptly": DisposeAsync returning early proves the send
        // was woken and exited, not that disposal gave up waiting.
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { ForcePortable = forcePortable, DisposeTimeout = TimeSpan.FromMinutes(2) });
        using var stopReading = new CancellationTokenSource();
        Task<HashingReceiver.Result> slowReader = HashingReceiver.ReceiveAsync(pair.Server, FileLength, delayPerChunkMs: 2, chunk: 8 * 1024, stopReading.Token);
        Task<long> send = Overload.SendAsync(zc, file.Path);
        await SendFileKit.WaitUntilAsync(() => zc.Statistics.KernelSendFileBytes + zc.Statistics.PortableCopiedBytes > 256 * 1024, "the send is under way");

        await SendFileKit.Within(zc.DisposeAsync().AsTask().ContinueWith(_ => 0L, TaskScheduler.Default), "DisposeAsync during a send");
        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(() => SendFileKit.Within(send, "the send failed by disposal"));
        Assert.Contains($"of {FileLength} bytes", ex.Message);
        stopReading.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slowReader);
    }

    private static async Task<byte[]> DrainAsync(Socket server)
    {
        using var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await server.ReceiveAsync(buffer.AsMemory(), SocketFlags.None)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }

    private static byte[] Pattern(long length, int seed) => Enumerable.Range(0, (int)length).Select(i => TestFile.PatternByte(i, seed)).ToArray();
}

public sealed class SendFilePathFaultTests : SendFileFaultTests<PathOverload>
{
}

public sealed class SendFileHandleFaultTests : SendFileFaultTests<HandleOverload>
{
}

public sealed class SendFileStreamFaultTests : SendFileFaultTests<StreamOverload>
{
}

/// <summary>Faults while the kernel path is really parked on EAGAIN (the peer reads nothing at all).</summary>
public class StalledKernelSendTests
{
    [LinuxKernelFact]
    public async Task DisposeWakesASendParkedOnEagain()
    {
        using var file = TestFile.Create(8 << 20);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { DisposeTimeout = TimeSpan.FromMinutes(2) });

        Task<long> send = zc.SendFileAsync(file.Path).AsTask();
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable: false);
        long waitsBefore = zc.Statistics.WouldBlockWaits;
        await Task.Delay(200);
        Assert.False(send.IsCompleted, "Nobody reads: the send must still be parked.");
        // Parked, not spinning: a late window update may wake it once or twice, a poll loop would
        // wake thousands of times.
        Assert.InRange(zc.Statistics.WouldBlockWaits - waitsBefore, 0, 3);

        await SendFileKit.Within(zc.DisposeAsync().AsTask().ContinueWith(_ => 0L, TaskScheduler.Default), "DisposeAsync");
        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(() => SendFileKit.Within(send, "the parked send"));
        Assert.Contains("of 8388608 bytes", ex.Message);
        Assert.True(pair.Client.Connected, "Without OwnsSocket the socket itself stays open.");
    }

    [LinuxKernelFact]
    public async Task CancellationWakesASendParkedOnEagain()
    {
        using var file = TestFile.Create(8 << 20);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client);
        using var cts = new CancellationTokenSource();

        Task<long> send = zc.SendFileAsync(file.Path, cancellationToken: cts.Token).AsTask();
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable: false);
        cts.Cancel();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SendFileKit.Within(send, "the parked send"));
        Assert.Equal(cts.Token, ex.CancellationToken);

        // The gate is released: the next send is refused only because the stream is now in an
        // unknown state for the peer, not because the socket is stuck. A zero-byte send proves it.
        Assert.Equal(0, await zc.SendFileAsync(file.Path, 0, 0));
    }
}
