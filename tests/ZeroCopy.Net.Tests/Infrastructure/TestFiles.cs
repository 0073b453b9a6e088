using System;
using System.IO;
using System.Security.Cryptography;

namespace ZeroCopy.Net.Tests.Infrastructure;

/// <summary>Temporary files filled with a position-dependent pattern, so any misplaced byte is caught.</summary>
public sealed class TestFile : IDisposable
{
    private TestFile(string path, long length)
    {
        Path = path;
        Length = length;
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>The pattern byte at absolute position <paramref name="position"/> (with a seed so files differ).</summary>
    public static byte PatternByte(long position, int seed) => (byte)((position * 31) + (position >> 8) + seed);

    /// <summary>Creates a file of <paramref name="length"/> pattern bytes.</summary>
    public static TestFile Create(long length, int seed = 7)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"zc-test-{Guid.NewGuid():N}.bin");
        using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            var buffer = new byte[1 << 20];
            long written = 0;
            while (written < length)
            {
                int n = (int)Math.Min(buffer.Length, length - written);
                for (int i = 0; i < n; i++)
                {
                    buffer[i] = PatternByte(written + i, seed);
                }

                fs.Write(buffer, 0, n);
                written += n;
            }
        }

        return new TestFile(path, length);
    }

    /// <summary>SHA-256 of the pattern bytes in [offset, offset + count), computed without the file.</summary>
    public static byte[] ExpectedHash(long offset, long count, int seed = 7)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long done = 0;
        while (done < count)
        {
            int n = (int)Math.Min(buffer.Length, count - done);
            for (int i = 0; i < n; i++)
            {
                buffer[i] = PatternByte(offset + done + i, seed);
            }

            hash.AppendData(buffer, 0, n);
            done += n;
        }

        return hash.GetHashAndReset();
    }

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
