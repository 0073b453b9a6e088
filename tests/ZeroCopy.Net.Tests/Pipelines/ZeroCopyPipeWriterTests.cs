using System;
using System.IO.Pipelines;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Pipelines;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pipelines;

public class ZeroCopyPipeWriterTests
{
    /// <summary>The engine the kernel-path sockets ask for; <see cref="ZeroCopyPipeWriterTestsOnIoUring"/> runs every test again with io_uring.</summary>
    protected virtual SendEngine Engine => SendEngine.Auto;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>A message size and whether the writer flushes after it.</summary>
    public sealed record Step(int Length, bool FlushAfter);

    // Mostly small (copied below the 32 KiB threshold), some medium, some large enough to cross it
    // on their own and to span several pool buffers.
    private static Arbitrary<Step[]> Scripts =>
        (from length in Gen.Frequency(
             (4, Gen.Choose(0, 300)),
             (3, Gen.Choose(0, 40 * 1024)),
             (2, Gen.Choose(32 * 1024, 200 * 1024)),
             (1, Gen.Elements(0, 1, 4092, 4096, 16 * 1024 - 4, 32 * 1024, 200 * 1024)))
         from flush in Gen.Elements(true, false, false)
         select new Step(length, flush))
        .ArrayOf()
        .Where(steps => steps.Length > 0 && steps.Length <= 24)
        .ToArbitrary();

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public void GeneratedMessagesAndFlushPatternsArriveIntact(bool forcePortable)
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(Scripts, script =>
        {
            RunScriptAsync(script, forcePortable, seed: script.Length * 7919 + script.Sum(s => s.Length)).GetAwaiter().GetResult();
            return true;
        }));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ManySmallSegmentsInOneFlushArrive(bool forcePortable)
    {
        // More than 1024 buffers committed before one flush: the writer splits the vectored send.
        var script = Enumerable.Range(0, 1100).Select(i => new Step(4000 + (i % 3), FlushAfter: false)).ToArray();
        await RunScriptAsync(script, forcePortable, seed: 5, segmentSize: 4096);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task CancelPendingFlushBeforeFlushSendsNothingAndKeepsTheBytes(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var socket = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, ForcePortable = forcePortable, BufferPool = pool });
        ZeroCopyPipeWriter writer = socket.CreatePipeWriter();
        LengthPrefixedMessages.Write(writer, seed: 3, index: 0, length: 50_000);
        Assert.Equal(50_004, writer.UnflushedBytes);

        writer.CancelPendingFlush();
        FlushResult cancelled = await writer.FlushAsync(cts.Token);
        Assert.True(cancelled.IsCanceled);
        Assert.False(cancelled.IsCompleted);
        Assert.Equal(50_004, writer.UnflushedBytes);
        await Task.Delay(50);
        Assert.Equal(0, pair.Server.Available);

        LengthPrefixedMessages.Write(writer, seed: 3, index: 1, length: 10);
        FlushResult flushed = await writer.FlushAsync(cts.Token);
        Assert.False(flushed.IsCanceled);
        Assert.Equal(0, writer.UnflushedBytes);

        Task receive = LengthPrefixedMessages.ReceiveAndVerifyAsync(pair.Server, 3, new[] { 50_000, 10 }, expectEof: false, cts.Token);
        await receive;
        await writer.CompleteAsync();
        await WaitForPoolAsync(pool);
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task CancelPendingFlushDuringABlockedSendReturnsCanceledAndTearsTheStream(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Client.SendBufferSize = 16 * 1024;
        pair.Server.ReceiveBufferSize = 16 * 1024;
        using var cts = new CancellationTokenSource(Timeout);
        var socket = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, ForcePortable = forcePortable, BufferPool = pool });
        ZeroCopyPipeWriter writer = socket.CreatePipeWriter(new ZeroCopyPipeWriterOptions { MinimumSegmentSize = 64 * 1024 });
        for (int i = 0; i < 4; i++)
        {
            LengthPrefixedMessages.Write(writer, seed: 9, index: i, length: 1024 * 1024 - 4);
        }

        // The peer reads nothing: 4 MiB cannot fit in the socket buffers, so the flush waits.
        ValueTask<FlushResult> flush = writer.FlushAsync(cts.Token);
        await Task.Delay(200);
        Assert.False(flush.IsCompleted, "the flush finished although the peer read nothing: the test cannot cancel it");
        writer.CancelPendingFlush();
        Task<FlushResult> flushTask = flush.AsTask();
        bool returned = await Task.WhenAny(flushTask, Task.Delay(TimeSpan.FromSeconds(10))) == flushTask;
#if LIBRARY_NETSTANDARD
        if (!returned && forcePortable)
        {
            // netstandard2.0's Socket has no cancellable send (docs/design.md, "portable netstandard2.0
            // limits"): cancellation is seen only when the send wakes. Closing the socket wakes it.
            await socket.DisposeAsync();
            pair.Client.Dispose();
            try
            {
                Assert.True((await flushTask.WaitAsync(Timeout)).IsCanceled, "a flush woken by disposal after CancelPendingFlush must report the cancellation or fail");
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException or SocketException or System.IO.IOException)
            {
            }

            await writer.CompleteAsync();
            pair.Server.Dispose();
            await WaitForPoolAsync(pool);
            return;
        }
