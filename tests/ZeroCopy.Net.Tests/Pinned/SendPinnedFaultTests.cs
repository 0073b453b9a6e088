using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

// These tests check that bad calls throw synchronously, before any ValueTask exists to consume.
#pragma warning disable CA2012

/// <summary>Bad input and faults: nothing is lost, nothing is released early, nothing leaks.</summary>
public class SendPinnedFaultTests
{
    /// <summary>The engine the kernel-path sockets ask for; <see cref="SendPinnedFaultTestsOnIoUring"/> runs every test again with io_uring.</summary>
    protected virtual SendEngine Engine => SendEngine.Auto;

    private static readonly bool s_linux = ZeroCopySocket.ProcessPlatformName == "linux";

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task BadArgumentsAreRefusedAndTheCallerKeepsTheBuffer(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var other = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool, ForcePortable = forcePortable });
        PinnedBuffer buffer = zc.RentBuffer(4096);

        Assert.Throws<ArgumentException>(() => { _ = zc.SendPinnedAsync(default(PinnedBuffer), 0); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = zc.SendPinnedAsync(buffer, -1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = zc.SendPinnedAsync(buffer, 4097); });
        using (PinnedBuffer foreign = other.Rent(10))
        {
            Assert.Throws<ArgumentException>(() => { _ = zc.SendPinnedAsync(foreign, 10); });
            Assert.True(foreign.IsOwned);
        }

        Assert.Throws<ArgumentException>(() => { _ = zc.SendPinnedAsync(new[] { buffer, buffer }, new[] { 1, 1 }); });
        Assert.Throws<ArgumentException>(() => { _ = zc.SendPinnedAsync(new[] { buffer }, new[] { 1, 1 }); });
        Assert.Throws<ArgumentException>(() => { _ = zc.SendPinnedAsync(ReadOnlySpan<PinnedBuffer>.Empty, ReadOnlySpan<int>.Empty); });
        Assert.True(buffer.IsOwned);
        Assert.Equal(1, pool.RentedBuffers);

        // The buffer is still usable after all that.
        buffer.Span[0] = 77;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, 0, 0);
        await zc.SendPinnedAsync(buffer, 1);
        var one = new byte[1];
        Assert.Equal(1, await pair.Server.ReceiveAsync(one, SocketFlags.None));
        Assert.Equal(77, one[0]);
        await receive;
    }

    [Fact]
    public async Task InvalidPinnedOptionsAreRefusedWhenTheSocketIsWrappedBeforeAnyBufferIsTaken()
    {
        // Options are validated once, when the socket is wrapped (issue 11): a bad value never
        // reaches a send, so it can never cost the caller a buffer.
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        PinnedBuffer buffer = pool.Rent(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool, MaxPinnedBytesInFlight = 0 }));
        Assert.True(buffer.IsOwned);
        buffer.Dispose();
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ASentBufferCannotBeTouchedOrSentAgain(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool, ForcePortable = forcePortable, PinnedZeroCopyThreshold = 0 });
        PinnedBuffer buffer = zc.RentBuffer(65536);
        PinnedBuffer copy = buffer;
        Memory<byte> memory = buffer.Memory;
        await zc.SendPinnedAsync(buffer, 65536);

        Assert.Throws<ObjectDisposedException>(() => copy.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => copy.Memory);
        Assert.Throws<ObjectDisposedException>(() => copy.Capacity);
        Assert.Throws<ObjectDisposedException>(() => { _ = zc.SendPinnedAsync(copy, 1); });
        if (pool.InFlightBuffers > 0)
        {
            // Still in flight: a Memory kept past the send refuses too.
            Assert.Throws<ObjectDisposedException>(() => memory.Span.Length);
        }

        copy.Dispose(); // no effect on a sent buffer
        var sink = new byte[65536];
        int got = 0;
        while (got < sink.Length)
        {
            got += await pair.Server.ReceiveAsync(sink.AsMemory(got), SocketFlags.None);
        }

        await zc.DisposeAsync();
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task SendAfterDisposeThrowsAndLeavesTheBufferWithTheCaller(bool forcePortable)
    {
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool, ForcePortable = forcePortable });
        PinnedBuffer buffer = zc.RentBuffer(100);
        await zc.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => { _ = zc.SendPinnedAsync(buffer, 100); });
        Assert.Throws<ObjectDisposedException>(() => { _ = zc.SendPinnedAsync(new ReadOnlyMemory<byte>(new byte[10])); });
        Assert.True(buffer.IsOwned);
        buffer.Dispose();
        Assert.Equal(0, pool.RentedBuffers);
    }

    [Fact]
    public async Task PeerResetWithSendsInFlightLeaksNothing()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 32L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Server.ReceiveBufferSize = 64 * 1024;
        pair.Client.SendBufferSize = 4 * 1024 * 1024;
        var options = new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool, PinnedZeroCopyThreshold = 0, CopiedCompletionsBeforeFallback = 0, MaxPinnedBytesInFlight = 64L * 1024 * 1024 };
        var zc = new ZeroCopySocket(pair.Client, options);

        // Fill the peer's window and the send queue while the peer reads nothing.
        using (var fill = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            try
            {
                for (int i = 0; i < 64; i++)
                {
                    PinnedBuffer buffer = pool.Rent(65536);
                    await zc.SendPinnedAsync(buffer, 65536, fill.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        // Reset: unread data plus linger 0 makes the peer send RST.
        pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close();

        SocketException? failure = null;
        for (int i = 0; i < 100 && failure is null; i++)
        {
            PinnedBuffer buffer = pool.Rent(65536);
            try
            {
                await zc.SendPinnedAsync(buffer, 65536);
                await Task.Delay(10);
            }
            catch (SocketException ex)
            {
                failure = ex;
            }
        }

        Assert.NotNull(failure);
        Assert.Contains(failure!.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown, SocketError.ConnectionAborted });
        await zc.DisposeAsync();
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pool.QuarantinedBuffers);
        if (s_linux)
        {
            Assert.Equal(0, zc.Statistics.ZeroCopyAbandonedSends);
            Assert.Equal(zc.Statistics.PinnedZeroCopySyscalls, zc.Statistics.ZeroCopyCompletedSends);
        }
    }

    [LinuxKernelFact]
    public async Task CancellationWhileWaitingForCompletionsLeavesTheStreamIntact()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 16L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Server.ReceiveBufferSize = 32 * 1024;
        pair.Client.SendBufferSize = 4 * 1024 * 1024;
        var options = new ZeroCopySocketOptions { Engine = Engine, BufferPool = pool, PinnedZeroCopyThreshold = 0, CopiedCompletionsBeforeFallback = 0, MaxPinnedBytesInFlight = 512 * 1024 };
        await using var zc = new ZeroCopySocket(pair.Client, options);

        long sent = 0;
        using var cts = new CancellationTokenSource();
        OperationCanceledException? canceled = null;
        for (int i = 0; i < 200 && canceled is null; i++)
        {
            PinnedBuffer buffer = pool.Rent(65536);
            StreamPattern.Fill(buffer.Span, sent, seed: 3);
            ValueTask send = zc.SendPinnedAsync(buffer, 65536, cts.Token);
            if (!send.IsCompleted)
            {
                await Task.Delay(200);
                Assert.False(send.IsCompleted, "the send should be waiting for completions the non-reading peer holds back");
                cts.Cancel();
            }

            try
            {
                await send;
                sent += 65536;
            }
            catch (OperationCanceledException ex)
            {
                canceled = ex;
            }
        }

        Assert.NotNull(canceled);
        Assert.True(zc.Statistics.PinnedBackpressureWaits > 0, "the wait was for completions (bytes in flight), not for socket space");
        Assert.True(zc.Statistics.PinnedBytesInFlight <= 512 * 1024);

        // The cancelled send sent nothing: the peer gets exactly the completed sends, byte for byte.
        Assert.Equal(sent, await StreamPattern.ReceiveAndVerifyAsync(pair.Server, sent, seed: 3));
        await zc.DisposeAsync();
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.QuarantinedBuffers);
    }

    [LinuxKernelFact]
    public async Task DisposalWithCompletionsThatNeverComeQuarantinesTheBuffers()
    {
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 32L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Server.ReceiveBufferSize = 32 * 1024;
        pair.Client.SendBufferSize = 4 * 1024 * 1024;
        var options = new ZeroCopySocketOptions
        {
            Engine = Engine,
            BufferPool = pool,
            PinnedZeroCopyThreshold = 0,
            CopiedCompletionsBeforeFallback = 0,
            MaxPinnedBytesInFlight = 1024 * 1024,
            DisposeTimeout = TimeSpan.FromMilliseconds(300),
        };
        var zc = new ZeroCopySocket(pair.Client, options);
        using (var fill = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            try
            {
                while (true)
                {
                    await zc.SendPinnedAsync(pool.Rent(65536), 65536, fill.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        long inFlight = pool.InFlightBuffers;
        Assert.True(inFlight > 0, "the non-reading peer must hold some sends");
        await zc.DisposeAsync();

        string state = $"in flight before {inFlight}, quarantined {pool.QuarantinedBuffers}, abandoned {zc.Statistics.ZeroCopyAbandonedSends}, completed {zc.Statistics.ZeroCopyCompletedSends}/{zc.Statistics.PinnedZeroCopySyscalls}";
        Assert.True(pool.QuarantinedBuffers > 0, state);
        Assert.True(zc.Statistics.ZeroCopyAbandonedSends > 0, state);
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, zc.Statistics.PinnedBytesInFlight);

        Assert.Equal(pool.QuarantinedBuffers * 65536, pool.QuarantinedBytes);

        // Quarantined memory is unmapped and never rented again: rent everything the pool can give
        // and write to all of it (a quarantined buffer handed out would fault right here).
        var all = new System.Collections.Generic.List<PinnedBuffer>();
        try
        {
            while (true)
            {
                PinnedBuffer b = pool.Rent(65536);
                b.Span.Fill(0xAB);
                all.Add(b);
            }
        }
        catch (InsufficientMemoryException)
        {
        }

        Assert.True(all.Count > 0);
        Assert.True(pool.MappedBytes <= pool.MaxTotalBytes, "quarantined memory was unmapped; the pool stays within its limit");
        foreach (PinnedBuffer b in all)
        {
            b.Dispose();
        }

        pair.Client.Dispose();
    }
}

/// <summary>Every test above on the io_uring engine (falls back to epoll, and repeats those runs, where the process cannot use io_uring).</summary>
public sealed class SendPinnedFaultTestsOnIoUring : SendPinnedFaultTests
{
    protected override SendEngine Engine => SendEngine.IoUring;
}
