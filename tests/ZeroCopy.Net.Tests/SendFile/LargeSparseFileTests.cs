using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// A file above 2 GiB, which one sendfile(2) call cannot move (at most 0x7ffff000 bytes a call):
/// the library must loop and keep the 64-bit offset right across the boundary. The file is sparse,
/// so it costs no disk; pattern bytes sit at the start, around both the 0x7ffff000 chunk limit and
/// the 2 GiB mark, and at the end, so a wrong offset anywhere changes the hash.
/// </summary>
[Trait("Category", "Slow")]
public class LargeSparseFileTests
{
    private const long TwoGiB = 1L << 31;
    private const long Length = TwoGiB + 4097;

    // Regions that hold pattern bytes, sorted and disjoint; everything else is a hole (reads as zeros).
    private static readonly (long Start, long End)[] s_patches =
    {
        (0, 4096),
        (0x7ffff000 - 1000, TwoGiB + 3000),
        (Length - 1000, Length),
    };

    [LinuxKernelFact]
    public async Task SendsASparseFileAboveTwoGiBAndTheStreamedHashMatches()
    {
        string path = Path.Combine(Path.GetTempPath(), $"zc-sparse-{Guid.NewGuid():N}.bin");
        try
        {
            WriteSparseFile(path);
            using var pair = await LoopbackPair.CreateTcpAsync();
            await using var zc = new ZeroCopySocket(pair.Client);

            Task<HashingReceiver.Result> receive = Task.Run(() => HashingReceiver.ReceiveAsync(pair.Server, Length, chunk: 1 << 20));
            long sent = await zc.SendFileAsync(path);
            HashingReceiver.Result got = await receive;

            Assert.Equal(Length, sent);
            Assert.Equal(Length, got.Bytes);
            Assert.Equal(ExpectedHash(), got.Hash);
            Assert.Equal(Length, zc.Statistics.KernelSendFileBytes);
            Assert.Equal(0, zc.Statistics.PortableCopiedBytes);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, bool, long, long?> WindowsAboveTwoGiB()
    {
        var data = new TheoryData<string, bool, long, long?>();
        foreach (string overload in new[] { "path", "handle", "stream" })
        {
            foreach (bool forcePortable in new[] { false, true })
            {
                data.Add(overload, forcePortable, TwoGiB - 2000, 5000);     // across the 2 GiB mark
                data.Add(overload, forcePortable, 0x7ffff000 - 10, 20);      // across one sendfile call's limit
                data.Add(overload, forcePortable, Length - 700, null);       // the tail, count to the end
            }
        }

        return data;
    }

    /// <summary>64-bit offsets on every overload and both paths, without moving 2 GiB.</summary>
    [Theory]
    [MemberData(nameof(WindowsAboveTwoGiB))]
    public async Task WindowsAboveTwoGiBComeFromTheRightOffset(string overload, bool forcePortable, long offset, long? count)
    {
        string path = Path.Combine(Path.GetTempPath(), $"zc-sparse-{Guid.NewGuid():N}.bin");
        try
        {
            WriteSparseFile(path);
            IFileOverload send = overload switch
            {
                "path" => new PathOverload(),
                "handle" => new HandleOverload(),
                _ => new StreamOverload(),
            };
            using var pair = await LoopbackPair.CreateTcpAsync();
            await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

            long expected = count ?? (Length - offset);
            Assert.Equal(expected, await SendFileKit.Within(send.SendAsync(zc, path, offset, count), "the send"));
            byte[] got = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);
            Assert.Equal(expected, got.LongLength);
            for (long i = 0; i < expected; i++)
            {
                byte want = ContentAt(offset + i);
                if (got[i] != want)
                {
                    Assert.Fail($"Byte at file offset {offset + i} is {got[i]}, expected {want}.");
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte ContentAt(long position)
    {
        foreach ((long start, long end) in s_patches)
        {
            if (position >= start && position < end)
            {
                return TestFile.PatternByte(position, 77);
            }
        }

        return 0;
    }

    private static void WriteSparseFile(string path)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        fs.SetLength(Length);
        foreach ((long start, long end) in s_patches)
        {
            var bytes = new byte[end - start];
            for (long p = start; p < end; p++)
            {
                bytes[p - start] = TestFile.PatternByte(p, 77);
            }

            fs.Position = start;
            fs.Write(bytes, 0, bytes.Length);
        }
    }

    /// <summary>SHA-256 of the sparse file's content, computed from the patch list without reading the file.</summary>
    private static byte[] ExpectedHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var zeros = new byte[1 << 20];
        long position = 0;
        foreach ((long start, long end) in s_patches)
        {
            for (; position < start;)
            {
                int n = (int)Math.Min(zeros.Length, start - position);
                hash.AppendData(zeros, 0, n);
                position += n;
            }

            var bytes = new byte[end - start];
            for (long p = start; p < end; p++)
            {
                bytes[p - start] = TestFile.PatternByte(p, 77);
            }

            hash.AppendData(bytes);
            position = end;
        }

        Assert.Equal(Length, position);
        return hash.GetHashAndReset();
    }
}
