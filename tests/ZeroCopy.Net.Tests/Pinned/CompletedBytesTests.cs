using System;
using System.Net.Sockets;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// Completion counters count the bytes the kernel accepted, not the bytes each sendmsg asked for:
/// under a small send buffer a 1 MiB vectored send is many partial sendmsg calls.
/// </summary>
public class CompletedBytesTests
{
    [LinuxKernelFact]
    public async Task PartialZeroCopySendsCountOnlyTheBytesTheKernelTook()
    {
        const int Rounds = 20;
        const int BufferBytes = 256 * 1024;
        using var pool = new PinnedBufferPool();
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Client.SendBufferSize = 64 * 1024;
        long total = (long)Rounds * 4 * BufferBytes;
        Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, total, seed: 5);

        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions
        {
            BufferPool = pool,
            PinnedZeroCopyThreshold = 0,
            CopiedCompletionsBeforeFallback = 0, // loopback says COPIED: keep using MSG_ZEROCOPY anyway
        });
        await using (zc)
        {
            long position = 0;
            var buffers = new PinnedBuffer[4];
            var lengths = new[] { BufferBytes, BufferBytes, BufferBytes, BufferBytes };
            for (int round = 0; round < Rounds; round++)
            {
                for (int i = 0; i < buffers.Length; i++)
                {
                    buffers[i] = zc.RentBuffer(BufferBytes);
                    StreamPattern.Fill(buffers[i].Span[..BufferBytes], position, seed: 5);
                    position += BufferBytes;
                }

                await zc.SendPinnedAsync(buffers, lengths);
            }

            Assert.Equal(total, await receive.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        // Disposal drained every completion.
        ZeroCopyStatistics s = zc.Statistics;
        Assert.Equal(0, s.ZeroCopyAbandonedSends);
        Assert.Equal(total, s.PinnedZeroCopyBytes);
        Assert.True(s.PinnedZeroCopySyscalls > Rounds, $"expected partial sends under a 64 KiB send buffer; saw {s.PinnedZeroCopySyscalls} sendmsg calls for {Rounds} sends");
        Assert.Equal(total, s.ZeroCopyCopiedBytes + s.ZeroCopyUncopiedBytes);
        Assert.Equal(0, s.PinnedBytesInFlight);
    }
}
