using System;
using System.Net.Sockets;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// The application disposes the <see cref="Socket"/> itself (not the wrapper) while a send waits
/// for buffer space, as a server's timeout handler does. The send must fail promptly instead of
/// parking forever, and no later socket that reuses the descriptor number may be affected.
/// </summary>
public class SocketClosedDuringSendTests
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DisposingTheSocketFailsAParkedSendPromptly(bool forcePortable)
    {
        using var file = TestFile.Create(8 << 20);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        Task<long> send = zc.SendFileAsync(file.Path).AsTask();
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable);

        pair.Client.Dispose();

        // One behaviour on both paths (issue 16): the disposal it is, naming the bytes sent, not a reset by the peer.
        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(() => SendFileKit.Within(send, "the send whose socket was disposed"));
        Assert.Contains($"of {file.Length} bytes", ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task SendingOnADisposedSocketFailsBeforeAnyByte(bool forcePortable)
    {
        using var file = TestFile.Create(10_000);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        pair.Client.Dispose();

        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => zc.SendFileAsync(file.Path).AsTask());
        Assert.Equal(0, zc.Statistics.KernelSendFileBytes + zc.Statistics.PortableCopiedBytes);
    }

    [Trait("Category", "Slow")]
    [LinuxKernelFact]
    public async Task AWrapperWhoseSocketWasClosedFirstDoesNotUnregisterTheDescriptorsNextOwner()
    {
        using var file = TestFile.Create(4 << 20, seed: 5);

        // A: parks once (so it is registered with the reactor), then its Socket is disposed first.
        var a = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(a);
        var zcA = new ZeroCopySocket(a.Client);
        int fdA = (int)a.Client.SafeHandle.DangerousGetHandle();
        Task<HashingReceiver.Result> drainA = HashingReceiver.ReceiveAsync(a.Server, file.Length, delayPerChunkMs: 1, chunk: 16 * 1024);
        Assert.Equal(file.Length, await SendFileKit.Within(zcA.SendFileAsync(file.Path).AsTask(), "A's send"));
        await drainA;
        Assert.True(zcA.Statistics.WouldBlockWaits > 0);
        a.Client.Dispose();

        // B: a new connection; its client very likely gets A's descriptor number back.
        using var b = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(b);
        await using var zcB = new ZeroCopySocket(b.Client);
        bool reused = (int)b.Client.SafeHandle.DangerousGetHandle() == fdA;

        // B parks once (registers), then A's wrapper is disposed: it must not remove B's registration.
        Task<long> sendB = zcB.SendFileAsync(file.Path).AsTask();
        await SendFileKit.WaitUntilBlockedAsync(zcB, forcePortable: false);
        await zcA.DisposeAsync();
        a.Server.Dispose();

        HashingReceiver.Result got = await SendFileKit.Within(HashingReceiver.ReceiveAsync(b.Server, file.Length), "B's receiver");
        Assert.Equal(file.Length, await SendFileKit.Within(sendB, reused ? "B's send (descriptor number reused from A)" : "B's send"));
        Assert.Equal(TestFile.ExpectedHash(0, file.Length, seed: 5), got.Hash);
    }
}

/// <summary>Disposal wakes a send that is stuck because the peer reads nothing at all, on the portable path too.</summary>
public class PortableStalledSendTests
{
    [Fact]
    public async Task DisposeWakesAPortableSendToAPeerThatReadsNothing()
    {
#if LIBRARY_NETSTANDARD
        // The netstandard2.0 build's Socket.SendAsync takes no token: there is nothing to wake a
        // send blocked in the BCL without closing the caller's socket. Documented limitation.
        await Task.CompletedTask;
#else
        using var file = TestFile.Create(8 << 20);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { ForcePortable = true, DisposeTimeout = TimeSpan.FromMinutes(2) });

        Task<long> send = zc.SendFileAsync(file.Path).AsTask();
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable: true);
        Assert.False(send.IsCompleted);

        await SendFileKit.Within(zc.DisposeAsync().AsTask().ContinueWith(_ => 0L, TaskScheduler.Default), "DisposeAsync");
        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(() => SendFileKit.Within(send, "the stalled portable send"));
        Assert.Contains("of 8388608 bytes", ex.Message);
#endif
    }
}
