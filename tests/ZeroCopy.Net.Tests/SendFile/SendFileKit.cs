using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>Small helpers shared by the SendFile tests: socket set-ups, "nothing was sent" checks, waits with deadlines.</summary>
internal static class SendFileKit
{
    /// <summary>Generous bound for "promptly": a hang fails the test instead of stalling the suite. Not a performance assertion.</summary>
    public static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    /// <summary>True when this test run exercises a kernel sendfile path (not forced portable, on Linux, Windows, FreeBSD or macOS).</summary>
    public static bool IsKernelPath(bool forcePortable) => !forcePortable && ZeroCopySocket.ProcessCapabilities.HasFlag(ZeroCopyCapabilities.KernelSendFile);

    /// <summary>
    /// Shrinks the sender's socket buffer so that a send of a few hundred KiB fills the path: the
    /// sender sees EAGAIN (Linux) or a pending send (portable) until the receiver reads. The
    /// receiver's buffer is left alone: shrinking it on an established connection makes TCP fall
    /// back to zero-window probes with exponential back-off, which turns "slow" into "stalled".
    /// </summary>
    public static void ShrinkBuffers(LoopbackPair pair)
    {
        pair.Client.SendBufferSize = 4096;
    }

    /// <summary>A connected pair whose client is a dual-mode AF_INET6 socket talking to an IPv4 listener (::ffff:127.0.0.1).</summary>
    public static async Task<(Socket Client, Socket Server)> CreateDualModePairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Assert.Equal(AddressFamily.InterNetworkV6, client.AddressFamily);
        Assert.True(client.DualMode);
        Task<Socket> accept = listener.AcceptAsync();
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint!).Port));
        return (client, await accept);
    }

    /// <summary>Half-closes the client and reads the server side to EOF: returns every byte that was ever sent.</summary>
    public static async Task<byte[]> CloseAndReadAllAsync(Socket client, Socket server)
    {
        client.Shutdown(SocketShutdown.Send);
        using var cts = new CancellationTokenSource(Prompt);
        using var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int n = await server.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, n);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after <see cref="Prompt"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Prompt;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>
    /// Waits until a send to a stalled reader is really stuck: on the kernel path, until it has
    /// waited on the reactor for EAGAIN; on the portable path, until bytes went out and then stopped.
    /// </summary>
    public static async Task WaitUntilBlockedAsync(ZeroCopySocket zc, bool forcePortable)
    {
        if (IsKernelPath(forcePortable))
        {
            await WaitUntilAsync(() => zc.Statistics.WouldBlockWaits > 0, "the send waits for writability (EAGAIN)");
        }

        await WaitUntilAsync(() => zc.Statistics.PortableCopiedBytes > 0 || zc.Statistics.KernelSendFileBytes > 0, "the send has started");

        // The peer's receive buffer keeps taking bytes for a while after the first EAGAIN: wait
        // until nothing moves any more.
        long last;
        do
        {
            last = zc.Statistics.PortableCopiedBytes + zc.Statistics.KernelSendFileBytes;
            await Task.Delay(100);
        }
        while (zc.Statistics.PortableCopiedBytes + zc.Statistics.KernelSendFileBytes != last);
    }

    /// <summary>Awaits <paramref name="task"/> but fails the test (instead of hanging) if it takes longer than <see cref="Prompt"/>.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Prompt);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} did not finish within {Prompt.TotalSeconds} s (hang).");
            throw;
        }
    }

    /// <summary>Asserts that the statistics put every byte on the path the test asked for.</summary>
    public static void AssertPathCounters(ZeroCopySocket zc, bool forcePortable, long expectedBytes)
    {
        if (IsKernelPath(forcePortable))
        {
            Assert.Equal(ZeroCopySocket.ProcessPlatformName, zc.PlatformName);
            Assert.Equal(expectedBytes, zc.Statistics.KernelSendFileBytes);
            Assert.Equal(0, zc.Statistics.PortableCopiedBytes);
        }
        else
        {
            Assert.Equal(expectedBytes, zc.Statistics.PortableCopiedBytes);
            Assert.Equal(0, zc.Statistics.KernelSendFileBytes);
        }
    }

    public static bool IsLinux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
}
