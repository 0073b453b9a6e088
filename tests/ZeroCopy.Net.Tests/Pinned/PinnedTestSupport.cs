using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>A byte stream whose every position has a known value, so a receiver can check each byte it gets.</summary>
public static class StreamPattern
{
    public static byte At(long position, int seed) => (byte)(((position * 2654435761L) >> 11) ^ (position >> 16) ^ seed);

    public static void Fill(Span<byte> destination, long position, int seed)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = At(position + i, seed);
        }
    }

    /// <summary>Receives exactly <paramref name="expected"/> bytes and checks every one against the pattern; returns the count received.</summary>
    public static async Task<long> ReceiveAndVerifyAsync(Socket socket, long expected, int seed, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[256 * 1024];
        var want = new byte[buffer.Length];
        long total = 0;
        while (total < expected)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, expected - total)), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                break;
            }

            Fill(want.AsSpan(0, n), total, seed);
            if (!buffer.AsSpan(0, n).SequenceEqual(want.AsSpan(0, n)))
            {
                int i = 0;
                while (buffer[i] == want[i])
                {
                    i++;
                }

                Assert.Fail($"byte {total + i} is {buffer[i]}, expected {want[i]} (seed {seed}): a buffer was overwritten before the kernel released it, or bytes were lost/reordered");
            }

            total += n;
        }

        return total;
    }
}

/// <summary>Skips a test that needs Linux's kernel path when the process uses the portable one.</summary>
public sealed class LinuxKernelPathFactAttribute : FactAttribute
{
    public LinuxKernelPathFactAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName != "linux")
        {
            Skip = "needs the Linux kernel path (MSG_ZEROCOPY); this process uses " + ZeroCopySocket.ProcessPlatformName;
        }
    }
}
