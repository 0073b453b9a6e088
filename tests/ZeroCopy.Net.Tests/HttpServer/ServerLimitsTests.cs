#if !LIBRARY_NETSTANDARD
using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using HttpStaticServer;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.HttpServer;

/// <summary>
/// The sample server's limits against hostile clients (issue 17): the send timeout, the request-head
/// deadline, the keep-alive timeout and the connection cap, each with its own server and limits of a
/// second or so, so the tests run in seconds. Every wait has a deadline.
/// </summary>
[Trait("Category", "Slow")]
public class ServerLimitsTests
{
    private const long BigSize = 64L << 20;

    /// <summary>
    /// A client that requests 64 MiB with a 4 KiB receive buffer and never reads loses its connection
    /// once no byte has moved for SendTimeout; what it did receive is an intact prefix of the response.
    /// </summary>
    [SampleServerFact]
    public async Task SendTimeoutClosesAConnectionWhoseClientStopsReading()
    {
        await using var server = await LimitedServer.StartAsync(new ServerLimits { SendTimeout = TimeSpan.FromSeconds(1) });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(IPAddress.Loopback, server.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"), SocketFlags.None);

        await server.WaitForConnectionsAsync(1, TimeSpan.FromSeconds(5));
        var watch = Stopwatch.StartNew();
        await server.WaitForConnectionsAsync(0, TimeSpan.FromSeconds(8));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.5), $"closed after {watch.Elapsed}, before the send timeout");

