using System;
using System.Globalization;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using HttpStaticServer;

// Usage: HttpStaticServer [folder] [port] [address]
//   folder   what to serve (default: a generated demo folder)
//   port     0 picks a free port (default 8080); the bound port is printed
//   address  where to listen (default 127.0.0.1)
string root = args.Length > 0 && args[0].Length > 0 ? args[0] : DemoFolder.Create();
int port = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8080;
IPAddress address = args.Length > 2 ? IPAddress.Parse(args[2]) : IPAddress.Loopback;

await using var server = new StaticFileServer(root, new IPEndPoint(address, port));
server.Start();
Console.WriteLine($"Serving {server.RealRoot} on http://{address}:{server.Port}/ (platform: {ZeroCopy.Net.ZeroCopySocket.ProcessPlatformName}). Ctrl+C stops.");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
