using System;
using System.IO;
using System.Threading.Tasks;
using ZeroCopy.Net.Tests.Infrastructure;
using Xunit;

namespace ZeroCopy.Net.Tests.Adoption;

public class SocketExtensionsTests
{
    [Fact]
    public async Task SendFileZeroCopyAsyncSendsEveryByteAndLeavesTheSocketUsable()
    {
        using var file = TestFile.Create(200_000);
        using var pair = await LoopbackPair.CreateTcpAsync();

        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, 2 * file.Length);
        Assert.Equal(file.Length, await pair.Client.SendFileZeroCopyAsync(file.Path));
        using (var handle = File.OpenHandle(file.Path))
        {
            Assert.Equal(file.Length, await pair.Client.SendFileZeroCopyAsync(handle));
        }

        HashingReceiver.Result got = await receive;
        Assert.Equal(2 * file.Length, got.Bytes);

        // The helper wraps and unwraps: the caller's socket stays open and usable.
        Assert.True(pair.Client.Connected);
        Assert.Equal(3, pair.Client.Send(new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task AsZeroCopyWrapsWithoutTakingOwnership()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using (ZeroCopySocket zc = pair.Client.AsZeroCopy())
        {
            Assert.Same(pair.Client, zc.Socket);
        }

        Assert.Equal(1, pair.Client.Send(new byte[] { 42 }));
    }

    [Fact]
    public async Task ExtensionsRejectNullSocket()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await ((System.Net.Sockets.Socket)null!).SendFileZeroCopyAsync("x"));
    }
}
