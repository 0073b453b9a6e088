#if !LIBRARY_NETSTANDARD
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.HttpServer;

/// <summary>
/// The sample server's HTTP edge cases (issue 17), over raw loopback sockets with every byte of every
/// response compared. Each waits with a deadline: a server that does not answer fails the test, it
/// does not hang it.
/// </summary>
public class HttpConformanceTests : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(3);
    private readonly ServerFixture _server;

    public HttpConformanceTests(ServerFixture server) => _server = server;

    private static string Body(long size) => RawResponse.Latin1(ServerFixture.Content(size));

    private static string Slice(long size, int offset, int count) => RawResponse.Latin1(ServerFixture.Content(size).AsSpan(offset, count));

    /// <summary>RFC 9112 2.2: empty lines (CRLF or LF) before a request line are ignored, on a new connection and between pipelined requests.</summary>
    [SampleServerFact]
    public async Task EmptyLinesBeforeTheRequestLineAreIgnored()
    {
        RawResponse one = RawResponse.ParseOne(await _server.RawAsync("\r\n\r\n\nGET /f100.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", deadline: Prompt));
        Assert.Equal("HTTP/1.1 200 OK", one.StatusLine);
        Assert.Equal(Body(100), one.Body);

        string two = await _server.RawAsync(
            "GET /f1.bin HTTP/1.1\r\nHost: x\r\n\r\n\r\n\r\nGET /f100.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", responses: 2, deadline: Prompt);
        List<RawResponse> responses = RawResponse.ParseAll(two);
        Assert.Equal(2, responses.Count);
        Assert.Equal(Body(1), responses[0].Body);
        Assert.Equal(Body(100), responses[1].Body);
    }

    /// <summary>A bare-LF request is answered at once (RFC 9112 2.2 lets a server accept LF), not left waiting for a CRLF CRLF; a bare CR is still 400.</summary>
    [SampleServerFact]
    public async Task BareLineFeedRequestsAreAnsweredAtOnce()
    {
        var watch = Stopwatch.StartNew();
        RawResponse lf = RawResponse.ParseOne(await _server.RawAsync("GET /f1024.bin HTTP/1.1\nHost: x\nConnection: close\n\n", deadline: Prompt));
        Assert.Equal("HTTP/1.1 200 OK", lf.StatusLine);
        Assert.Equal(Body(1024), lf.Body);
        Assert.True(watch.Elapsed < Prompt, $"answered after {watch.Elapsed}");

        RawResponse mixed = RawResponse.ParseOne(await _server.RawAsync("GET /f100.bin HTTP/1.1\r\nHost: x\nConnection: close\r\n\n", deadline: Prompt));
        Assert.Equal(Body(100), mixed.Body);

        RawResponse bareCr = RawResponse.ParseOne(await _server.RawAsync("GET /f100.bin HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", deadline: Prompt));
        Assert.Equal("HTTP/1.1 400 Bad Request", bareCr.StatusLine);
    }

    /// <summary>
    /// Requests that arrive a byte per segment (CRLF and bare LF, an empty line between them, a CR as
    /// the last byte of a segment) are parsed the same as in one piece: the head is found across
    /// receives, never early and never missed.
    /// </summary>
    [SampleServerFact]
    public async Task RequestsArrivingAByteAtATimeAreAnsweredInOrder()
    {
        const string Requests = "\r\nGET /f100.bin HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /f1.bin HTTP/1.1\nHost: x\n\nGET /f1024.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, _server.Port);
        foreach (byte b in Encoding.ASCII.GetBytes(Requests))
        {
            await socket.SendAsync(new[] { b }, SocketFlags.None);
        }

        (byte[] received, bool reset) = await ServerFixture.ReadToEndAsync(socket, TimeSpan.FromSeconds(10));
        Assert.False(reset);
        List<RawResponse> responses = RawResponse.ParseAll(Encoding.Latin1.GetString(received));
        Assert.Equal(new[] { Body(100), Body(1), Body(1024) }, responses.Select(r => r.Body));
        Assert.All(responses, r => Assert.Equal("HTTP/1.1 200 OK", r.StatusLine));
    }

    /// <summary>RFC 9110 13.1.3: an If-Modified-Since later than the server's clock is invalid and ignored (200, the whole file), not a 304.</summary>
    [SampleServerFact]
    public async Task IfModifiedSinceInTheFutureIsIgnored()
    {
        string future = DateTimeOffset.UtcNow.AddDays(2).ToString("R", CultureInfo.InvariantCulture);
        RawResponse response = RawResponse.ParseOne(await _server.RawAsync($"GET /f1024.bin HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: {future}\r\nConnection: close\r\n\r\n", deadline: Prompt));
        Assert.Equal("HTTP/1.1 200 OK", response.StatusLine);
        Assert.Equal(Body(1024), response.Body);

        // A date in the past at or after the file's time is still a 304.
        string lastModified = response.Headers["Last-Modified"];
        RawResponse notModified = RawResponse.ParseOne(await _server.RawAsync($"GET /f1024.bin HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: {lastModified}\r\nConnection: close\r\n\r\n", deadline: Prompt));
        Assert.Equal("HTTP/1.1 304 Not Modified", notModified.StatusLine);
        Assert.Equal(string.Empty, notModified.Body);
    }

    /// <summary>The range unit is case-insensitive (RFC 9110 14.1) and numbers may carry leading zeros (1*DIGIT, any length).</summary>
    [SampleServerFact]
    public async Task RangeUnitIsCaseInsensitiveAndNumbersMayHaveLeadingZeros()
    {
        const long Size = 65537;
        foreach ((string range, int offset, int count) in new[]
        {
            ("Bytes=10-19", 10, 10), ("BYTES=0-0", 0, 1), ("bYtEs=-5", (int)Size - 5, 5),
            ("bytes=0010-0019", 10, 10), ("bytes=000000000000000000000000000010-000000000000000000000000000019", 10, 10),
            ("bytes=-0000000000000000000000000000005", (int)Size - 5, 5), ("bytes=65530-99999999999999999999999999", 65530, 7),
            ("bytes=0000000000000000000000000000000-", 0, (int)Size),
        })
        {
            RawResponse response = RawResponse.ParseOne(await _server.RawAsync($"GET /f{Size}.bin HTTP/1.1\r\nHost: x\r\nRange: {range}\r\nConnection: close\r\n\r\n", deadline: Prompt));
            Assert.True(response.StatusLine == "HTTP/1.1 206 Partial Content", $"{range}: {response.StatusLine}");
            Assert.Equal($"bytes {offset}-{offset + count - 1}/{Size}", response.Headers["Content-Range"]);
            Assert.True(Slice(Size, offset, count) == response.Body, range);
        }

        // Leading zeros in Content-Length too (still no body).
        RawResponse zeroLength = RawResponse.ParseOne(await _server.RawAsync("GET /f100.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 000\r\nConnection: close\r\n\r\n", deadline: Prompt));
        Assert.Equal(Body(100), zeroLength.Body);
    }

    /// <summary>Invalid (last before first) and unsatisfiable ranges are 416 with "Content-Range: bytes */length" (RFC 9110 15.5.17), as nginx answers; another unit or a malformed range is ignored (200).</summary>
    [SampleServerFact]
    public async Task InvalidAndUnsatisfiableRangesAre416()
    {
        foreach (string range in new[] { "bytes=5-2", "bytes=99-0", "bytes=100-", "bytes=100-200", "bytes=-0", "bytes=5000000000000000000000-" })
        {
            RawResponse response = RawResponse.ParseOne(await _server.RawAsync($"GET /f100.bin HTTP/1.1\r\nHost: x\r\nRange: {range}\r\nConnection: close\r\n\r\n", deadline: Prompt));
            Assert.True(response.StatusLine == "HTTP/1.1 416 Range Not Satisfiable", $"{range}: {response.StatusLine}");
            Assert.Equal("bytes */100", response.Headers["Content-Range"]);
            Assert.Equal(string.Empty, response.Body);
        }

        foreach (string range in new[] { "items=0-1", "bytes=a-b", "bytes=1", "bytes 0-1", "bytes=0-1,5-6" })
        {
            RawResponse response = RawResponse.ParseOne(await _server.RawAsync($"GET /f100.bin HTTP/1.1\r\nHost: x\r\nRange: {range}\r\nConnection: close\r\n\r\n", deadline: Prompt));
            Assert.True(response.StatusLine == "HTTP/1.1 200 OK", $"{range}: {response.StatusLine}");
            Assert.Equal(Body(100), response.Body);
        }
    }

    /// <summary>Two Content-Length fields are 400 even when they agree (RFC 9112 6.3), and the connection closes.</summary>
    [SampleServerFact]
    public async Task TwoContentLengthHeadersAre400()
    {
        foreach (string lengths in new[] { "Content-Length: 0\r\nContent-Length: 0\r\n", "Content-Length: 0\r\ncontent-length: 0\r\n", "Content-Length: +0\r\n", "Content-Length: 0, 0\r\n" })
        {
            RawResponse response = RawResponse.ParseOne(await _server.RawAsync($"GET /f100.bin HTTP/1.1\r\nHost: x\r\n{lengths}\r\n", deadline: Prompt));
            Assert.Equal("HTTP/1.1 400 Bad Request", response.StatusLine);
            Assert.Equal("close", response.Headers["Connection"]);
            Assert.Equal("400 Bad Request\n", response.Body);
        }
    }

    /// <summary>
    /// A 100 KB head gets its 431, then a clean close: the server drains what the client still sends
    /// instead of closing with unread bytes (which sends an RST that can destroy the 431 unread).
    /// </summary>
    [SampleServerFact]
    public async Task HugeHeadGets431AndACleanCloseNotAReset()
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, _server.Port);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            byte[] request = Encoding.ASCII.GetBytes("GET /f100.bin HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 100_000) + "\r\n\r\n");
            Task sending = Task.Run(async () =>
            {
                try
                {
                    await socket.SendAsync(request, SocketFlags.None, deadline.Token);
                }
                catch (SocketException)
                {
                    // Seen as the reset by the reader below; the send itself may fail either way.
                }
            });

            (byte[] received, bool reset) = await ServerFixture.ReadToEndAsync(socket, TimeSpan.FromSeconds(10));
            Assert.False(reset, $"attempt {attempt}: reset after {received.Length} bytes of the response: the server closed with unread bytes instead of a clean close.");
            await sending;
            RawResponse response = RawResponse.ParseOne(Encoding.Latin1.GetString(received));
            Assert.Equal("HTTP/1.1 431 Request Header Fields Too Large", response.StatusLine);
            Assert.Equal("close", response.Headers["Connection"]);
            Assert.Equal("431 Request Header Fields Too Large\n", response.Body);
        }
    }

    /// <summary>
    /// A FIFO (and a socket) in the root is 404 at once: opening one would block a thread until a
    /// writer came, and 20 such requests must leave ordinary GETs as fast as before.
    /// </summary>
    [SampleServerFact]
    public async Task FifoInTheRootIs404AndBlocksNothing()
    {
        string fifo = Path.Combine(_server.Root, "pipe-" + Guid.NewGuid().ToString("N") + ".txt");
        Assert.Equal(0, Fifo.Make(fifo));
        try
        {
            Task<string>[] requests = Enumerable.Range(0, 20)
                .Select(_ => _server.RawAsync($"GET /{Path.GetFileName(fifo)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", deadline: TimeSpan.FromSeconds(5)))
                .ToArray();
            foreach (Task<string> request in requests)
            {
                RawResponse response = RawResponse.ParseOne(await request);
                Assert.Equal("HTTP/1.1 404 Not Found", response.StatusLine);
            }

            var watch = Stopwatch.StartNew();
            for (int i = 0; i < 20; i++)
            {
                RawResponse ok = RawResponse.ParseOne(await _server.RawAsync("GET /f1024.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", deadline: Prompt));
                Assert.Equal(Body(1024), ok.Body);
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"20 GETs took {watch.Elapsed}");
        }
        finally
        {
            // Before the fix, readers block in open(2): a writer's open releases them.
            Fifo.ReleaseBlockedReaders(fifo);
            File.Delete(fifo);
        }
    }

    private static class Fifo
    {
        public static int Make(string path) => mkfifo(path, 0x1A4); // 0644

        public static void ReleaseBlockedReaders(string path)
        {
            // O_WRONLY | O_NONBLOCK (Linux values): fails at once when no reader waits.
            for (int i = 0; i < 3; i++)
            {
                int fd = open(path, 0x1 | 0x800);
                if (fd >= 0)
                {
                    _ = close(fd);
                }
            }
        }

#pragma warning disable CA2101, SA1300 // libc names; the paths are UTF-8.
        [DllImport("libc", SetLastError = true)]
        private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

        [DllImport("libc", SetLastError = true)]
        private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc")]
        private static extern int close(int fd);
#pragma warning restore CA2101, SA1300
    }
}
#endif
