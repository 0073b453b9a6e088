using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using System.Diagnostics.Metrics;

namespace ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

/// <summary>How a test server's endpoint is set up.</summary>
public enum ServerEndpoint
{
    Http1,
    Https,
    H2c,
}

/// <summary>
/// A real WebApplication on Kestrel over loopback (port 0): with <c>UseZeroCopy()</c> unless told otherwise,
/// UseStaticFiles over <see cref="SiteFiles"/>, and a minimal-API route /results/{name} that returns
/// <c>Results.File</c> of the physical file (range processing on). Tests add their own middleware and routes.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri baseAddress, MetricsCapture metrics)
    {
        _app = app;
        BaseAddress = baseAddress;
        Metrics = metrics;
    }

    public Uri BaseAddress { get; }

    public MetricsCapture Metrics { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestServer> StartAsync(
        SiteFiles site,
        ServerEndpoint endpoint = ServerEndpoint.Http1,
        bool zeroCopy = true,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<WebApplication>? beforeStaticFiles = null,
        Action<ListenOptions>? configureListen = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = site.Root, WebRootPath = site.Root });
        builder.Logging.ClearProviders();
        if (zeroCopy)
        {
            builder.WebHost.UseZeroCopy();
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = endpoint == ServerEndpoint.H2c ? HttpProtocols.Http2 : HttpProtocols.Http1;
            if (endpoint == ServerEndpoint.Https)
            {
                listen.UseHttps(SelfSignedCertificate.Value);
            }

            configureListen?.Invoke(listen);
        }));
        configureBuilder?.Invoke(builder);

        WebApplication app = builder.Build();
        beforeStaticFiles?.Invoke(app);
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(site.Root), ServeUnknownFileTypes = true });
        app.MapGet("/results/{name}", (string name) => Results.File(site.PathOf(name), "application/octet-stream", enableRangeProcessing: true));
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var metrics = new MetricsCapture(app.Services.GetRequiredService<IMeterFactory>());
        return new TestServer(app, new Uri(address), metrics);
    }

    /// <summary>An HttpClient for this server (HTTP/2 with prior knowledge for h2c, any certificate accepted for HTTPS).</summary>
    public HttpClient CreateClient(ServerEndpoint endpoint = ServerEndpoint.Http1, DecompressionMethods decompression = DecompressionMethods.None)
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = decompression,
            // Only the certificate this test made is trusted.
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == SelfSignedCertificate.Value.GetCertHashString() },
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (endpoint == ServerEndpoint.H2c)
        {
            client.DefaultRequestVersion = HttpVersion.Version20;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Metrics.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A certificate for localhost made in the test (RSA 2048, self-signed, server authentication).</summary>
    private static readonly Lazy<X509Certificate2> SelfSignedCertificate = new(() =>
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Through PKCS#12, so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), password: null);
    });

    public static IEnumerable<object[]> FileNames => SiteFiles.Sizes.Keys.Select(n => new object[] { n });
}