        // The bytes that did arrive: the head, then zeros (the file is sparse), and an end short of 64 MiB.
        (byte[] received, bool reset) = await ServerFixture.ReadToEndAsync(socket, TimeSpan.FromSeconds(10));
        string text = Encoding.Latin1.GetString(received);
        int headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(headEnd > 0, $"{received.Length} bytes, no head");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains($"Content-Length: {BigSize}\r\n", text, StringComparison.Ordinal);
        long body = received.Length - (headEnd + 4);
        Assert.True(body < BigSize, $"the whole body arrived ({body} bytes, reset: {reset})");
        Assert.True(received.AsSpan(headEnd + 4).IndexOfAnyExcept((byte)0) < 0, "a body byte that is not the file's");
    }

    /// <summary>A client that reads slowly but steadily is not cut off: the send timeout counts time without progress, not the response's length.</summary>
    [SampleServerFact]
    public async Task SendTimeoutSparesASlowClientThatKeepsReading()
    {
        await using var server = await LimitedServer.StartAsync(new ServerLimits { SendTimeout = TimeSpan.FromSeconds(2) });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await socket.ConnectAsync(IPAddress.Loopback, server.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"), SocketFlags.None);

        // 512 KiB every 100 ms for 4 s: far slower than the server could send, always moving.
        var buffer = new byte[64 * 1024];
        long total = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(4))
        {
            for (long tick = 0; tick < 512 * 1024;)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                Assert.True(n > 0, $"the server closed after {total} bytes and {watch.Elapsed}");
                tick += n;
                total += n;
            }

            await Task.Delay(100);
        }

        Assert.Equal(1, server.Server.ActiveConnections);
        Assert.True(total > 4 << 20, $"{total} bytes in 4 s");
    }

    /// <summary>
    /// A client that drips its request head a line every 200 ms gets 408 and a closed connection once
    /// RequestHeadTimeout has passed since its first byte: received bytes do not extend the deadline.
    /// A connection that sends nothing is closed too, without a response.
    /// </summary>
    [SampleServerFact]
    public async Task RequestHeadDeadlineBoundsADripFeedingClient()
    {
        await using var server = await LimitedServer.StartAsync(new ServerLimits { RequestHeadTimeout = TimeSpan.FromSeconds(1) });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.Port);
        using var stopDripping = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        Task drip = Task.Run(async () =>
        {
            try
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes("GET /f1k.bin HTTP/1.1\r\nHost: x\r\n"), SocketFlags.None, stopDripping.Token);
                for (int i = 0; !stopDripping.IsCancellationRequested; i++)
                {
                    await Task.Delay(200, stopDripping.Token);
                    await socket.SendAsync(Encoding.ASCII.GetBytes($"X-{i}: y\r\n"), SocketFlags.None, stopDripping.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                // Stopped, or the server closed.
            }
        });

        (byte[] received, bool reset) = await ServerFixture.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
        TimeSpan closedAfter = watch.Elapsed;
        await stopDripping.CancelAsync();
        await drip;
        Assert.True(closedAfter >= TimeSpan.FromSeconds(0.9) && closedAfter < TimeSpan.FromSeconds(4), $"closed after {closedAfter}");
        RawResponse response = RawResponse.ParseOne(Encoding.Latin1.GetString(received));
        Assert.Equal("HTTP/1.1 408 Request Timeout", response.StatusLine);
        Assert.Equal("close", response.Headers["Connection"]);
        Assert.Equal("408 Request Timeout\n", response.Body);
        Assert.False(reset, "reset instead of a clean close");

        // Silent: closed after the same deadline, with nothing sent.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(IPAddress.Loopback, server.Port);
        watch.Restart();
        (byte[] nothing, _) = await ServerFixture.ReadToEndAsync(silent, TimeSpan.FromSeconds(5));
        Assert.Empty(nothing);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"closed after {watch.Elapsed}");
    }

    /// <summary>
    /// Between requests the keep-alive timeout applies, not the head deadline: a connection idle for
    /// longer than RequestHeadTimeout (but within KeepAliveTimeout) still gets its next response, and
    /// one idle past KeepAliveTimeout is closed.
    /// </summary>
    [SampleServerFact]
    public async Task KeepAliveTimeoutGovernsTheWaitForTheNextRequest()
    {
        await using var server = await LimitedServer.StartAsync(new ServerLimits { RequestHeadTimeout = TimeSpan.FromSeconds(1), KeepAliveTimeout = TimeSpan.FromSeconds(2.5) });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.Port);
        byte[] request = Encoding.ASCII.GetBytes("GET /f1k.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        for (int i = 0; i < 2; i++)
        {
            await socket.SendAsync(request, SocketFlags.None);
            RawResponse response = await ReadResponseAsync(socket, TimeSpan.FromSeconds(5));
            Assert.Equal(RawResponse.Latin1(LimitedServer.SmallContent), response.Body);
            await Task.Delay(TimeSpan.FromSeconds(1.5));
        }

        var watch = Stopwatch.StartNew();
        (byte[] rest, _) = await ServerFixture.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
        Assert.Empty(rest);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"closed {watch.Elapsed} after a 1.5 s idle with a 2.5 s keep-alive timeout");
    }

    /// <summary>
    /// At MaxConnections the server stops accepting: the next client waits in the backlog, unanswered,
    /// until a connection closes, then is served.
    /// </summary>
    [SampleServerFact]
    public async Task ConnectionCapMakesTheNextClientWaitForAFreeSlot()
    {
        await using var server = await LimitedServer.StartAsync(new ServerLimits { MaxConnections = 2 });
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(IPAddress.Loopback, server.Port);
        await second.ConnectAsync(IPAddress.Loopback, server.Port);
        await server.WaitForConnectionsAsync(2, TimeSpan.FromSeconds(5));

        using var third = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await third.ConnectAsync(IPAddress.Loopback, server.Port);
        await third.SendAsync(Encoding.ASCII.GetBytes("GET /f1k.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), SocketFlags.None);
        var buffer = new byte[4096];
        using (var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(800)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await third.ReceiveAsync(buffer, SocketFlags.None, wait.Token));
        }

        Assert.Equal(2, server.Server.ActiveConnections);
        Assert.Equal(2, server.Server.ConnectionsAccepted);

        first.Close();
        (byte[] received, _) = await ServerFixture.ReadToEndAsync(third, TimeSpan.FromSeconds(5));
        RawResponse response = RawResponse.ParseOne(Encoding.Latin1.GetString(received));
        Assert.Equal("HTTP/1.1 200 OK", response.StatusLine);
        Assert.Equal(RawResponse.Latin1(LimitedServer.SmallContent), response.Body);
    }

    /// <summary>Reads one response (head, then Content-Length bytes) off a keep-alive connection.</summary>
    private static async Task<RawResponse> ReadResponseAsync(Socket socket, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var text = new StringBuilder();
        var one = new byte[1];
        while (!text.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.True(await socket.ReceiveAsync(one, SocketFlags.None, timeout.Token) == 1, $"closed after {text}");
            text.Append((char)one[0]);
        }

        int length = RawResponse.ParseOne(text.ToString(), headOnly: true).Headers.TryGetValue("Content-Length", out string? value) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var body = new byte[length];
        for (int at = 0; at < length;)
        {
            int n = await socket.ReceiveAsync(body.AsMemory(at), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, $"closed after {at} of {length} body bytes");
            at += n;
        }

        return RawResponse.ParseOne(text + Encoding.Latin1.GetString(body));
    }

    /// <summary>A server of its own (a folder with a small file and a sparse 64 MiB one) with the limits under test.</summary>
    private sealed class LimitedServer : IAsyncDisposable
    {
        public static readonly byte[] SmallContent = ServerFixture.Content(1024);

        private readonly string _root;

        private LimitedServer(string root, StaticFileServer server)
        {
            _root = root;
            Server = server;
        }

        public StaticFileServer Server { get; }

        public int Port => Server.Port;

        public static async Task<LimitedServer> StartAsync(ServerLimits limits)
        {
            string root = Directory.CreateTempSubdirectory("zc-http-limits-").FullName;
            await File.WriteAllBytesAsync(Path.Combine(root, "f1k.bin"), SmallContent);
            using (FileStream big = File.Create(Path.Combine(root, "big.bin")))
            {
                big.SetLength(BigSize);
            }

            var server = new StaticFileServer(root, new IPEndPoint(IPAddress.Loopback, 0), limits);
            server.Start();
            return new LimitedServer(root, server);
        }

        public async Task WaitForConnectionsAsync(int count, TimeSpan deadline)
        {
            var watch = Stopwatch.StartNew();
            while (Server.ActiveConnections != count)
            {
                Assert.True(watch.Elapsed < deadline, $"{Server.ActiveConnections} connections open after {deadline}, expected {count}");
                await Task.Delay(20);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Directory.Delete(_root, recursive: true);
        }
    }
}
#endif
