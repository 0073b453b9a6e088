using System;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace ZeroCopy.Net.Tests.Infrastructure;

/// <summary>Reads a socket until it has <c>expected</c> bytes (or EOF) and hashes everything it got.</summary>
public static class HashingReceiver
{
    public sealed record Result(long Bytes, byte[] Hash);

    /// <summary>Receives exactly <paramref name="expected"/> bytes (fails on early EOF), hashing as it goes.</summary>
    public static async Task<Result> ReceiveAsync(Socket socket, long expected, int delayPerChunkMs = 0, int chunk = 64 * 1024, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[chunk];
        long total = 0;
        while (total < expected)
        {
            int want = (int)Math.Min(buffer.Length, expected - total);
            int n = await socket.ReceiveAsync(buffer.AsMemory(0, want), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, n);
            total += n;
            if (delayPerChunkMs > 0)
            {
                await Task.Delay(delayPerChunkMs, cancellationToken);
            }
        }

        return new Result(total, hash.GetHashAndReset());
    }
}
