using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

// The pool-memory check throws synchronously, before any ValueTask exists to consume.
#pragma warning disable CA2012

/// <summary>
/// Caller memory sent with SendPinnedAsync(ReadOnlyMemory): a cancelled send to a stalled peer ends
/// promptly and hands over the release it could not wait for; disposal is bounded by one
/// DisposeTimeout; a pool buffer's memory cannot be sent through this overload.
/// </summary>
public class CallerMemoryCancellationTests
{
    /// <summary>The engine the kernel-path sockets ask for; <see cref="CallerMemoryCancellationTestsOnIoUring"/> runs every test again with io_uring.</summary>
    protected virtual SendEngine Engine => SendEngine.Auto;

    [LinuxKernelFact]
    public async Task ACancelledSendToAStalledPeerEndsPromptlyAndHandsOverTheRelease()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Server.ReceiveBufferSize = 64 * 1024;
        pair.Client.SendBufferSize = 64 * 1024;
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            Engine = Engine,
            PinnedZeroCopyThreshold = 0,
            CopiedCompletionsBeforeFallback = 0,
            DisposeTimeout = TimeSpan.FromMilliseconds(500),
        });
        byte[] memory = GC.AllocateArray<byte>(8 << 20, pinned: true);
        using var cancel = new CancellationTokenSource();

        // The peer never reads: the kernel keeps the sent part of the memory in the send queue.
        ValueTask<PinnedMemoryRelease> send = zc.SendPinnedAsync(memory, cancel.Token);
        Assert.False(send.IsCompleted, "the send should be waiting for a peer that does not read");
        var clock = Stopwatch.StartNew();
        cancel.Cancel();
        PinnedSendCanceledException canceled = await Assert.ThrowsAsync<PinnedSendCanceledException>(async () => await send.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"cancellation took {clock.Elapsed}");
        Assert.Equal(cancel.Token, canceled.CancellationToken);

        // The kernel still holds part of the memory: a bounded wait for it can be given up.
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            ValueTask wait = canceled.Release.WaitAsync(shortWait.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        // Disposal drains for one DisposeTimeout, then abandons: not twice that.
        clock.Restart();
        await zc.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"disposal took {clock.Elapsed}");
        Assert.True(zc.Statistics.ZeroCopyAbandonedSends > 0);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task APoolBuffersMemoryIsRefusedAndTheBufferStaysWithTheCaller(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool, ForcePortable = forcePortable });
        PinnedBuffer buffer = zc.RentBuffer(4096);
        ArgumentException error = Assert.Throws<ArgumentException>(() => { _ = zc.SendPinnedAsync(buffer.Memory); });
        Assert.Contains("PinnedBuffer", error.Message, StringComparison.Ordinal);
        ArgumentException slice = Assert.Throws<ArgumentException>(() => { _ = zc.SendPinnedAsync((ReadOnlyMemory<byte>)buffer.Memory[10..20]); });
        Assert.NotNull(slice);
        Assert.True(buffer.IsOwned);

        // The socket is still usable: nothing entered the send gate.
        buffer.Span[..3].Fill(9);
        await zc.SendPinnedAsync(buffer, 3);
        var received = new byte[3];
        await Headers.ResponseExchange.ReceiveExactlyAsync(pair.Server, received, 3);
        Assert.Equal(new byte[] { 9, 9, 9 }, received);
    }
}

/// <summary>Every test above on the io_uring engine (falls back to epoll, and repeats those runs, where the process cannot use io_uring).</summary>
public sealed class CallerMemoryCancellationTestsOnIoUring : CallerMemoryCancellationTests
{
    protected override SendEngine Engine => SendEngine.IoUring;
}
