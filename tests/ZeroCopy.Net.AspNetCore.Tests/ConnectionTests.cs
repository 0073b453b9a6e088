using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>
/// The connection stays an HTTP/1.1 connection: keep-alive, pipelining (the file range is ordered between the
/// responses around it), and a client that goes away mid-file.
/// </summary>
public sealed class ConnectionTests : IClassFixture<SiteFiles>
{
    private readonly SiteFiles _site;

    public ConnectionTests(SiteFiles site) => _site = site;

    [Fact]
    public async Task KeepAlive_100RequestsOnOneConnection()
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using var raw = new RawHttpConnection(server.BaseAddress);
        string[] names = { "one.bin", "4k.bin", "1m13.bin", "empty.bin" };
        long expectedBytes = 0;

        for (int i = 0; i < 100; i++)
        {
            string name = names[i % names.Length];
            string path = i % 2 == 0 ? "/" + name : "/results/" + name;
            await raw.SendAsync(RawHttpConnection.Get(path, raw.Host));
            RawResponse response = await raw.ReadResponseAsync();

            Assert.Equal(200, response.Status);
            Assert.True(_site.Contents(name).AsSpan().SequenceEqual(response.Body), $"request {i} ({path}): wrong body");
            expectedBytes += _site.Contents(name).LongLength;
        }

        Assert.Equal(75, server.Metrics["sendfile.responses"]);
        Assert.Equal(expectedBytes, server.Metrics["sendfile.bytes"]);
        Assert.Equal(0, server.Metrics.TotalFallbacks);
    }

    [Fact]
    public async Task Pipelined_ResponsesComeBackInOrder()
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using var raw = new RawHttpConnection(server.BaseAddress);
        string[] paths = { "/1m13.bin", "/one.bin", "/missing.bin", "/results/4k.bin", "/1m13.bin", "/empty.bin", "/4k.bin", "/results/1m13.bin" };

        // All requests in one write: Kestrel reads them together and answers one after the other.
        await raw.SendAsync(string.Concat(paths.Select(p => RawHttpConnection.Get(p, raw.Host))));
        foreach (string path in paths)
        {
            RawResponse response = await raw.ReadResponseAsync();
            if (path == "/missing.bin")
            {
                Assert.Equal(404, response.Status);
                continue;
            }

            string name = path[(path.LastIndexOf('/') + 1)..];
            Assert.Equal(200, response.Status);
            Assert.True(_site.Contents(name).AsSpan().SequenceEqual(response.Body), $"{path}: wrong body");
        }

        Assert.Equal(6, server.Metrics["sendfile.responses"]);
    }

    [Fact]
    public async Task ClientAbortsMidFile_ServerKeepsServing_AndClosesTheFile()
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        string file = _site.PathOf("64m.bin");

        for (int i = 0; i < 3; i++)
        {
            using var raw = new RawHttpConnection(server.BaseAddress);
            await raw.SendAsync(RawHttpConnection.Get("/64m.bin", raw.Host));
            int read = 0;
            while (read < 256 * 1024)
            {
                read += await raw.ReadSomeAsync(64 * 1024);
            }

            // A reset, not a FIN: the server's sendfile fails at once instead of filling the buffers.
            raw.Socket.LingerState = new LingerOption(true, 0);
        }

        // The server serves the next client in full...
        using HttpClient client = server.CreateClient();
        byte[] body = await client.GetByteArrayAsync("/1m13.bin");
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(body));

        // ...and no descriptor of the aborted responses' file stays open (the transport closes it after the failed send).
        Assert.Equal(0, await WaitForOpenDescriptorsAsync(file, 0));
    }

    [Fact]
    public async Task ClientClosesAfterResponse_NothingLeaks()
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        for (int i = 0; i < 20; i++)
        {
            using var raw = new RawHttpConnection(server.BaseAddress);
            await raw.SendAsync(RawHttpConnection.Get("/1m13.bin", raw.Host, extra: "Connection: close\r\n"));
            RawResponse response = await raw.ReadResponseAsync();
            Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(response.Body));
            Assert.True(await raw.AtEndAsync(), "Connection: close did not close the connection after the response");
        }

        Assert.Equal(0, await WaitForOpenDescriptorsAsync(_site.PathOf("1m13.bin"), 0));
    }

    /// <summary>How many of this process's descriptors are open on <paramref name="path"/>, once it reaches <paramref name="expected"/> or 30 s pass.</summary>
    private static async Task<int> WaitForOpenDescriptorsAsync(string path, int expected)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int open;
        while ((open = CountOpen(path)) != expected && !deadline.IsCancellationRequested)
        {
            await Task.Delay(20);
        }

        return open;

        static int CountOpen(string path)
        {
            int n = 0;
            foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget == path)
                    {
                        n++;
                    }
                }
                catch (IOException)
                {
                    // closed while we looked
                }
            }

            return n;
        }
    }
}
