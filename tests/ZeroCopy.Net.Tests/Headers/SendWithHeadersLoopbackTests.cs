using System;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Headers;

public class SendWithHeadersLoopbackTests
{
    public enum Body
    {
        Path,
        HandleWithTrailer,
        HandleWithCount,
        FileStream,
        Memory,
    }

    public static TheoryData<bool, Body> PathsAndBodies()
    {
        var data = new TheoryData<bool, Body>();
        foreach (bool portable in new[] { false, true })
        {
            foreach (Body body in Enum.GetValues<Body>())
            {
                data.Add(portable, body);
            }
        }

        return data;
    }

    /// <summary>
    /// Thousands of request/response exchanges with Nagle ON on both ends, 200 B header plus 1 KiB,
    /// 4 KiB and 64 KiB bodies; every byte of every response is checked. (No timing is asserted:
    /// the stall this design removes is measured in bench/ZeroCopy.Net.Bench.Headers.)
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(PathsAndBodies))]
    public async Task RequestResponseWithNagleOnDeliversEveryByte(bool forcePortable, Body kind)
    {
        using var pair = await LoopbackPair.CreateTcpAsync(noDelay: false);
        pair.Server.NoDelay = false;
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        var trailer = "\r\n-- end --\r\n"u8.ToArray();
        bool withTrailer = kind == Body.HandleWithTrailer;

        int sequence = 0;
        foreach ((int size, int requests) in new[] { (1024, 1500), (4096, 1500), (65536, 600) })
        {
            using var file = TestFile.Create(size, seed: size);
            using SafeFileHandle handle = File.OpenHandle(file.Path);
            using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read);
            byte[] bodyBytes = ResponseExchange.Pattern(0, size, seed: size);
            var header = new byte[ResponseExchange.HeaderLength];
            var request = new byte[ResponseExchange.RequestLength];
            var requestIn = new byte[ResponseExchange.RequestLength];
            int responseLength = header.Length + size + (withTrailer ? trailer.Length : 0);
            var response = new byte[responseLength];

            for (int i = 0; i < requests; i++, sequence++)
            {
                BitConverter.TryWriteBytes(request, sequence);
                await pair.Server.SendAsync(request, SocketFlags.None);
                await ResponseExchange.ReceiveExactlyAsync(pair.Client, requestIn, requestIn.Length);
                Assert.Equal(sequence, BitConverter.ToInt32(requestIn));

                ResponseExchange.WriteHeader(header, sequence, size);
                Task receive = ResponseExchange.ReceiveExactlyAsync(pair.Server, response, responseLength);
                long sent = kind switch
                {
                    Body.Path => await zc.SendWithHeadersAsync(header, SendBody.FromFile(file.Path)),
                    Body.HandleWithTrailer => await zc.SendWithHeadersAsync(header, SendBody.FromFile(handle), trailer),
                    Body.HandleWithCount => await zc.SendWithHeadersAsync(header, SendBody.FromFile(handle, 0, size)),
                    Body.FileStream => await zc.SendWithHeadersAsync(header, SendBody.FromFile(stream)),
                    _ => await zc.SendWithHeadersAsync(header, SendBody.FromMemory(bodyBytes)),
                };
                await receive;

                Assert.Equal(responseLength, sent);
                Assert.True(response.AsSpan(0, header.Length).SequenceEqual(header), $"header of response {sequence}");
                Assert.True(response.AsSpan(header.Length, size).SequenceEqual(bodyBytes), $"body of response {sequence} ({size} B)");
                if (withTrailer)
                {
                    Assert.True(response.AsSpan(header.Length + size).SequenceEqual(trailer), $"trailer of response {sequence}");
                }
            }
        }

        Assert.Equal(sequence, zc.Statistics.SendWithHeadersCalls);

        // Documented: the first SendWithHeadersAsync sets TCP_NODELAY so the tail is never held by Nagle.
        Assert.True(pair.Client.NoDelay);
        Assert.Equal(0, pair.Server.Available);
    }

    /// <summary>
    /// KeepNagle: every body kind arrives whole and Nagle is still on afterwards; a socket whose Nagle
    /// was already off stays off (there was nothing to keep). The strace proof shows the per-send push.
    /// </summary>
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task KeepNagleDeliversEveryByteAndLeavesNagleAsItWas(bool forcePortable)
    {
        foreach (bool noDelayBefore in new[] { false, true })
        {
            using var file = TestFile.Create(70_000, seed: 3);
            using var pair = await LoopbackPair.CreateTcpAsync(noDelay: noDelayBefore);
            await using var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { ForcePortable = forcePortable, KeepNagle = true });
            byte[] header = ResponseExchange.Pattern(0, 300, seed: 9);
            byte[] trailer = "\r\n"u8.ToArray();
            byte[] fileBytes = ResponseExchange.Pattern(0, 70_000, seed: 3);
            using SafeFileHandle handle = File.OpenHandle(file.Path);

            foreach (int kind in new[] { 0, 1, 2, 3 })
            {
                byte[] expected = kind switch
                {
                    0 => header.Concat(fileBytes).ToArray(),
                    1 => header.Concat(fileBytes.AsSpan(0, 1000).ToArray()).Concat(trailer).ToArray(),
                    2 => header.Concat(fileBytes.AsSpan(5, 4000).ToArray()).ToArray(),
                    _ => header.Concat(fileBytes).Concat(trailer).ToArray(),
                };
                var received = new byte[expected.Length];
                Task receive = ResponseExchange.ReceiveExactlyAsync(pair.Server, received, received.Length);
                long sent = kind switch
                {
                    0 => await zc.SendWithHeadersAsync(header, SendBody.FromFile(file.Path)),
                    1 => await zc.SendWithHeadersAsync(header, SendBody.FromFile(handle, 0, 1000), trailer),
                    2 => await zc.SendWithHeadersAsync(header, SendBody.FromMemory(fileBytes.AsMemory(5, 4000))),
                    _ => await zc.SendWithHeadersAsync(header, SendBody.FromMemory(fileBytes), trailer),
                };
                await receive;
                Assert.Equal(expected.Length, sent);
                Assert.True(received.AsSpan().SequenceEqual(expected), $"body kind {kind}, NoDelay before {noDelayBefore}");
                Assert.Equal(noDelayBefore, pair.Client.NoDelay);
            }

            Assert.Equal(0, pair.Server.Available);
        }
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ManyHeaderPiecesBeyondUioMaxiovAndLargeBodyArriveInOrder(bool forcePortable)
    {
        using var file = TestFile.Create((3 << 20) + 5);
        using var pair = await LoopbackPair.CreateTcpAsync(noDelay: false);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        // 2,500 header pieces (some empty) and 1,100 trailer pieces: both over UIO_MAXIOV (1,024).
        ReadOnlyMemory<byte>[] headers = Enumerable.Range(0, 2500)
            .Select(i => (ReadOnlyMemory<byte>)Enumerable.Range(0, i % 7).Select(j => (byte)(i + j)).ToArray()).ToArray();
        ReadOnlyMemory<byte>[] trailers = Enumerable.Range(0, 1100)
            .Select(i => (ReadOnlyMemory<byte>)new[] { (byte)(i * 3), (byte)(i >> 3) }).ToArray();
        byte[] expected = headers.SelectMany(h => h.ToArray())
            .Concat(ResponseExchange.Pattern(17, (int)file.Length - 17))
            .Concat(trailers.SelectMany(t => t.ToArray())).ToArray();

        var received = new byte[expected.Length];
        Task receive = ResponseExchange.ReceiveExactlyAsync(pair.Server, received, received.Length);
        long sent = await zc.SendWithHeadersAsync(headers, SendBody.FromFile(file.Path, 17), trailers);
        await receive;

        Assert.Equal(expected.Length, sent);
        Assert.True(received.AsSpan().SequenceEqual(expected));
        if (!forcePortable && ZeroCopySocket.ProcessPlatformName == "linux")
        {
            Assert.Equal(file.Length - 17, zc.Statistics.KernelSendFileBytes);
            Assert.Equal(expected.Length - (file.Length - 17), zc.Statistics.VectoredSendBytes);
            Assert.True(zc.Statistics.VectoredSendSyscalls >= 4, "more than UIO_MAXIOV pieces must take several sendmsg calls");
            Assert.Equal(1, zc.Statistics.CorkedSends);
            Assert.Equal(0, GetCork(pair.Client));
        }
    }

    /// <summary>Multi-megabyte header pieces and a slow reader: sendmsg stops mid-element and must resume at the exact byte.</summary>
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task PartialVectoredWritesResumeAtTheRightByte(bool forcePortable)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Client.SendBufferSize = 64 * 1024;
        pair.Server.ReceiveBufferSize = 64 * 1024;
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        var random = new Random(4);
        ReadOnlyMemory<byte>[] headers = Enumerable.Range(0, 40).Select(i =>
        {
            var piece = new byte[random.Next(1, 150_000)];
            random.NextBytes(piece);
            return (ReadOnlyMemory<byte>)piece;
        }).ToArray();
        var body = new byte[1_000_003];
        random.NextBytes(body);
        byte[] expected = headers.SelectMany(h => h.ToArray()).Concat(body).ToArray();

        var received = new byte[expected.Length];
        Task receive = Task.Run(async () =>
        {
            int got = 0;
            while (got < received.Length)
            {
                int n = await pair.Server.ReceiveAsync(received.AsMemory(got, Math.Min(7919, received.Length - got)), SocketFlags.None);
                Assert.NotEqual(0, n);
                got += n;
            }
        });
        long sent = await zc.SendWithHeadersAsync(headers, SendBody.FromMemory(body));
        await receive;

        Assert.Equal(expected.Length, sent);
        Assert.True(received.AsSpan().SequenceEqual(expected));
        if (!forcePortable && ZeroCopySocket.ProcessPlatformName == "linux")
        {
            Assert.True(zc.Statistics.WouldBlockWaits > 0, "the slow reader should have filled the socket buffer");
            Assert.Equal(expected.Length, zc.Statistics.VectoredSendBytes);
        }
    }

    /// <summary>
    /// A memory body of at most 16 KiB is gathered with the header pieces and trailer into one buffer
    /// and sent with one syscall, and the copy is counted; one byte more and the pieces go as an iovec,
    /// uncopied. Every byte arrives in order either way.
    /// </summary>
    [LinuxKernelTheory]
    [InlineData(1, true)]
    [InlineData(4096, true)]
    [InlineData(16 * 1024, true)]
    [InlineData(16 * 1024 + 1, false)]
    public async Task SmallMemoryBodiesAreGatheredIntoOneSendAndCounted(int bodyLength, bool gathered)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        ReadOnlyMemory<byte>[] headers = { ResponseExchange.Pattern(0, 150, seed: 3), ReadOnlyMemory<byte>.Empty, ResponseExchange.Pattern(0, 50, seed: 4) };
        byte[] body = ResponseExchange.Pattern(0, bodyLength, seed: 5);
        ReadOnlyMemory<byte>[] trailers = { ResponseExchange.Pattern(0, 20, seed: 6) };
        byte[] expected = headers.SelectMany(h => h.ToArray()).Concat(body).Concat(trailers[0].ToArray()).ToArray();
        var received = new byte[expected.Length];
        Task receive = ResponseExchange.ReceiveExactlyAsync(pair.Server, received, received.Length);

        Assert.Equal(expected.Length, await zc.SendWithHeadersAsync(headers, SendBody.FromMemory(body), trailers));
        await receive;

        Assert.Equal(expected, received);
        Assert.Equal(expected.Length, zc.Statistics.VectoredSendBytes);
        Assert.Equal(1, zc.Statistics.VectoredSendSyscalls);
        Assert.Equal(gathered ? expected.Length : 0, zc.Statistics.HeaderGatherCopiedBytes);
    }

    [Fact]
    public async Task SmallFileBodiesGoInTheHeadersSendmsgAndAreCountedAsCopied()
    {
        using var file = TestFile.Create(4096);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        var header = new byte[ResponseExchange.HeaderLength];
        ResponseExchange.WriteHeader(header, 1, file.Length);
        var received = new byte[header.Length + file.Length];
        Task receive = ResponseExchange.ReceiveExactlyAsync(pair.Server, received, received.Length);
        await zc.SendWithHeadersAsync(header, SendBody.FromFile(file.Path));
        await receive;

        Assert.True(received.AsSpan(header.Length).SequenceEqual(ResponseExchange.Pattern(0, 4096)));
        if (ZeroCopySocket.ProcessPlatformName == "linux")
        {
            Assert.Equal(4096, zc.Statistics.SmallFileCopiedBytes);
            Assert.Equal(header.Length, zc.Statistics.HeaderGatherCopiedBytes);
            Assert.Equal(0, zc.Statistics.KernelSendFileBytes);
            Assert.Equal(1, zc.Statistics.VectoredSendSyscalls);
        }
        else
        {
            Assert.Equal(received.Length, zc.Statistics.PortableCopiedBytes);
        }
    }

    internal static int GetCork(Socket socket)
    {
        var value = new byte[4];
        socket.GetRawSocketOption(6 /* IPPROTO_TCP */, 3 /* TCP_CORK */, value);
        return BitConverter.ToInt32(value);
    }
}
