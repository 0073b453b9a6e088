using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>The connection features Kestrel's socket transport offers, from the transport: socket, endpoints, lifetime.</summary>
public sealed class FeatureTests : IClassFixture<SiteFiles>
{
    private readonly SiteFiles _site;

    public FeatureTests(SiteFiles site) => _site = site;

    [Fact]
    public async Task SocketAndEndpointFeatures_DescribeTheConnection()
    {
        await using TestServer server = await TestServer.StartAsync(
            _site,
            beforeStaticFiles: app => app.Map("/features", branch => branch.Run(context =>
            {
                var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
                var endpoints = context.Features.Get<IConnectionEndPointFeature>();
                byte[] text = System.Text.Encoding.ASCII.GetBytes($"{socket?.LocalEndPoint}|{endpoints?.LocalEndPoint}|{endpoints?.RemoteEndPoint}|{context.Connection.RemotePort}|{socket?.NoDelay}");
                context.Response.ContentLength = text.Length;
                return context.Response.Body.WriteAsync(text).AsTask();
            })));
        using var raw = new RawHttpConnection(server.BaseAddress);

        await raw.SendAsync(RawHttpConnection.Get("/features", raw.Host));
        RawResponse response = await raw.ReadResponseAsync();
        string[] parts = System.Text.Encoding.ASCII.GetString(response.Body).Split('|');

        Assert.Equal(server.BaseAddress.Authority, parts[0]);
        Assert.Equal(parts[0], parts[1]);
        // The client's socket is dual mode ([::ffff:127.0.0.1]); the server sees 127.0.0.1 and the same port.
        string clientPort = ((System.Net.IPEndPoint)raw.Socket.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("127.0.0.1:" + clientPort, parts[2]);
        Assert.Equal(clientPort, parts[3]);
        Assert.Equal("True", parts[4]);
    }

    [Fact]
    public async Task ClientDisconnect_FiresRequestAborted()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestServer server = await TestServer.StartAsync(
            _site,
            beforeStaticFiles: app => app.Map("/wait", branch => branch.Run(async context =>
            {
                context.RequestAborted.Register(() => aborted.TrySetResult());
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            })));
        using (var raw = new RawHttpConnection(server.BaseAddress))
        {
            await raw.SendAsync(RawHttpConnection.Get("/wait", raw.Host));
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        // The transport saw the peer go (receive side ended) and Kestrel's ConnectionClosed-based token fired.
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using HttpClient client = server.CreateClient();
        Assert.Equal(_site.Contents("4k.bin"), await client.GetByteArrayAsync("/4k.bin"));
    }

    [Fact]
    public async Task HttpContextAbort_ClosesTheConnection_ServerKeepsServing()
    {
        await using TestServer server = await TestServer.StartAsync(
            _site,
            beforeStaticFiles: app => app.Map("/abort", branch => branch.Run(context =>
            {
                context.Abort();
                return Task.CompletedTask;
            })));
        using (var raw = new RawHttpConnection(server.BaseAddress))
        {
            await raw.SendAsync(RawHttpConnection.Get("/abort", raw.Host));
            bool closed;
            try
            {
                closed = await raw.AtEndAsync();
            }
            catch (System.IO.IOException)
            {
                closed = true; // a reset
            }

            Assert.True(closed, "the aborted connection still delivered bytes");
        }

        using HttpClient client = server.CreateClient();
        Assert.Equal(_site.Contents("4k.bin"), await client.GetByteArrayAsync("/4k.bin"));
    }
}
