using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using HttpStaticServer;

// Usage: HttpStaticServer [folder] [port] [address] [options]
//   folder   what to serve (default: a generated demo folder)
//   port     0 picks a free port (default 8080); the bound port is printed
//   address  where to listen (default 127.0.0.1)
// Options (seconds; the defaults are nginx's where nginx has one):
//   --keepalive-timeout S   idle keep-alive connection closed after S (30)
//   --header-timeout S      a request head must arrive within S of its first byte (60, nginx client_header_timeout)
//   --send-timeout S        a response that makes no progress for S is abandoned (60, nginx send_timeout)
//   --linger-timeout S      how long a closing connection drains what the client still sends (5)
//   --max-connections N     connections open at once; beyond it the server stops accepting (1024, nginx worker_connections)
//
// Socket completions run inline on the runtime's epoll threads unless the environment already sets
// DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS (set it to 0 to keep the thread-pool hop). The runtime
// reads the variable when the first asynchronous socket operation starts, so it is set before any.
// What this buys and what it costs: docs/http-static-server.md.
bool inline = InlineCompletions.EnableUnlessConfigured();

var positional = new List<string>();
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    if (args[i].StartsWith("--", StringComparison.Ordinal))
    {
        if (i + 1 >= args.Length)
        {
            Console.Error.WriteLine($"{args[i]} needs a value.");
            return 2;
        }

        options[args[i]] = args[++i];
    }
    else
    {
        positional.Add(args[i]);
    }
}

string root = positional.Count > 0 && positional[0].Length > 0 ? positional[0] : DemoFolder.Create();
int port = positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 8080;
IPAddress address = positional.Count > 2 ? IPAddress.Parse(positional[2]) : IPAddress.Loopback;

TimeSpan Seconds(string name, TimeSpan fallback) =>
    options.Remove(name, out string? value) ? TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) : fallback;

var defaults = new ServerLimits();
var limits = new ServerLimits
{
    KeepAliveTimeout = Seconds("--keepalive-timeout", defaults.KeepAliveTimeout),
    RequestHeadTimeout = Seconds("--header-timeout", defaults.RequestHeadTimeout),
    SendTimeout = Seconds("--send-timeout", defaults.SendTimeout),
    LingerTimeout = Seconds("--linger-timeout", defaults.LingerTimeout),
    MaxConnections = options.Remove("--max-connections", out string? max) ? int.Parse(max, CultureInfo.InvariantCulture) : defaults.MaxConnections,
};
if (options.Count > 0)
{
    Console.Error.WriteLine($"Unknown option: {string.Join(", ", options.Keys)}");
    return 2;
}

await using var server = new StaticFileServer(root, new IPEndPoint(address, port), limits);
server.Start();
Console.WriteLine($"Serving {server.RealRoot} on http://{address}:{server.Port}/ (platform: {ZeroCopy.Net.ZeroCopySocket.ProcessPlatformName}). Ctrl+C stops.");
Console.WriteLine($"  socket completions: {(inline ? "inline on the epoll threads" : "on the thread pool")}; header timeout {limits.RequestHeadTimeout.TotalSeconds} s, send timeout {limits.SendTimeout.TotalSeconds} s, keep-alive {limits.KeepAliveTimeout.TotalSeconds} s, at most {limits.MaxConnections} connections.");

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

return 0;