#endif
        Assert.True(returned, "CancelPendingFlush did not end a flush blocked on a full socket");
        FlushResult result = await flushTask.WaitAsync(Timeout);
        Assert.True(result.IsCanceled);

        // Part of the bytes may be on the wire: the writer refuses to continue the stream.
        writer.GetSpan(1)[0] = 1;
        writer.Advance(1);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.FlushAsync(cts.Token));
        await writer.CompleteAsync();
        pair.Server.Dispose();
        await WaitForPoolAsync(pool);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task CompleteFlushesWhatIsCommittedThenRefusesWrites(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var socket = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, ForcePortable = forcePortable, BufferPool = pool, OwnsSocket = true });
        ZeroCopyPipeWriter writer = socket.CreatePipeWriter();
        LengthPrefixedMessages.Write(writer, seed: 11, index: 0, length: 70_000);
        LengthPrefixedMessages.Write(writer, seed: 11, index: 1, length: 3);
        Task receive = LengthPrefixedMessages.ReceiveAndVerifyAsync(pair.Server, 11, new[] { 70_000, 3 }, expectEof: true, cts.Token);

        await writer.CompleteAsync();
        await receive;

        Assert.Throws<InvalidOperationException>(() => writer.GetMemory());
        Assert.Throws<InvalidOperationException>(() => writer.GetSpan(10));
        Assert.Throws<InvalidOperationException>(() => writer.Advance(0));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.FlushAsync());
        await writer.CompleteAsync();
        writer.Complete();
        await WaitForPoolAsync(pool);
    }

    [Fact]
    public async Task CompleteWithAnExceptionDropsUnflushedBytesAndReturnsTheBuffers()
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        var socket = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool, OwnsSocket = true });
        ZeroCopyPipeWriter writer = socket.CreatePipeWriter();
        LengthPrefixedMessages.Write(writer, seed: 1, index: 0, length: 100_000);
        Assert.True(pool.RentedBuffers > 0);

        writer.Complete(new InvalidOperationException("the protocol failed"));

        Assert.Equal(0, pool.RentedBuffers);
        int received = await pair.Server.ReceiveAsync(new byte[16].AsMemory(), SocketFlags.None);
        Assert.Equal(0, received);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DisposingTheSocketWithUnflushedBytesFailsTheFlushAndReturnsTheBuffers(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        var socket = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, ForcePortable = forcePortable, BufferPool = pool });
        ZeroCopyPipeWriter writer = socket.CreatePipeWriter(new ZeroCopyPipeWriterOptions { LeaveOpen = true });
        LengthPrefixedMessages.Write(writer, seed: 2, index: 0, length: 90_000);

        await socket.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await writer.FlushAsync());
        Assert.Equal(0, pool.RentedBuffers);
        await writer.CompleteAsync();
        Assert.Equal(0, pool.RentedBuffers);
    }

    [Fact]
    public async Task MemoryRequestsAndAdvanceFollowTheContract()
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        var socket = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool });
        ZeroCopyPipeWriter writer = socket.CreatePipeWriter(new ZeroCopyPipeWriterOptions { MinimumSegmentSize = 4096 });
        Assert.True(writer.CanGetUnflushedBytes);

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(1));
        foreach (int hint in new[] { 0, 1, 4096, 4097, 100_000, PinnedBufferPool.MaxBufferSize })
        {
            Memory<byte> memory = writer.GetMemory(hint);
            Assert.True(memory.Length >= Math.Max(hint, 1), $"sizeHint {hint} got {memory.Length}");
            Assert.True(writer.GetSpan(hint).Length >= Math.Max(hint, 1));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.GetMemory(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.GetSpan(PinnedBufferPool.MaxBufferSize + 1));

        int length = writer.GetMemory(10).Length;
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(length + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(-1));
        writer.Advance(length);
        Assert.Equal(length, writer.UnflushedBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(1));

        Assert.Throws<ArgumentNullException>(() => ZeroCopyPipeWriter.Create(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.CreatePipeWriter(new ZeroCopyPipeWriterOptions { MinimumSegmentSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.CreatePipeWriter(new ZeroCopyPipeWriterOptions { MinimumSegmentSize = PinnedBufferPool.MaxBufferSize + 1 }));

        writer.Complete(new OperationCanceledException());
        Assert.Equal(0, pool.RentedBuffers);
    }

    private async Task RunScriptAsync(Step[] script, bool forcePortable, int seed, int segmentSize = ZeroCopyPipeWriterOptions.DefaultMinimumSegmentSize)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        using var cts = new CancellationTokenSource(Timeout);
        var socket = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, ForcePortable = forcePortable, BufferPool = pool, OwnsSocket = true });
        PipeWriter writer = socket.CreatePipeWriter(new ZeroCopyPipeWriterOptions { MinimumSegmentSize = segmentSize });
        int[] lengths = script.Select(s => s.Length).ToArray();
        Task receive = Task.Run(() => LengthPrefixedMessages.ReceiveAndVerifyAsync(pair.Server, seed, lengths, expectEof: true, cts.Token));
        for (int i = 0; i < script.Length; i++)
        {
            LengthPrefixedMessages.Write(writer, seed, i, script[i].Length);
            if (script[i].FlushAfter)
            {
                FlushResult result = await writer.FlushAsync(cts.Token);
                Assert.False(result.IsCanceled);
            }
        }

        await writer.CompleteAsync();
        await receive;
        await WaitForPoolAsync(pool);
    }

    // Every buffer comes back: the unsent ones at once, the sent ones when their completions arrive
    // (or when the socket's disposal reclaims them).
    private static async Task WaitForPoolAsync(PinnedBufferPool pool)
    {
        for (int i = 0; i < 200 && (pool.RentedBuffers != 0 || pool.InFlightBuffers != 0); i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pool.InFlightBuffers);
    }
}

/// <summary>Every test above on the io_uring engine (falls back to epoll, and repeats those runs, where the process cannot use io_uring).</summary>
public sealed class ZeroCopyPipeWriterTestsOnIoUring : ZeroCopyPipeWriterTests
{
    protected override SendEngine Engine => SendEngine.IoUring;
}
