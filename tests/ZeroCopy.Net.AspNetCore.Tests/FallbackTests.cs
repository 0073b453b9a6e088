using System;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;
using ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>
/// What the sendfile path must not take goes through Kestrel's own path, with every byte right, and is counted in
/// zerocopy.aspnetcore.fallbacks with its reason: TLS, HTTP/2, compression, a body already started.
/// </summary>
public sealed class FallbackTests : IClassFixture<SiteFiles>
{
    private readonly SiteFiles _site;

    public FallbackTests(SiteFiles site) => _site = site;

    [Theory]
    [InlineData("1m13.bin")]
    [InlineData("64m.bin")]
    [InlineData("one.bin")]
    public async Task Https_FallsBack_SameBytes(string name)
    {
        await using TestServer server = await TestServer.StartAsync(_site, ServerEndpoint.Https);
        using HttpClient client = server.CreateClient(ServerEndpoint.Https);
        Assert.Equal("https", server.BaseAddress.Scheme);

        byte[] fromStatic = await client.GetByteArrayAsync("/" + name);
        byte[] fromResults = await client.GetByteArrayAsync("/results/" + name);

        Assert.True(_site.Contents(name).AsSpan().SequenceEqual(fromStatic));
        Assert.True(_site.Contents(name).AsSpan().SequenceEqual(fromResults));
        Assert.Equal(2, server.Metrics["fallbacks:tls"]);
        Assert.Equal(0, server.Metrics["sendfile.responses"]);
    }

    [Theory]
    [InlineData("1m13.bin")]
    [InlineData("64m.bin")]
    [InlineData("one.bin")]
    public async Task H2cPriorKnowledge_FallsBack_SameBytes(string name)
    {
        await using TestServer server = await TestServer.StartAsync(_site, ServerEndpoint.H2c);
        using HttpClient client = server.CreateClient(ServerEndpoint.H2c);

        using HttpResponseMessage response = await client.GetAsync("/" + name);
        byte[] fromStatic = await response.Content.ReadAsByteArrayAsync();
        byte[] fromResults = await client.GetByteArrayAsync("/results/" + name);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.True(_site.Contents(name).AsSpan().SequenceEqual(fromStatic));
        Assert.True(_site.Contents(name).AsSpan().SequenceEqual(fromResults));
        Assert.Equal(2, server.Metrics["fallbacks:http2"]);
        Assert.Equal(0, server.Metrics["sendfile.responses"]);
    }

    [Fact]
    public async Task H2c_RangesAndManyStreams_SameBytes()
    {
        await using TestServer server = await TestServer.StartAsync(_site, ServerEndpoint.H2c);
        using HttpClient client = server.CreateClient(ServerEndpoint.H2c);
        byte[] file = _site.Contents("1m13.bin");

        // Concurrent streams on one HTTP/2 connection: Kestrel's frame writer flushes from several requests.
        var downloads = new Task<byte[]>[8];
        for (int i = 0; i < downloads.Length; i++)
        {
            downloads[i] = client.GetByteArrayAsync(i % 2 == 0 ? "/1m13.bin" : "/results/1m13.bin");
        }

        foreach (byte[] body in await Task.WhenAll(downloads))
        {
            Assert.True(file.AsSpan().SequenceEqual(body));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/1m13.bin") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Range = new RangeHeaderValue(100, 199);
        using HttpResponseMessage partial = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        byte[] partialBody = await partial.Content.ReadAsByteArrayAsync();
        Assert.True(file.AsSpan(100, 100).SequenceEqual(partialBody));
        Assert.Equal(9, server.Metrics["fallbacks:http2"]);
    }

    [Fact]
    public async Task ResponseCompression_FallsBack_SameBytesAfterDecompression()
    {
        await using TestServer server = await TestServer.StartAsync(
            _site,
            configureBuilder: b => b.Services.AddResponseCompression(o => o.Providers.Add<GzipCompressionProvider>()),
            beforeStaticFiles: app => app.UseResponseCompression());
        using HttpClient client = server.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/text.txt");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using HttpResponseMessage response = await client.SendAsync(request);
        byte[] compressed = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.True(compressed.Length < _site.Contents("text.txt").Length / 2, "the body was not compressed");
        using var gunzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        await gunzip.CopyToAsync(plain);
        Assert.True(_site.Contents("text.txt").AsSpan().SequenceEqual(plain.ToArray()));
        Assert.Equal(1, await server.Metrics.WaitForAsync("fallbacks:compression", 1));
        Assert.Equal(0, server.Metrics["sendfile.responses"]);

        // Not compressible (application/octet-stream): the compression middleware passes SendFileAsync through.
        using var binary = new HttpRequestMessage(HttpMethod.Get, "/1m13.bin");
        binary.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using HttpResponseMessage binaryResponse = await client.SendAsync(binary);
        Assert.Empty(binaryResponse.Content.Headers.ContentEncoding);
        byte[] binaryBody = await binaryResponse.Content.ReadAsByteArrayAsync();
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(binaryBody));
        Assert.Equal(1, server.Metrics["sendfile.responses"]);
    }

