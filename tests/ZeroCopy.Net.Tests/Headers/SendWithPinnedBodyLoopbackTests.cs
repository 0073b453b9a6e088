using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.Pinned;

namespace ZeroCopy.Net.Tests.Headers;

/// <summary>
/// SendWithHeadersAsync with a pinned body (SendBody.FromPinned) over real loopback sockets. The
/// headers, the body and the trailers are consecutive stretches of one <see cref="StreamPattern"/>,
/// so the receiver checks every byte of the stream and its order. Loopback completions say COPIED:
/// these tests switch off the COPIED adaptation so the MSG_ZEROCOPY path really runs.
/// </summary>
public class SendWithPinnedBodyLoopbackTests
{
    private const int Threshold = 16 * 1024;

    private static readonly bool s_linux = ZeroCopySocket.ProcessPlatformName == "linux";

    public static TheoryData<bool, bool> PathsAndTrailers()
    {
        var data = new TheoryData<bool, bool>();
        foreach (bool portable in new[] { false, true })
        {
            data.Add(portable, false);
            data.Add(portable, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndTrailers))]
    public async Task HeadersPinnedBodyAndTrailersArriveByteForByteBelowAndAboveTheThreshold(bool forcePortable, bool withTrailers)
    {
        const int Seed = 21;
        const int Rounds = 6;
        int[] sizes = { 0, 1, 1000, Threshold - 1, Threshold, 65536, 200_000, PinnedBufferPool.MaxBufferSize };
        int[] headerLengths = { 150, 50 };
        int[] trailerLengths = withTrailers ? new[] { 2, 20 } : Array.Empty<int>();
        long perRoundFraming = headerLengths.Sum() + trailerLengths.Sum();
        long total = Rounds * ((sizes.Length * perRoundFraming) + sizes.Sum(s => (long)s));

        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = 16L * 1024 * 1024 });
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            BufferPool = pool,
            PinnedZeroCopyThreshold = Threshold,
            CopiedCompletionsBeforeFallback = 0,
            ForcePortable = forcePortable,
        });
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, Seed);

        long position = 0;
        long belowBytes = 0;
        long aboveBytes = 0;
        int aboveSends = 0;
        for (int round = 0; round < Rounds; round++)
        {
            foreach (int size in sizes)
            {
                ReadOnlyMemory<byte>[] headers = PatternPieces(position, headerLengths, Seed);
                position += headerLengths.Sum();
                PinnedBuffer buffer = await pool.RentAsync(size);
                StreamPattern.Fill(buffer.Span.Slice(0, size), position, Seed);
                position += size;
                ReadOnlyMemory<byte>[] trailers = PatternPieces(position, trailerLengths, Seed);
                position += trailerLengths.Sum();

                long sent = await zc.SendWithHeadersAsync(headers, SendBody.FromPinned(buffer, size), trailers);

                Assert.Equal(perRoundFraming + size, sent);
                Assert.False(buffer.IsOwned, "the send took the buffer");
                Assert.True(pool.InFlightBuffers >= 0);
                if (size >= Threshold)
                {
                    aboveBytes += size;
                    aboveSends++;
                }
                else
                {
                    belowBytes += size;
                }
            }
        }

        Assert.Equal(total, await receive);
        await zc.DisposeAsync();

        ZeroCopyStatistics stats = zc.Statistics;
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pool.QuarantinedBuffers);
        Assert.Equal(Rounds * sizes.Length, stats.SendWithHeadersCalls);
        Assert.Equal(Rounds * sizes.Length, stats.PinnedSendCalls);
        if (forcePortable || !s_linux)
        {
            Assert.Equal(belowBytes + aboveBytes, stats.PinnedCopiedBytes);
            Assert.Equal(0, stats.PinnedZeroCopySyscalls);
            return;
        }

        // Below the threshold: in the headers' sendmsg, counted as copied. Above: MSG_ZEROCOPY, and
        // every zero-copy sendmsg got its completion before disposal.
        Assert.Equal(belowBytes, stats.PinnedCopiedBelowThresholdBytes);
        Assert.Equal(aboveBytes, stats.PinnedZeroCopyBytes + stats.PinnedCopiedNoBufsBytes);
        Assert.True(stats.PinnedZeroCopySyscalls >= aboveSends - stats.ZeroCopyNoBufsFallbacks, $"{stats.PinnedZeroCopySyscalls} zero-copy sendmsg calls for {aboveSends} bodies");
        Assert.True(stats.PinnedZeroCopySyscalls > 0);
        Assert.Equal(stats.PinnedZeroCopySyscalls, stats.ZeroCopyCompletedSends);
        Assert.Equal(0, stats.ZeroCopyAbandonedSends);
        Assert.Equal(0, stats.PinnedBytesInFlight);
        Assert.Equal(total - aboveBytes, stats.VectoredSendBytes);

        // MSG_MORE did the coalescing: no cork was set, and none is left.
        Assert.Equal(0, stats.CorkedSends);
        Assert.Equal(0, SendWithHeadersLoopbackTests.GetCork(pair.Client));
        Assert.True(pair.Client.NoDelay);
    }

    /// <summary>
    /// A peer that does not read holds the zero-copy send's completion back: the buffer stays in
    /// flight (never handed to another renter, who would overwrite it) until the completion arrives,
    /// and comes back on its own once the peer has read everything.
    /// </summary>
    [LinuxKernelFact]
    public async Task ThePinnedBodyGoesBackToThePoolOnlyWhenItsCompletionArrives()
    {
        const int Seed = 22;
        const int Length = 256 * 1024;
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Server.ReceiveBufferSize = 32 * 1024;
        pair.Client.SendBufferSize = 4 * 1024 * 1024;
        await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            BufferPool = pool,
            PinnedZeroCopyThreshold = 0,
            CopiedCompletionsBeforeFallback = 0,
        });

        ReadOnlyMemory<byte>[] header = PatternPieces(0, new[] { 200 }, Seed);
        ReadOnlyMemory<byte>[] trailer = PatternPieces(200 + Length, new[] { 30 }, Seed);
        long total = 200 + Length + 30;
        PinnedBuffer buffer = pool.Rent(Length);
        StreamPattern.Fill(buffer.Span, 200, Seed);
        Assert.Equal(total, await zc.SendWithHeadersAsync(header, SendBody.FromPinned(buffer, Length), trailer));

        await Task.Delay(200);
        Assert.Equal(1, pool.InFlightBuffers);
        Assert.True(zc.Statistics.PinnedZeroCopySyscalls > zc.Statistics.ZeroCopyCompletedSends, "the non-reading peer holds the completion back");

        // Meanwhile the pool lends other memory of the same size, and its new owner overwrites it.
        using (PinnedBuffer other = pool.Rent(Length))
        {
            other.Span.Fill(0xEE);
        }

        Assert.Equal(total, await StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, Seed));

        // Nobody calls the socket again: the reactor drains the completion and returns the buffer.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (pool.InFlightBuffers > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(zc.Statistics.PinnedZeroCopySyscalls, zc.Statistics.ZeroCopyCompletedSends);
        Assert.Equal(0, zc.Statistics.PinnedBytesInFlight);
    }

    /// <summary>
    /// 1,200 responses over 2 sockets through a pool of one slab: every buffer is re-rented and
    /// overwritten the moment it comes back, so a body released before the kernel was done with it
    /// would show up as a wrong byte at the receiver. Bodies straddle the threshold.
    /// </summary>
    [Fact]
    public async Task StressWithATightPoolCatchesAnyEarlyRelease()
    {
        const int Sockets = 2;
        const int SendsPerSocket = 600;
        using var pool = new PinnedBufferPool(new PinnedBufferPoolOptions { MaxTotalBytes = PinnedBufferPool.SlabBytes });
        using var anyReaderFailed = new CancellationTokenSource();
        Task<ZeroCopyStatistics>[] runs = Enumerable.Range(0, Sockets).Select(async s =>
        {
            int seed = 30 + s;
            using var pair = await LoopbackPair.CreateTcpAsync(ipv6: s % 2 == 1);
            await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
            {
                BufferPool = pool,
                PinnedZeroCopyThreshold = 8 * 1024,
                CopiedCompletionsBeforeFallback = 0,
            });
            var random = new Random(seed);
            var plan = Enumerable.Range(0, SendsPerSocket)
                .Select(i => (Header: random.Next(0, 300), Body: random.Next(0, 64 * 1024 + 1), Trailer: i % 3 == 0 ? random.Next(1, 40) : 0))
                .ToArray();
            long total = plan.Sum(p => (long)p.Header + p.Body + p.Trailer);
            Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, seed);

            // A reader that fails its check stops reading: the guard ends the sends instead of letting them block forever.
            using var guard = new SenderGuard(receive, TimeSpan.FromSeconds(120), anyReaderFailed);
            await guard.RunAsync(async token =>
            {
                long position = 0;
                foreach ((int headerLength, int bodyLength, int trailerLength) in plan)
                {
                    ReadOnlyMemory<byte>[] headers = PatternPieces(position, new[] { headerLength }, seed);
                    position += headerLength;

                    // Waits until a completion returns a buffer (16 of this size fit in the pool), then overwrites it at once.
                    PinnedBuffer buffer = await pool.RentAsync(64 * 1024, token);
                    StreamPattern.Fill(buffer.Span.Slice(0, bodyLength), position, seed);
                    position += bodyLength;
                    ReadOnlyMemory<byte>[] trailers = PatternPieces(position, new[] { trailerLength }, seed);
                    position += trailerLength;
                    await zc.SendWithHeadersAsync(headers, SendBody.FromPinned(buffer, bodyLength), trailers, token);
                }
            });

            Assert.Equal(total, await guard.ReaderResultAsync(receive));
            await zc.DisposeAsync();
            return zc.Statistics;
        }).ToArray();

        ZeroCopyStatistics[] all = await SenderGuard.WhenAllAsync(runs);
        Assert.Equal(0, pool.InFlightBuffers);
        Assert.Equal(0, pool.RentedBuffers);
        Assert.Equal(0, pool.QuarantinedBuffers);
        foreach (ZeroCopyStatistics stats in all)
        {
            Assert.Equal(SendsPerSocket, stats.SendWithHeadersCalls);
            if (s_linux)
            {
                Assert.True(stats.PinnedZeroCopySyscalls > 0);
                Assert.Equal(stats.PinnedZeroCopySyscalls, stats.ZeroCopyCompletedSends);
                Assert.True(stats.PinnedCopiedBelowThresholdBytes > 0);
            }
        }
    }

    /// <summary>Pieces that continue <see cref="StreamPattern"/> from <paramref name="position"/>.</summary>
    internal static ReadOnlyMemory<byte>[] PatternPieces(long position, int[] lengths, int seed)
    {
        var pieces = new ReadOnlyMemory<byte>[lengths.Length];
        for (int i = 0; i < lengths.Length; i++)
        {
            var piece = new byte[lengths[i]];
            StreamPattern.Fill(piece, position, seed);
            position += piece.Length;
            pieces[i] = piece;
        }

        return pieces;
    }
}
