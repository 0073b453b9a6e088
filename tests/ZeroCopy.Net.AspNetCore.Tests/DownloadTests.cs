using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>
/// UseStaticFiles and Results.File on the transport, downloaded with HttpClient: every byte, the status and headers
/// Kestrel and the static-file middleware produce, and which path carried the body (the meter).
/// </summary>
public sealed class DownloadTests : IClassFixture<SiteFiles>
{
    private readonly SiteFiles _site;

    public DownloadTests(SiteFiles site) => _site = site;

    [Theory]
    [MemberData(nameof(TestServer.FileNames), MemberType = typeof(TestServer))]
    public async Task StaticFiles_SendEveryByte_WithSendfile(string name)
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using HttpClient client = server.CreateClient();

        using HttpResponseMessage response = await client.GetAsync("/" + name);
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_site.Contents(name).LongLength, response.Content.Headers.ContentLength);
        Assert.True(_site.Contents(name).AsSpan().SequenceEqual(body), $"{name}: the body differs from the file");
        AssertSentWithSendfile(server, _site.Contents(name).LongLength);
    }

    [Theory]
    [MemberData(nameof(TestServer.FileNames), MemberType = typeof(TestServer))]
    public async Task ResultsFile_SendsEveryByte_WithSendfile(string name)
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using HttpClient client = server.CreateClient();

        using HttpResponseMessage response = await client.GetAsync("/results/" + name);
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(_site.Contents(name).AsSpan().SequenceEqual(body), $"{name}: the body differs from the file");
        AssertSentWithSendfile(server, _site.Contents(name).LongLength);
    }

    [Theory]
    [InlineData("/1m13.bin")]
    [InlineData("/results/1m13.bin")]
    public async Task Ranges_206_WithTheRangeBytes_And416Outside(string path)
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using HttpClient client = server.CreateClient();
        byte[] file = _site.Contents("1m13.bin");

        foreach ((long? from, long? to, long start, long end) in new (long?, long?, long, long)[]
        {
            (10, 99, 10, 99),
            (0, 0, 0, 0),
            (1_000_000, null, 1_000_000, file.Length - 1),
            (null, 13, file.Length - 13, file.Length - 1),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Range = new RangeHeaderValue(from, to);
            using HttpResponseMessage response = await client.SendAsync(request);
            byte[] body = await response.Content.ReadAsByteArrayAsync();

            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes {start}-{end}/{file.Length}", response.Content.Headers.ContentRange!.ToString());
            Assert.True(file.AsSpan((int)start, (int)(end - start + 1)).SequenceEqual(body), $"range {from}-{to}: wrong bytes");
        }

        using var outside = new HttpRequestMessage(HttpMethod.Get, path);
        outside.Headers.Range = new RangeHeaderValue(file.Length + 10, file.Length + 20);
        using HttpResponseMessage unsatisfiable = await client.SendAsync(outside);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        Assert.Equal($"bytes */{file.Length}", unsatisfiable.Content.Headers.ContentRange!.ToString());
        Assert.Empty(await unsatisfiable.Content.ReadAsByteArrayAsync());

        // The four ranges went out with sendfile; 416 has no body to send.
        Assert.Equal(4, server.Metrics["sendfile.responses"]);
        Assert.Equal(90 + 1 + (file.Length - 1_000_000) + 13, server.Metrics["sendfile.bytes"]);
        Assert.Equal(0, server.Metrics.TotalFallbacks);
    }

    [Fact]
    public async Task Head_SendsTheHeadersAndNoBody()
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using var raw = new RawHttpConnection(server.BaseAddress);

        await raw.SendAsync(RawHttpConnection.Get("/1m13.bin", raw.Host, "HEAD") + RawHttpConnection.Get("/4k.bin", raw.Host));
        RawResponse head = await raw.ReadResponseAsync(head: true);
        RawResponse next = await raw.ReadResponseAsync();

        Assert.Equal(200, head.Status);
        Assert.Equal((SiteFiles.MiB + 13).ToString(System.Globalization.CultureInfo.InvariantCulture), head.Headers["Content-Length"]);
        Assert.Empty(head.Body);
        Assert.True(_site.Contents("4k.bin").AsSpan().SequenceEqual(next.Body), "the response after HEAD is shifted: HEAD sent body bytes");
        Assert.Equal(1, server.Metrics["sendfile.responses"]);
    }

    [Fact]
    public async Task Conditional_304_OnIfModifiedSinceAndETag()
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using HttpClient client = server.CreateClient();
        using HttpResponseMessage first = await client.GetAsync("/1m13.bin");
        _ = await first.Content.ReadAsByteArrayAsync();
        EntityTagHeaderValue etag = first.Headers.ETag!;
        DateTimeOffset lastModified = first.Content.Headers.LastModified!.Value;

        using var byDate = new HttpRequestMessage(HttpMethod.Get, "/1m13.bin");
        byDate.Headers.IfModifiedSince = lastModified;
        using HttpResponseMessage notModifiedByDate = await client.SendAsync(byDate);

        using var byTag = new HttpRequestMessage(HttpMethod.Get, "/1m13.bin");
        byTag.Headers.IfNoneMatch.Add(etag);
        using HttpResponseMessage notModifiedByTag = await client.SendAsync(byTag);

        using var changedTag = new HttpRequestMessage(HttpMethod.Get, "/1m13.bin");
        changedTag.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"other\""));
        using HttpResponseMessage full = await client.SendAsync(changedTag);
        byte[] body = await full.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.NotModified, notModifiedByDate.StatusCode);
        Assert.Empty(await notModifiedByDate.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, notModifiedByTag.StatusCode);
        Assert.Empty(await notModifiedByTag.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(body));
        Assert.Equal(2, server.Metrics["sendfile.responses"]);
    }

    [Fact]
    public async Task MissingFile_404_AndTheConnectionStaysUsable()
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using var raw = new RawHttpConnection(server.BaseAddress);

        await raw.SendAsync(RawHttpConnection.Get("/no-such-file.bin", raw.Host));
        RawResponse missing = await raw.ReadResponseAsync();
        await raw.SendAsync(RawHttpConnection.Get("/one.bin", raw.Host));
        RawResponse one = await raw.ReadResponseAsync();

        Assert.Equal(404, missing.Status);
        Assert.Equal(200, one.Status);
        Assert.Equal(_site.Contents("one.bin"), one.Body);
    }

    /// <summary>Without UseZeroCopy the same app serves the same bytes (the baseline the tests compare against).</summary>
    [Fact]
    public async Task WithoutUseZeroCopy_SameBytes()
    {
        await using TestServer server = await TestServer.StartAsync(_site, zeroCopy: false);
        using HttpClient client = server.CreateClient();
        byte[] body = await client.GetByteArrayAsync("/1m13.bin");
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(body));
        Assert.Equal(0, server.Metrics["sendfile.responses"]);
    }

    internal static void AssertSentWithSendfile(TestServer server, long length)
    {
        // An empty file has nothing to send: no sendfile, and no fallback either.
        Assert.Equal(length == 0 ? 0 : 1, server.Metrics["sendfile.responses"]);
        Assert.Equal(length, server.Metrics["sendfile.bytes"]);
        Assert.True(server.Metrics.TotalFallbacks == 0, "fallbacks: " + server.Metrics.Describe());
    }
}
