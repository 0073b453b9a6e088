using System;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// Loopback TCP sends, every byte hashed on the receiver, run over every SendFileAsync overload
/// (<typeparamref name="TOverload"/>) and both platform paths (<see cref="SendPaths.Both"/>).
/// </summary>
public abstract class SendFileTests<TOverload>
    where TOverload : IFileOverload, new()
{
    protected static readonly IFileOverload Overload = new TOverload();

    private const long MiB = SendFileData.MiB;

    [Theory]
    [MemberData(nameof(SendFileData.SizesByPath), MemberType = typeof(SendFileData))]
    public async Task SendsWholeFileAndEveryByteArrives(long size, bool forcePortable)
    {
        await SendAndVerifyAsync(size, forcePortable);
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task Sends64MiB(bool forcePortable)
    {
        await SendAndVerifyAsync(64 * MiB, forcePortable);
    }

    private static async Task SendAndVerifyAsync(long size, bool forcePortable)
    {
        using var file = TestFile.Create(size);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, size);
        long sent = await SendFileKit.Within(Overload.SendAsync(zc, file.Path), "the send");
        HashingReceiver.Result got = await SendFileKit.Within(receive, "the receiver");

        Assert.Equal(size, sent);
        Assert.Equal(size, got.Bytes);
        Assert.Equal(TestFile.ExpectedHash(0, size), got.Hash);
        Assert.Equal(1, zc.Statistics.SendFileCalls);
        SendFileKit.AssertPathCounters(zc, forcePortable, size);

        // Nothing more than the file: the stream ends exactly here.
        byte[] rest = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);
        Assert.Empty(rest);
    }

    [Theory]
    [MemberData(nameof(SendFileData.Windows), MemberType = typeof(SendFileData))]
    public async Task SendsExactlyTheRequestedWindow(long offset, long? count, bool forcePortable)
    {
        using var file = TestFile.Create(MiB + 13, seed: 3);
        long expected = count ?? (file.Length - offset);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        long sent = await SendFileKit.Within(Overload.SendAsync(zc, file.Path, offset, count), "the send");
        byte[] got = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);

        Assert.Equal(expected, sent);
        Assert.Equal(expected, got.LongLength);
        Assert.Equal(TestFile.ExpectedHash(offset, expected, seed: 3), SHA256.HashData(got));
        SendFileKit.AssertPathCounters(zc, forcePortable, expected);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ConsecutiveWindowsOnOneSocketFormOneOrderedStream(bool forcePortable)
    {
        using var file = TestFile.Create(300_001, seed: 5);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        // Send the file back to front in uneven windows; the receiver reassembles nothing, it just
        // checks that the stream is exactly those windows in that order.
        long[] cuts = { 0, 1, 4096, 4097, 100_000, 200_003, 300_001 };
        Task<byte[]> receive = Task.Run(async () =>
        {
            var buffer = new byte[file.Length];
            int total = 0;
            while (total < buffer.Length)
            {
                int n = await pair.Server.ReceiveAsync(buffer.AsMemory(total), System.Net.Sockets.SocketFlags.None);
                Assert.NotEqual(0, n);
                total += n;
            }

            return buffer;
        });

        for (int i = cuts.Length - 2; i >= 0; i--)
        {
            long sent = await SendFileKit.Within(Overload.SendAsync(zc, file.Path, cuts[i], cuts[i + 1] - cuts[i]), "a window send");
            Assert.Equal(cuts[i + 1] - cuts[i], sent);
        }

        byte[] got = await SendFileKit.Within(receive, "the receiver");
        int at = 0;
        for (int i = cuts.Length - 2; i >= 0; i--)
        {
            for (long p = cuts[i]; p < cuts[i + 1]; p++, at++)
            {
                if (got[at] != TestFile.PatternByte(p, 5))
                {
                    Assert.Fail($"Byte {at} of the stream should be file byte {p} (window {i}) but differs.");
                }
            }
        }

        Assert.Equal(cuts.Length - 1, zc.Statistics.SendFileCalls);
        SendFileKit.AssertPathCounters(zc, forcePortable, file.Length);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ThirtyTwoConnectionsAtOnceEachGetTheirOwnFile(bool forcePortable)
    {
        const int connections = 32;
        var files = Enumerable.Range(0, connections).Select(i => TestFile.Create(64 * 1024 + (i * 4099), seed: 100 + i)).ToArray();
        var pairs = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => LoopbackPair.CreateTcpAsync()));
        try
        {
            var sockets = pairs.Select(p => new ZeroCopySocket(p.Client, SendPaths.Options(forcePortable))).ToArray();
            Task<HashingReceiver.Result>[] receives = pairs.Select((p, i) => HashingReceiver.ReceiveAsync(p.Server, files[i].Length)).ToArray();
            Task<long>[] sends = sockets.Select((zc, i) => Overload.SendAsync(zc, files[i].Path)).ToArray();

            long[] sent = await SendFileKit.Within(Task.WhenAll(sends), "32 concurrent sends");
            HashingReceiver.Result[] got = await SendFileKit.Within(Task.WhenAll(receives), "32 receivers");
            for (int i = 0; i < connections; i++)
            {
                Assert.Equal(files[i].Length, sent[i]);
                Assert.Equal(files[i].Length, got[i].Bytes);
                Assert.Equal(TestFile.ExpectedHash(0, files[i].Length, seed: 100 + i), got[i].Hash);
                SendFileKit.AssertPathCounters(sockets[i], forcePortable, files[i].Length);
                await sockets[i].DisposeAsync();
            }
        }
        finally
        {
            foreach (LoopbackPair pair in pairs)
            {
                pair.Dispose();
            }

            foreach (TestFile file in files)
            {
                file.Dispose();
            }
        }
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task SlowReaderForcesRepeatedWaitsAndEveryByteArrives(bool forcePortable)
    {
        using var file = TestFile.Create(MiB + 13, seed: 9);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        // At most 16 KiB per read with a pause after each: the sender fills the buffers again and again.
        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, file.Length, delayPerChunkMs: 1, chunk: 16 * 1024);
        long sent = await SendFileKit.Within(Overload.SendAsync(zc, file.Path), "the send to a slow reader");
        HashingReceiver.Result got = await SendFileKit.Within(receive, "the slow receiver");

        Assert.Equal(file.Length, sent);
        Assert.Equal(file.Length, got.Bytes);
        Assert.Equal(TestFile.ExpectedHash(0, file.Length, seed: 9), got.Hash);
        SendFileKit.AssertPathCounters(zc, forcePortable, file.Length);

        // Windows: one TransmitFile call waits out the whole window in the kernel, so there is no EAGAIN loop to count.
        if (SendFileKit.IsKernelPath(forcePortable) && ZeroCopySocket.ProcessPlatformName != "windows")
        {
            // Repeated EAGAIN, each waited out on the reactor, not one lucky wait.
            Assert.True(zc.Statistics.WouldBlockWaits > 1, $"Expected repeated EAGAIN waits, got {zc.Statistics.WouldBlockWaits}.");
            Assert.True(zc.Statistics.KernelSendFileSyscalls > 1, $"Expected several sendfile calls, got {zc.Statistics.KernelSendFileSyscalls}.");
        }
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task SendsOverIPv6Loopback(bool forcePortable)
    {
        using var file = TestFile.Create(MiB + 13, seed: 11);
        using var pair = await LoopbackPair.CreateTcpAsync(ipv6: true);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, file.Length - 7);
        long sent = await SendFileKit.Within(Overload.SendAsync(zc, file.Path, 7, file.Length - 7), "the IPv6 send");
        HashingReceiver.Result got = await SendFileKit.Within(receive, "the IPv6 receiver");

        Assert.Equal(file.Length - 7, sent);
        Assert.Equal(file.Length - 7, got.Bytes);
        Assert.Equal(TestFile.ExpectedHash(7, file.Length - 7, seed: 11), got.Hash);
        SendFileKit.AssertPathCounters(zc, forcePortable, file.Length - 7);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task SendsOverDualModeSocketToIPv4Peer(bool forcePortable)
    {
        using var file = TestFile.Create(MiB + 13, seed: 12);
        (var client, var server) = await SendFileKit.CreateDualModePairAsync();
        using (client)
        using (server)
        {
            await using var zc = new ZeroCopySocket(client, SendPaths.Options(forcePortable));
            Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(server, file.Length);
            long sent = await SendFileKit.Within(Overload.SendAsync(zc, file.Path), "the dual-mode send");
            HashingReceiver.Result got = await SendFileKit.Within(receive, "the dual-mode receiver");

            Assert.Equal(file.Length, sent);
            Assert.Equal(file.Length, got.Bytes);
            Assert.Equal(TestFile.ExpectedHash(0, file.Length, seed: 12), got.Hash);
            SendFileKit.AssertPathCounters(zc, forcePortable, file.Length);
        }
    }
}

