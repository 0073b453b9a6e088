using System;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using ZeroCopy.Net.AspNetCore.Internal;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>
/// The connection's output writer on its own, over a real loopback TCP connection (built as the transport builds it,
/// without Kestrel): flushes that wait for socket space allocate nothing, an overlapping flush is refused, and abort,
/// dispose, Complete and CancelPendingFlush from another thread end or order a waiting flush correctly. Timeouts only
/// guard against hangs; nothing here is timed.
/// </summary>
[Collection(nameof(OutputWriterCollection))]
public sealed class OutputWriterTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WaitingFlushes_AllocateNothing_AndSynchronousFlushesNeither()
    {
        await using Pair pair = Pair.Create(smallBuffers: true);
        ZeroCopyOutputWriter writer = pair.Connection.Output;
        byte[] chunk = Pattern(64 * 1024, seed: 1);
        long expected = 0;
        Task<long> reader = pair.DrainClientAsync();

        // Waiting flushes: 64 KiB each into a send buffer of a few KiB, so the send waits for the reader. The bytes
        // allocated on the flushing thread are measured around the FlushAsync call alone (up to where it returns the
        // pending task), which is where a flush's state machine box or Task would be allocated.
        const int Rounds = 8, PerRound = 100;
        long leastPerWaitingFlush = long.MaxValue;
        int waitedTotal = 0;
        for (int round = 0; round < Rounds + 2; round++)
        {
            long bytes = 0;
            int waited = 0;
            for (int i = 0; i < PerRound; i++)
            {
                Write(writer, chunk);
                expected += chunk.Length;
                long before = GC.GetAllocatedBytesForCurrentThread();
                ValueTask<FlushResult> flush = writer.FlushAsync();
                long after = GC.GetAllocatedBytesForCurrentThread();
                if (!flush.IsCompleted)
                {
                    waited++;
                    bytes += after - before;
                }

                FlushResult result = await flush.AsTask().WaitAsync(HangGuard);
                Assert.False(result.IsCompleted || result.IsCanceled);
            }

            // The first two rounds warm the pools (the pooled state machine boxes, the socket's operations).
            if (round >= 2 && waited > 0)
            {
                waitedTotal += waited;
                leastPerWaitingFlush = Math.Min(leastPerWaitingFlush, bytes / waited);
            }
        }

        Assert.True(waitedTotal >= Rounds * PerRound / 4, $"only {waitedTotal} of {Rounds * PerRound} flushes waited for socket space: the waiting path was not exercised");
        // A Task, or an unpooled async state machine box, is 100 bytes and more; a pooled box costs nothing once warm.
        Assert.True(leastPerWaitingFlush < 32, $"a waiting flush allocates {leastPerWaitingFlush} bytes (least round)");

        // Synchronous flushes: small writes the send buffer takes at once.
        byte[] small = Pattern(200, seed: 2);
        long leastPerSyncFlush = long.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            long bytes = 0;
            int sync = 0;
            for (int i = 0; i < PerRound; i++)
            {
                Write(writer, small);
                expected += small.Length;
                long before = GC.GetAllocatedBytesForCurrentThread();
                ValueTask<FlushResult> flush = writer.FlushAsync();
                long after = GC.GetAllocatedBytesForCurrentThread();
                if (flush.IsCompleted)
                {
                    sync++;
                    bytes += after - before;
                }

                _ = await flush.AsTask().WaitAsync(HangGuard);
            }

            if (sync > 0)
            {
                leastPerSyncFlush = Math.Min(leastPerSyncFlush, bytes / sync);
            }
        }

        Assert.Equal(0, leastPerSyncFlush);

        pair.Client.Shutdown(SocketShutdown.Send);
        await pair.Connection.DisposeAsync();
        Assert.Equal(expected, await reader.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task OverlappingFlush_IsRefused_AndBytesAreNotInterleaved()
    {
        await using Pair pair = Pair.Create(smallBuffers: true);
        ZeroCopyOutputWriter writer = pair.Connection.Output;
        byte[] first = Pattern(1024 * 1024, seed: 3);
        byte[] second = Pattern(4096, seed: 4);

        // The client does not read yet: the first flush waits for socket space.
        Write(writer, first);
        ValueTask<FlushResult> pending = writer.FlushAsync();
        Assert.False(pending.IsCompleted, "the first flush did not wait: the test needs it in flight");

        // Bytes written while it is in flight stay buffered; a second flush is refused, not interleaved.
        Write(writer, second);
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.FlushAsync().AsTask());

        Task<byte[]> received = pair.ReadClientAsync(first.Length + second.Length);
        FlushResult result = await pending.AsTask().WaitAsync(HangGuard);
        Assert.False(result.IsCompleted || result.IsCanceled);

        // The refused flush lost nothing: the next one sends the second write, after the first.
        result = await writer.FlushAsync().AsTask().WaitAsync(HangGuard);
        Assert.False(result.IsCompleted || result.IsCanceled);
        byte[] bytes = await received.WaitAsync(HangGuard);
        Assert.True(bytes.AsSpan(0, first.Length).SequenceEqual(first), "the first flush's bytes are not intact");
        Assert.True(bytes.AsSpan(first.Length).SequenceEqual(second), "the second write did not follow the first");
    }

    [Fact]
    public async Task AbortFromAnotherThread_EndsAWaitingFlush_BytesBeforeItIntact()
    {
        await using Pair pair = Pair.Create(smallBuffers: true);
        ZeroCopyOutputWriter writer = pair.Connection.Output;
        byte[] head = Pattern(100_000, seed: 5);
        byte[] big = Pattern(8 * 1024 * 1024, seed: 6);

        // A first flush that goes out whole.
        Task<byte[]> headReceived = pair.ReadClientAsync(head.Length);
        Write(writer, head);
        Assert.False((await writer.FlushAsync().AsTask().WaitAsync(HangGuard)).IsCompleted);
        Assert.True((await headReceived.WaitAsync(HangGuard)).AsSpan().SequenceEqual(head));

        // Then one that waits: the client stops reading.
        Write(writer, big);
        ValueTask<FlushResult> pending = writer.FlushAsync();
        Assert.False(pending.IsCompleted, "the flush did not wait: the test needs it in flight");

        await Task.Run(() => pair.Connection.Abort(new ConnectionAbortedException("aborted by the test")));

        // The flush ends: completed (the output is dead), as documented; never a hang.
        FlushResult result = await pending.AsTask().WaitAsync(HangGuard);
        Assert.True(result.IsCompleted);
        Write(writer, head);
        Assert.True((await writer.FlushAsync().AsTask().WaitAsync(HangGuard)).IsCompleted);

        // What the client gets after the first flush is a prefix of the aborted one's bytes, then the end.
        byte[] rest = await pair.ReadClientToEndAsync().WaitAsync(HangGuard);
        Assert.True(rest.Length < big.Length);
        Assert.True(big.AsSpan(0, rest.Length).SequenceEqual(rest), "the bytes sent before the abort are not intact");
    }

    [Fact]
    public async Task DisposeWhileAFlushWaits_EndsTheFlushAndTheDispose()
    {
        await using Pair pair = Pair.Create(smallBuffers: true);
        ZeroCopyOutputWriter writer = pair.Connection.Output;
        Write(writer, Pattern(8 * 1024 * 1024, seed: 7));
        ValueTask<FlushResult> pending = writer.FlushAsync();
        Assert.False(pending.IsCompleted, "the flush did not wait: the test needs it in flight");

        // Dispose completes the output (its drain waits for the flush in flight) and shuts the socket down.
        Task dispose = Task.Run(async () => await pair.Connection.DisposeAsync());
        FlushResult result = await pending.AsTask().WaitAsync(HangGuard);
        Assert.True(result.IsCompleted);
        await dispose.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task CompleteWhileAFlushWaits_SendsWhatFollowsAfterIt_ThenCloses()
    {
        await using Pair pair = Pair.Create(smallBuffers: true);
        ZeroCopyOutputWriter writer = pair.Connection.Output;
        byte[] first = Pattern(2 * 1024 * 1024, seed: 8);
        byte[] last = Pattern(30_000, seed: 9);

        Write(writer, first);
        ValueTask<FlushResult> pending = writer.FlushAsync();
        Assert.False(pending.IsCompleted, "the flush did not wait: the test needs it in flight");
        Write(writer, last);

        // Completed from another thread while the flush is in flight: the drain sends the unflushed bytes after it.
        await Task.Run(() => writer.Complete());
        Task<byte[]> received = pair.ReadClientToEndAsync();
        Assert.False((await pending.AsTask().WaitAsync(HangGuard)).IsCompleted);
        byte[] bytes = await received.WaitAsync(HangGuard);

        Assert.Equal(first.Length + last.Length, bytes.Length);
        Assert.True(bytes.AsSpan(0, first.Length).SequenceEqual(first));
        Assert.True(bytes.AsSpan(first.Length).SequenceEqual(last));
        Assert.Throws<InvalidOperationException>(() => writer.GetMemory());
    }

    [Fact]
    public async Task CancelPendingFlush_CancelsTheNextFlush_NotOneInFlight()
    {
        await using Pair pair = Pair.Create(smallBuffers: true);
        ZeroCopyOutputWriter writer = pair.Connection.Output;
        byte[] a = Pattern(5000, seed: 10);
        byte[] b = Pattern(1024 * 1024, seed: 11);

        // No flush in flight: the next flush returns IsCanceled and keeps its bytes.
        Write(writer, a);
        writer.CancelPendingFlush();
        FlushResult result = await writer.FlushAsync();
        Assert.True(result.IsCanceled);

        // A flush in flight is not cancelled (its bytes cannot be taken back): the client does not read yet, so it waits.
        Write(writer, b);
        ValueTask<FlushResult> flush = writer.FlushAsync();
        Assert.False(flush.IsCompleted, "the flush did not wait: the test needs it in flight");
        writer.CancelPendingFlush();
        Task<byte[]> received = pair.ReadClientAsync(a.Length + b.Length);
        result = await flush.AsTask().WaitAsync(HangGuard);
        Assert.False(result.IsCanceled || result.IsCompleted);

        // And the cancel that met a flush in flight does not carry over to the next one.
        result = await writer.FlushAsync();
        Assert.False(result.IsCanceled);

        byte[] bytes = await received.WaitAsync(HangGuard);
        Assert.True(bytes.AsSpan(0, a.Length).SequenceEqual(a));
        Assert.True(bytes.AsSpan(a.Length).SequenceEqual(b));
    }

    private static void Write(PipeWriter writer, byte[] bytes)
    {
        ReadOnlySpan<byte> left = bytes;
        while (!left.IsEmpty)
        {
            Span<byte> span = writer.GetSpan(Math.Min(left.Length, 4096));
            int n = Math.Min(span.Length, left.Length);
            left[..n].CopyTo(span);
            writer.Advance(n);
            left = left[n..];
        }
    }

    private static byte[] Pattern(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A loopback TCP connection: the server side wrapped as the transport wraps an accepted socket.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly ServiceProvider _services;

        private Pair(Socket client, ZeroCopyConnection connection, ServiceProvider services)
        {
            Client = client;
            Connection = connection;
            _services = services;
        }

        public Socket Client { get; }

        public ZeroCopyConnection Connection { get; }

        public static Pair Create(bool smallBuffers)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (smallBuffers)
            {
                client.ReceiveBufferSize = 4096;
            }

            client.Connect(listener.LocalEndPoint!);
            Socket server = listener.Accept();
            if (smallBuffers)
            {
                // A send buffer of a few KiB: a flush of tens of KiB waits for the client to read.
                server.SendBufferSize = 4096;
            }

            ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var metrics = new AspNetCoreMetrics(services.GetRequiredService<IMeterFactory>());
            var connection = new ZeroCopyConnection(server, new ZeroCopyTransportOptions(), metrics);
            return new Pair(client, connection, services);
        }

        /// <summary>Reads everything until the server's end of stream (or a reset), counting bytes.</summary>
        public Task<long> DrainClientAsync() => Task.Run(async () =>
        {
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            while (true)
            {
                int n = await ReceiveOrEndAsync(buffer);
                if (n == 0)
                {
                    return total;
                }

                total += n;
            }
        });

        public Task<byte[]> ReadClientAsync(int count) => Task.Run(async () =>
        {
            byte[] bytes = new byte[count];
            int filled = 0;
            while (filled < count)
            {
                int n = await ReceiveOrEndAsync(bytes.AsMemory(filled));
                Assert.True(n > 0, $"the connection ended after {filled} of {count} bytes");
                filled += n;
            }

            return bytes;
        });

        public Task<byte[]> ReadClientToEndAsync() => Task.Run(async () =>
        {
            var all = new System.IO.MemoryStream();
            byte[] buffer = new byte[64 * 1024];
            while (true)
            {
                int n = await ReceiveOrEndAsync(buffer);
                if (n == 0)
                {
                    return all.ToArray();
                }

                all.Write(buffer, 0, n);
            }
        });

        private async Task<int> ReceiveOrEndAsync(Memory<byte> buffer)
        {
            try
            {
                return await Client.ReceiveAsync(buffer, SocketFlags.None);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                return 0;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            Client.Dispose();
            await _services.DisposeAsync();
        }
    }
}

/// <summary>The writer tests run alone: whether a flush waits for socket space depends on the reader keeping up.</summary>
[CollectionDefinition(nameof(OutputWriterCollection), DisableParallelization = true)]
public sealed class OutputWriterCollection
{
}
