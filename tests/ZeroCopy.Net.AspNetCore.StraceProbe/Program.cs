using System;
using System.Linq;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZeroCopy.Net.AspNetCore;

// An unchanged static-file app plus the one line; port 0, printed for the test.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
if (Environment.GetEnvironmentVariable("ZC_PROBE_LOG") == "1")
{
    builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Trace);
}

if (Environment.GetEnvironmentVariable("ZC_PROBE_PLAIN") != "1")
{
    builder.WebHost.UseZeroCopy();
}
// Kestrel waits this long for open keep-alive connections when the test ends the probe.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
WebApplication app = builder.Build();
app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(args[0]), ServeUnknownFileTypes = true });
await app.StartAsync();
string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
Console.WriteLine("port=" + new Uri(address).Port);
Console.Out.Flush();
_ = await Console.In.ReadToEndAsync();
await app.StopAsync();
