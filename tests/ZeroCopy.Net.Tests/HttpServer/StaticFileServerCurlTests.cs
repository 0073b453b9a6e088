#if !LIBRARY_NETSTANDARD
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.HttpServer;

/// <summary>The sample HTTP server driven by a real client (curl): every byte compared.</summary>
public class StaticFileServerCurlTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _server;

    public StaticFileServerCurlTests(ServerFixture server) => _server = server;

    /// <summary>One curl run downloads every size over one keep-alive connection; twice, so the second round hits the open-file cache.</summary>
    [CurlFact]
    public async Task CurlDownloadsEveryFileSizeIntact()
    {
        string outDir = Path.Combine(_server.Parent, "dl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outDir);
        var args = new List<string> { "-s", "--fail", "-w", "%{http_code} %{num_connects}\\n" };
        foreach (int round in new[] { 0, 1 })
        {
            foreach (long size in ServerFixture.Sizes)
            {
                args.Add("-o");
                args.Add(Path.Combine(outDir, $"{round}-{size}"));
                args.Add(_server.Url("/" + ServerFixture.NameFor(size)));
            }
        }

        (int code, string stdout, string stderr) = await ServerFixture.CurlAsync(args.ToArray());
        Assert.True(code == 0, $"curl exit {code}: {stderr}");
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ServerFixture.Sizes.Length * 2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("200 ", l, StringComparison.Ordinal));
        Assert.Equal(1, lines.Sum(l => int.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)));
        foreach (int round in new[] { 0, 1 })
        {
            foreach (long size in ServerFixture.Sizes)
            {
                byte[] got = await File.ReadAllBytesAsync(Path.Combine(outDir, $"{round}-{size}"));
                Assert.True(got.AsSpan().SequenceEqual(ServerFixture.Content(size)), $"file of {size} B, round {round}");
            }
        }
    }

    [CurlFact]
    public async Task CurlRangesGet206AndTheRightBytesOr416()
    {
        long size = (1 << 20) + 3;
        byte[] content = ServerFixture.Content(size);
        foreach ((string range, long offset, long count) in new[]
        {
            ("0-0", 0L, 1L), ("10-19", 10, 10), ("1000-", 1000, size - 1000), ("-500", size - 500, 500),
            ("65530-65545", 65530, 16), ($"{size - 1}-{size + 100}", size - 1, 1), ("0-", 0, size),
        })
        {
            string file = Path.Combine(_server.Parent, "range-" + Guid.NewGuid().ToString("N"));
            (int code, string stdout, string stderr) = await ServerFixture.CurlAsync("-s", "-r", range, "-o", file, "-w", "%{http_code}", _server.Url("/" + ServerFixture.NameFor(size)));
            Assert.True(code == 0, $"curl exit {code}: {stderr}");
            Assert.Equal("206", stdout);
            Assert.True((await File.ReadAllBytesAsync(file)).AsSpan().SequenceEqual(content.AsSpan((int)offset, (int)count)), $"range {range}");
        }

        (_, string unsatisfiable, _) = await ServerFixture.CurlAsync("-s", "-r", $"{size}-", "-o", "/dev/null", "-w", "%{http_code}", _server.Url("/" + ServerFixture.NameFor(size)));
        Assert.Equal("416", unsatisfiable);

        // Several ranges: ignored (RFC 9110 allows it), the whole file comes back with 200.
        string whole = Path.Combine(_server.Parent, "multi-" + Guid.NewGuid().ToString("N"));
        (_, string multi, _) = await ServerFixture.CurlAsync("-s", "-r", "0-1,5-6", "-o", whole, "-w", "%{http_code}", _server.Url("/" + ServerFixture.NameFor(size)));
        Assert.Equal("200", multi);
        Assert.Equal(size, new FileInfo(whole).Length);
    }

    [CurlFact]
    public async Task HeadConditionalTypesAndIndexFiles()
    {
        (_, string head, _) = await ServerFixture.CurlAsync("-s", "-I", _server.Url("/" + ServerFixture.NameFor(65537)));
        Assert.StartsWith("HTTP/1.1 200 OK", head, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 65537", head, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/octet-stream", head, StringComparison.Ordinal);
        Assert.Contains("Accept-Ranges: bytes", head, StringComparison.Ordinal);
        Assert.Contains("Last-Modified: ", head, StringComparison.Ordinal);

        // The validator must come from the file it is sent for: the fixture's files may straddle a second boundary.
        (_, string pageHead, _) = await ServerFixture.CurlAsync("-s", "-I", _server.Url("/page.html"));
        string lastModified = pageHead.Split("\r\n").Single(l => l.StartsWith("Last-Modified: ", StringComparison.Ordinal)).Substring(15);

        (_, string notModified, _) = await ServerFixture.CurlAsync("-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-Modified-Since: " + lastModified, _server.Url("/page.html"));
        Assert.Equal("304", notModified);
        (_, string modified, _) = await ServerFixture.CurlAsync("-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT", _server.Url("/page.html"));
        Assert.Equal("200", modified);

        (_, string html, _) = await ServerFixture.CurlAsync("-s", "-D", "-", _server.Url("/page.html"));
        Assert.Contains("Content-Type: text/html; charset=utf-8", html, StringComparison.Ordinal);
        Assert.EndsWith("<p>hi</p>\n", html, StringComparison.Ordinal);
        (_, string index, _) = await ServerFixture.CurlAsync("-s", _server.Url("/sub/"));
        Assert.Equal("<p>sub index</p>\n", index);
        (_, string linkIn, _) = await ServerFixture.CurlAsync("-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", _server.Url("/link-in.bin"));
        Assert.Equal("200 1024", linkIn);
        (_, string missing, _) = await ServerFixture.CurlAsync("-s", "-o", "/dev/null", "-w", "%{http_code}", _server.Url("/no-such-file"));
        Assert.Equal("404", missing);
    }

    /// <summary>Traversal by dot segments (plain and percent-encoded), absolute paths and symlinks never leaks a byte from outside the root.</summary>
    [CurlFact]
    public async Task TraversalAttemptsGet400Or404AndNeverTheSecret()
    {
        string[] paths =
        {
            "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/sub/../../secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt",
            "/%2e%2e%2fsecret.txt", "/..%2fsecret.txt", "/.%2e/secret.txt", "//etc/passwd", "/%2fetc%2fpasswd", "/etc/passwd",
            "/link-out.txt", "/dir-out/secret.txt", "/dir-out/", "/%00secret.txt", "/secret.txt%00.bin", "/sub/./index.html",
        };
        foreach (string path in paths)
        {
            (int code, string stdout, string stderr) = await ServerFixture.CurlAsync("-s", "--path-as-is", "-D", "-", _server.Url(path));
            Assert.True(code == 0, $"{path}: curl exit {code}: {stderr}");
            Assert.True(stdout.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal) || stdout.StartsWith("HTTP/1.1 404 ", StringComparison.Ordinal), $"{path}: {stdout}");
            Assert.DoesNotContain(ServerFixture.Secret, stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("root:", stdout, StringComparison.Ordinal);
        }

        // Absolute-form request targets are not served.
        string absolute = await _server.RawAsync($"GET http://127.0.0.1:{_server.Port}/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 ", absolute, StringComparison.Ordinal);
    }

    /// <summary>Malformed requests get 400 (and a closed connection); the server keeps serving everyone else.</summary>
    [CurlFact]
    public async Task MalformedRequestsGet400AndTheServerKeepsServing()
    {
        string[] malformed =
        {
            "GARBAGE\r\n\r\n",
            "GET /f1.bin\r\n\r\n",
            "GET  /f1.bin HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /f1.bin HTTP/1.1\r\n\r\n",
            "GET /f1.bin HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            "GET /f1.bin HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET /f1.bin HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            "GET /f1.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            "GET /f1.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /f1.bin HTTP/x.y\r\nHost: x\r\n\r\n",
            "GET /f1%zz.bin HTTP/1.1\r\nHost: x\r\n\r\n",
            "G\u0001T /f1.bin HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /f1.bin HTTP/1.1\r\nHost: x\r\nBad\u0001Header: 1\r\n\r\n",
        };
        foreach (string request in malformed)
        {
            string response = await _server.RawAsync(request);
            Assert.True(response.StartsWith("HTTP/1.1 400 Bad Request\r\n", StringComparison.Ordinal), $"{request.Replace("\r\n", "\\r\\n", StringComparison.Ordinal)} -> {response}");
            Assert.Contains("Connection: close", response, StringComparison.Ordinal);
        }

        Assert.StartsWith("HTTP/1.1 505 ", await _server.RawAsync("GET /f1.bin HTTP/2.0\r\nHost: x\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 405 ", await _server.RawAsync("POST /f1.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 431 ", await _server.RawAsync("GET /f1.bin HTTP/1.1\r\nHost: x\r\nX: " + new string('a', 9000) + "\r\n\r\n"), StringComparison.Ordinal);

        // Pipelined: two requests in one write, two responses in order on one connection.
        string pipelined = await _server.RawAsync("GET /f1.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /f100.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", responses: 2);
        int first = pipelined.IndexOf("Content-Length: 1\r\n", StringComparison.Ordinal);
        int second = pipelined.IndexOf("Content-Length: 100\r\n", StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first, pipelined);

        // And curl still gets every byte.
        string file = Path.Combine(_server.Parent, "after-" + Guid.NewGuid().ToString("N"));
        (int code, _, string stderr) = await ServerFixture.CurlAsync("-s", "--fail", "-o", file, _server.Url("/" + ServerFixture.NameFor(65537)));
        Assert.True(code == 0, stderr);
        Assert.True((await File.ReadAllBytesAsync(file)).AsSpan().SequenceEqual(ServerFixture.Content(65537)));
    }
}
#endif
