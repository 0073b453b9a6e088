using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ZeroCopy.Net.AspNetCore.Internal;

/// <summary>
/// Puts the send-file middleware first in the application's pipeline, before anything the app adds, so every
/// <see cref="IHttpResponseBodyFeature"/> a later middleware wraps (compression, caching) wraps the transport's.
/// </summary>
internal sealed class SendFileStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static next => context => InvokeAsync(context, next));
        next(app);
    };

    private static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ZeroCopyConnection? connection = context.Features.Get<ZeroCopyConnection>();
        IHttpResponseBodyFeature? inner = context.Features.Get<IHttpResponseBodyFeature>();
        if (connection is null || !connection.SendFileEnabled || inner is null)
        {
            return next(context);
        }

        return WrapAsync(context, next, connection, inner);
    }

    private static async Task WrapAsync(HttpContext context, RequestDelegate next, ZeroCopyConnection connection, IHttpResponseBodyFeature inner)
    {
        var feature = new ZeroCopyResponseBodyFeature(inner, context, connection);
        context.Features.Set<IHttpResponseBodyFeature>(feature);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Features.Set(inner);
        }

        // A compression middleware sends files through its own stream (SendFileFallback), never reaching
        // SendFileAsync here: count the response it re-encoded, when it would otherwise have qualified.
        if (!feature.SendFileCalled
            && context.Response.Headers.ContentEncoding.Count > 0
            && ZeroCopyResponseBodyFeature.ReasonBeforeFile(context, connection) is null or "response-started" or "no-content-length")
        {
            connection.Metrics.Fallback("compression");
        }
    }
}
