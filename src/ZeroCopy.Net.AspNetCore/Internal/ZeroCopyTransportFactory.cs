using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace ZeroCopy.Net.AspNetCore.Internal;

/// <summary>
/// Kestrel's entry into the transport. Registered after Kestrel's socket transport, so Kestrel (which asks its
/// factories from the last registered) binds IP and Unix domain socket endpoints here, and anything else (a file
/// handle endpoint) with the socket transport.
/// </summary>
internal sealed class ZeroCopyTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly ZeroCopyTransportOptions _options;
    private readonly AspNetCoreMetrics _metrics;

    public ZeroCopyTransportFactory(IOptions<ZeroCopyTransportOptions> options, AspNetCoreMetrics metrics)
    {
        _options = options.Value.Snapshot();
        _metrics = metrics;
    }

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint or UnixDomainSocketEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<IConnectionListener>(ZeroCopyConnectionListener.Bind(endpoint, _options, _metrics));
    }
}
