using System;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ZeroCopy.Net.AspNetCore.Internal;

namespace ZeroCopy.Net.AspNetCore;

/// <summary>Puts Kestrel on the ZeroCopy.Net transport.</summary>
public static class ZeroCopyWebHostBuilderExtensions
{
    /// <summary>
    /// The name of the package's <see cref="System.Diagnostics.Metrics.Meter"/> ("ZeroCopy.Net.AspNetCore"), created through
    /// the host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>: <c>zerocopy.aspnetcore.sendfile.responses</c>,
    /// <c>zerocopy.aspnetcore.sendfile.bytes</c> and <c>zerocopy.aspnetcore.fallbacks{reason}</c>. See docs/aspnetcore.md.
    /// </summary>
    public const string MeterName = "ZeroCopy.Net.AspNetCore";

    /// <summary>
    /// Serves Kestrel's IP and Unix domain socket endpoints with the ZeroCopy.Net transport, with the default options:
    /// <c>builder.WebHost.UseZeroCopy();</c>. See <see cref="UseZeroCopy(IWebHostBuilder, Action{ZeroCopyTransportOptions}?)"/>.
    /// </summary>
    /// <param name="builder">The web host builder (<c>WebApplicationBuilder.WebHost</c>).</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IWebHostBuilder UseZeroCopy(this IWebHostBuilder builder) => UseZeroCopy(builder, null);

    /// <summary>
    /// Serves Kestrel's IP and Unix domain socket endpoints with the ZeroCopy.Net transport: connections are accepted and
    /// received as by Kestrel's socket transport, responses are sent through <see cref="ZeroCopySocket"/>, and
    /// <c>SendFileAsync</c> (UseStaticFiles, Results.File, Response.SendFileAsync) on plaintext HTTP/1.x responses whose
    /// body is exactly the file range sends the file with sendfile(2). Everything else (TLS, HTTP/2, compression, a body
    /// already started) goes through Kestrel's own path, counted in the <see cref="MeterName"/> meter.
    /// </summary>
    /// <param name="builder">The web host builder (<c>WebApplicationBuilder.WebHost</c>).</param>
    /// <param name="configure">Sets <see cref="ZeroCopyTransportOptions"/>, or <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IWebHostBuilder UseZeroCopy(this IWebHostBuilder builder, Action<ZeroCopyTransportOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigureServices(services =>
        {
            services.AddMetrics();
            services.AddOptions<ZeroCopyTransportOptions>();
            if (configure is not null)
            {
                services.Configure(configure);
            }

            services.TryAddSingleton<AspNetCoreMetrics>();

            // Kestrel asks its transports from the last registered: this one binds what it can, the socket transport the rest.
            services.AddSingleton<IConnectionListenerFactory, ZeroCopyTransportFactory>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, SendFileStartupFilter>());
        });
    }
}