public sealed class SendFilePathTests : SendFileTests<PathOverload>
{
}

public sealed class SendFileHandleTests : SendFileTests<HandleOverload>
{
}

public sealed class SendFileStreamTests : SendFileTests<StreamOverload>
{
}

/// <summary>Theory data for <see cref="SendFileTests{TOverload}"/> (static members cannot live on the generic class).</summary>
public static class SendFileData
{
    public const long MiB = 1 << 20;

    public static TheoryData<long, bool> SizesByPath()
    {
        var data = new TheoryData<long, bool>();
        foreach (long size in new long[] { 0, 1, 4095, 4096, 4097, MiB + 13 })
        {
            data.Add(size, false);
            data.Add(size, true);
        }

        return data;
    }

    public static TheoryData<long, long?, bool> Windows()
    {
        const long len = MiB + 13;
        var windows = new (long Offset, long? Count)[]
        {
            (0, null), (0, 0), (0, 1), (1, null), (4095, 2), (4096, 4097), (65535, 65537 + 13),
            (100, 1000), (len - 1, 1), (len - 1, null), (len, 0), (len, null), (len - 4097, 4097),
        };
        var data = new TheoryData<long, long?, bool>();
        foreach ((long offset, long? count) in windows)
        {
            data.Add(offset, count, false);
            data.Add(offset, count, true);
        }

        return data;
    }
}
