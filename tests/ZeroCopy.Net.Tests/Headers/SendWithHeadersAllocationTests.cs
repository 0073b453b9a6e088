using System;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Headers;

[Collection(IsolatedCollection.Name)]
public class SendWithHeadersAllocationTests
{
    /// <summary>
    /// In steady state a send that completes without waiting allocates nothing, for every body form:
    /// the iovec is on the stack, pins and slices live in per-socket scratch arrays, small bodies use
    /// a pooled buffer. (The socket buffer is large enough that none of these sends waits, so the
    /// whole send runs on this thread and the per-thread counter sees all of it.)
    /// </summary>
    [LinuxKernelFact]
    public async Task SendsThatDoNotWaitAllocateNothing()
    {
        using var small = TestFile.Create(1024);
        using var large = TestFile.Create(20_000);
        using var pair = await LoopbackPair.CreateTcpAsync(noDelay: false);
        pair.Client.SendBufferSize = 8 << 20;
        pair.Server.ReceiveBufferSize = 8 << 20;
        await using var zc = new ZeroCopySocket(pair.Client);
        using SafeFileHandle smallHandle = File.OpenHandle(small.Path);
        using SafeFileHandle largeHandle = File.OpenHandle(large.Path);
        var header = new byte[200];
        var trailer = new byte[10];
        var body = new byte[4096];
        ReadOnlyMemory<byte>[] pieces = { header, trailer, header };

        long total = 0;
        long Round()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                total += Sync(zc.SendWithHeadersAsync(header, SendBody.FromFile(smallHandle)));
                total += Sync(zc.SendWithHeadersAsync(header, SendBody.FromFile(small.Path)));
                total += Sync(zc.SendWithHeadersAsync(header, SendBody.FromFile(largeHandle)));
                total += Sync(zc.SendWithHeadersAsync(header, SendBody.FromFile(largeHandle), trailer));
                total += Sync(zc.SendWithHeadersAsync(pieces, SendBody.FromMemory(body), pieces));
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Round();
        long allocated = Round();

        var sink = new byte[total];
        await ResponseExchange.ReceiveExactlyAsync(pair.Server, sink, sink.Length);
        Assert.Equal(0, zc.Statistics.WouldBlockWaits);
        Assert.Equal(0, allocated);
    }

    private static long Sync(ValueTask<long> send)
    {
        Assert.True(send.IsCompletedSuccessfully, "the send should not have had to wait");
        return send.Result;
    }
}
