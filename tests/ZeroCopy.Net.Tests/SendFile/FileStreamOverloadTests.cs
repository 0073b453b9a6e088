using System.IO;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>What the FileStream overload promises beyond the window: buffered writes are flushed first, and (on Linux) the stream's position is left alone.</summary>
public class FileStreamOverloadTests
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task BytesStillInTheStreamsWriteBufferAreSent(bool forcePortable)
    {
        string path = Path.Combine(Path.GetTempPath(), $"zc-buffered-{System.Guid.NewGuid():N}.bin");
        try
        {
            byte[] content = new byte[3000];
            for (int i = 0; i < content.Length; i++)
            {
                content[i] = TestFile.PatternByte(i, 91);
            }

            using var pair = await LoopbackPair.CreateTcpAsync();
            await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 64 * 1024);
            stream.Write(content);

            // Not flushed: the bytes are in the FileStream's buffer, not yet in the page cache.
            Assert.Equal(content.Length, await zc.SendFileAsync(stream));
            byte[] got = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);
            Assert.Equal(SHA256.HashData(content), SHA256.HashData(got));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [LinuxKernelFact]
    public async Task TheStreamsPositionIsNeitherUsedNorChanged()
    {
        using var file = TestFile.Create(100_000, seed: 92);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        stream.Position = 12_345;

        Assert.Equal(1000, await zc.SendFileAsync(stream, 50_000, 1000));
        Assert.Equal(12_345, stream.Position);

        // Reading through the stream still starts where the application left it.
        byte[] one = new byte[1];
        Assert.Equal(1, stream.Read(one));
        Assert.Equal(TestFile.PatternByte(12_345, 92), one[0]);

        byte[] got = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);
        Assert.Equal(TestFile.ExpectedHash(50_000, 1000, seed: 92), SHA256.HashData(got));
    }
}
