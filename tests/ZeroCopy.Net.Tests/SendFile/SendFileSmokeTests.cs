using System.Threading.Tasks;
using ZeroCopy.Net.Tests.Infrastructure;
using Xunit;

namespace ZeroCopy.Net.Tests.SendFile;

public class SendFileSmokeTests
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task SendsWholeFileAndEveryByteArrives(bool forcePortable)
    {
        using var file = TestFile.Create((1 << 20) + 13);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, file.Length);
        long sent = await zc.SendFileAsync(file.Path);
        HashingReceiver.Result got = await receive;

        Assert.Equal(file.Length, sent);
        Assert.Equal(file.Length, got.Bytes);
        Assert.Equal(TestFile.ExpectedHash(0, file.Length), got.Hash);
        if (!forcePortable && ZeroCopySocket.ProcessPlatformName == "linux")
        {
            Assert.Equal(file.Length, zc.Statistics.KernelSendFileBytes);
            Assert.Equal(0, zc.Statistics.PortableCopiedBytes);
        }
        else
        {
            Assert.Equal(file.Length, zc.Statistics.PortableCopiedBytes);
            Assert.Equal(0, zc.Statistics.KernelSendFileBytes);
        }
    }
}
