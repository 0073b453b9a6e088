using System;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using ZeroCopy.Net.AspNetCore;

// Usage: ZeroCopy.Net.Bench.Kestrel <folder> <port> [--zerocopy]
// The same app twice in bench/run-http-bench.sh: on Kestrel's default socket transport, and with the one line
// builder.WebHost.UseZeroCopy() (ZeroCopy.Net.AspNetCore: sendfile for the static files' bodies).
string root = args[0];
int port = int.Parse(args[1], CultureInfo.InvariantCulture);
bool zeroCopy = Array.IndexOf(args, "--zerocopy") >= 0;
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
if (zeroCopy)
{
    builder.WebHost.UseZeroCopy();
}

WebApplication app = builder.Build();
app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(root), ServeUnknownFileTypes = true });
await app.RunAsync();