    [Fact]
    public async Task MiddlewareWroteBytesFirst_FallsBack_BodyRight()
    {
        byte[] prefix = "prefix written by middleware\n"u8.ToArray();
        await using TestServer server = await TestServer.StartAsync(
            _site,
            beforeStaticFiles: app => app.Map("/prefixed", branch => branch.Run(async context =>
            {
                string path = _site.PathOf("1m13.bin");
                context.Response.ContentLength = prefix.Length + new FileInfo(path).Length;
                await context.Response.Body.WriteAsync(prefix);
                await context.Response.SendFileAsync(path);
            })));
        using var raw = new RawHttpConnection(server.BaseAddress);

        await raw.SendAsync(RawHttpConnection.Get("/prefixed", raw.Host) + RawHttpConnection.Get("/4k.bin", raw.Host));
        RawResponse prefixed = await raw.ReadResponseAsync();
        RawResponse next = await raw.ReadResponseAsync();

        Assert.Equal(200, prefixed.Status);
        Assert.True(prefix.AsSpan().SequenceEqual(prefixed.Body.AsSpan(0, prefix.Length)));
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(prefixed.Body.AsSpan(prefix.Length)));
        Assert.True(_site.Contents("4k.bin").AsSpan().SequenceEqual(next.Body));
        Assert.Equal(1, server.Metrics["fallbacks:response-started"]);
        Assert.Equal(1, server.Metrics["sendfile.responses"]);
    }

    /// <summary>
    /// Bytes committed with GetMemory/Advance before the response started (Kestrel holds them and writes them after
    /// the head). The prefix ends in CRLF CRLF, so the transport's own check (the head's terminator last) cannot tell.
    /// </summary>
    [Fact]
    public async Task BytesAdvancedBeforeStart_FallBack_BodyRight()
    {
        byte[] prefix = "looks like a head\r\n\r\n"u8.ToArray();
        await using TestServer server = await TestServer.StartAsync(
            _site,
            beforeStaticFiles: app => app.Map("/advanced", branch => branch.Run(async context =>
            {
                string path = _site.PathOf("1m13.bin");
                context.Response.ContentLength = prefix.Length + new FileInfo(path).Length;
                prefix.CopyTo(context.Response.BodyWriter.GetMemory(prefix.Length));
                context.Response.BodyWriter.Advance(prefix.Length);
                await context.Response.SendFileAsync(path);
            })));
        using var raw = new RawHttpConnection(server.BaseAddress);

        await raw.SendAsync(RawHttpConnection.Get("/advanced", raw.Host) + RawHttpConnection.Get("/4k.bin", raw.Host));
        RawResponse advanced = await raw.ReadResponseAsync();
        RawResponse next = await raw.ReadResponseAsync();

        Assert.Equal(200, advanced.Status);
        Assert.True(prefix.AsSpan().SequenceEqual(advanced.Body.AsSpan(0, prefix.Length)));
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(advanced.Body.AsSpan(prefix.Length)));
        Assert.True(_site.Contents("4k.bin").AsSpan().SequenceEqual(next.Body));
        Assert.Equal(1, server.Metrics["fallbacks:body-buffered"]);
    }

    /// <summary>
    /// A connection middleware that replaces the transport (here Kestrel's own connection logging): the output
    /// is no longer the transport's, so the file goes through Kestrel's path, and the next pipelined response
    /// still follows it.
    /// </summary>
    [Fact]
    public async Task WrappedTransport_FallsBack_SameBytes()
    {
        await using TestServer server = await TestServer.StartAsync(_site, configureListen: listen => listen.UseConnectionLogging());
        using var raw = new RawHttpConnection(server.BaseAddress);

        await raw.SendAsync(RawHttpConnection.Get("/1m13.bin", raw.Host) + RawHttpConnection.Get("/4k.bin", raw.Host));
        RawResponse first = await raw.ReadResponseAsync();
        RawResponse second = await raw.ReadResponseAsync();

        Assert.Equal(200, first.Status);
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(first.Body));
        Assert.True(_site.Contents("4k.bin").AsSpan().SequenceEqual(second.Body));
        Assert.Equal(2, server.Metrics["fallbacks:transport-wrapped"]); // both responses: the wrap is per connection
        Assert.Equal(0, server.Metrics["sendfile.responses"]);
    }

    /// <summary>
    /// <c>Expect: 100-continue</c>: Kestrel may write an interim "100 Continue" ahead of the head, so the head
    /// would not be the only thing pending: the file goes through Kestrel's path; the next request still gets sendfile.
    /// </summary>
    [Fact]
    public async Task ExpectContinue_FallsBack_BodyRight()
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        using var raw = new RawHttpConnection(server.BaseAddress);

        await raw.SendAsync(RawHttpConnection.Get("/1m13.bin", raw.Host, extra: "Expect: 100-continue\r\n") + RawHttpConnection.Get("/1m13.bin", raw.Host));
        RawResponse expecting = await raw.ReadResponseAsync();
        RawResponse plain = await raw.ReadResponseAsync();

        Assert.Equal(200, expecting.Status);
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(expecting.Body));
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(plain.Body));
        Assert.Equal(1, server.Metrics["fallbacks:expect-continue"]);
        Assert.Equal(1, server.Metrics["sendfile.responses"]);
    }

    [Fact]
    public async Task NoContentLength_FallsBack_Chunked()
    {
        await using TestServer server = await TestServer.StartAsync(
            _site,
            beforeStaticFiles: app => app.Map("/chunked", branch => branch.Run(context => context.Response.SendFileAsync(_site.PathOf("1m13.bin")))));
        using HttpClient client = server.CreateClient();

        using HttpResponseMessage response = await client.GetAsync("/chunked");
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(body));
        Assert.Equal(1, server.Metrics["fallbacks:no-content-length"]);
    }

    [Fact]
    public async Task SendFileOff_EverythingThroughKestrel()
    {
        await using TestServer server = await TestServer.StartAsync(
            _site,
            zeroCopy: false,
            configureBuilder: b => b.WebHost.UseZeroCopy(o => o.SendFile = false));
        using HttpClient client = server.CreateClient();
        byte[] body = await client.GetByteArrayAsync("/1m13.bin");
        Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(body));
        Assert.Equal(0, server.Metrics["sendfile.responses"]);
    }
}
