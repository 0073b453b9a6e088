using System;
using System.IO;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using System.Diagnostics.Metrics;
using ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>A Unix domain socket endpoint is the transport's too (TCP options skipped); files go out with sendfile.</summary>
public sealed class UnixSocketTests : IClassFixture<SiteFiles>
{
    private readonly SiteFiles _site;

    public UnixSocketTests(SiteFiles site) => _site = site;

    [Fact]
    public async Task UnixSocket_StaticFile_SentWithSendfile()
    {
        string socketPath = Path.Combine(Path.GetTempPath(), $"zc-{Guid.NewGuid():N}.sock");
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _site.Root });
        builder.Logging.ClearProviders();
        builder.WebHost.UseZeroCopy();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath));
        await using WebApplication app = builder.Build();
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(_site.Root), ServeUnknownFileTypes = true });
        await app.StartAsync();
        try
        {
            using var metrics = new MetricsCapture(app.Services.GetRequiredService<IMeterFactory>());
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            using var client = new HttpClient(handler) { BaseAddress = new Uri("http://localhost/") };

            byte[] large = await client.GetByteArrayAsync("/1m13.bin");
            byte[] small = await client.GetByteArrayAsync("/one.bin");

            Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(large));
            Assert.Equal(_site.Contents("one.bin"), small);
            Assert.Equal(2, metrics["sendfile.responses"]);
        }
        finally
        {
            await app.StopAsync();
            File.Delete(socketPath);
        }
    }
}
