using System;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.AspNetCore.Internal;

/// <summary>
/// Kestrel's <see cref="IHttpResponseBodyFeature"/> with a real <see cref="SendFileAsync"/>: on a response that
/// qualifies, the file range goes out with sendfile(2) from the transport, and Kestrel is shown placeholder bytes so
/// that its Content-Length accounting stays true. Everything else is Kestrel's own feature, unchanged.
/// </summary>
/// <remarks>
/// The steps of a sendfile response (see docs/aspnetcore.md for why each is safe):
/// <list type="number">
/// <item>Checks that need no file: HTTP/1.x, this transport's own pipes (no TLS, no connection middleware), a
/// request without <c>Expect</c> (Kestrel writes "100 Continue" while the body is read), a response that has not
/// started, may have a body, has a Content-Length and no Transfer-Encoding, and holds no body bytes committed
/// before it started.</item>
/// <item>Opens the file and checks the range as Kestrel's SendFileFallback does; the Content-Length must equal it.</item>
/// <item><see cref="IHttpResponseBodyFeature.StartAsync"/>: Kestrel writes the response head into the transport's
/// output (unflushed).</item>
/// <item>The transport's output accepts the range only if what it holds ends with the head's CRLF CRLF.</item>
/// <item>N placeholder bytes are committed through Kestrel's response writer (GetMemory/Advance, never written, never
/// copied): Kestrel counts them against Content-Length and passes them to the transport, which swallows them.</item>
/// <item>A flush through Kestrel: the transport sends the head with MSG_MORE and the file with sendfile(2).</item>
/// </list>
/// A check that fails sends the file through Kestrel's own path, counted in zerocopy.aspnetcore.fallbacks by reason.
/// </remarks>
internal sealed class ZeroCopyResponseBodyFeature : IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private readonly HttpContext _context;
    private readonly ZeroCopyConnection _connection;

    public ZeroCopyResponseBodyFeature(IHttpResponseBodyFeature inner, HttpContext context, ZeroCopyConnection connection)
    {
        _inner = inner;
        _context = context;
        _connection = connection;
    }

    public bool SendFileCalled { get; private set; }

    public Stream Stream => _inner.Stream;

    public PipeWriter Writer => _inner.Writer;

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => _inner.StartAsync(cancellationToken);

    public Task CompleteAsync() => _inner.CompleteAsync();

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        SendFileCalled = true;
        string? reason = ReasonBeforeFile(_context, _connection);
        if (reason is not null)
        {
            return Fallback(reason, path, offset, count, cancellationToken);
        }

        return SendFileCoreAsync(path, offset, count, cancellationToken);
    }

    /// <summary>Why this response cannot take the sendfile path, judged without the file; <see langword="null"/> when it can.</summary>
    internal static string? ReasonBeforeFile(HttpContext context, ZeroCopyConnection connection)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol))
        {
            return HttpProtocol.IsHttp2(request.Protocol) ? "http2" : HttpProtocol.IsHttp3(request.Protocol) ? "http3" : "protocol";
        }

        if (request.IsHttps || context.Features.Get<ITlsConnectionFeature>() is not null)
        {
            return "tls";
        }

        if (!connection.OwnsTransport)
        {
            return "transport-wrapped";
        }

        if (response.HasStarted)
        {
            return "response-started";
        }

        // Body bytes committed through the response writer before the response started (GetMemory/Advance, no
        // flush) sit in Kestrel's leased memory and would follow the head: then the file is not the whole body.
        PipeWriter writer = response.BodyWriter;
        if (!writer.CanGetUnflushedBytes || writer.UnflushedBytes != 0)
        {
            return "body-buffered";
        }

        if (HttpMethods.IsHead(request.Method) || response.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent or StatusCodes.Status304NotModified)
        {
            return "no-body";
        }

        if (request.Headers.Expect.Count > 0)
        {
            return "expect-continue";
        }

        if (response.Headers.TransferEncoding.Count > 0)
        {
            return "chunked";
        }

        if (response.ContentLength is null)
        {
            return "no-content-length";
        }

        return null;
    }

    private async Task SendFileCoreAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        bool handedOver = false;
        try
        {
            // The same checks and exceptions as Kestrel's SendFileFallback.
            long length = RandomAccess.GetLength(file);
            if (offset < 0 || offset > length)
            {
                throw new ArgumentOutOfRangeException(nameof(offset), offset, string.Empty);
            }

            if (count is { } c && (c < 0 || c > length - offset))
            {
                throw new ArgumentOutOfRangeException(nameof(count), count, string.Empty);
            }

            long bodyLength = count ?? length - offset;
            if (bodyLength == 0)
            {
                // Nothing to send: Kestrel's path writes nothing either.
                await _inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (_context.Response.ContentLength != bodyLength)
            {
                await Fallback("content-length-mismatch", path, offset, count, cancellationToken).ConfigureAwait(false);
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();

            PipeWriter writer = _inner.Writer;
            // Kestrel writes the head into the transport's output (OnStarting callbacks run here, and may change it).
            await _inner.StartAsync(cancellationToken).ConfigureAwait(false);
            if (_context.Response.ContentLength != bodyLength || _context.Response.Headers.TransferEncoding.Count > 0)
            {
                await Fallback("content-length-mismatch", path, offset, count, cancellationToken).ConfigureAwait(false);
                return;
            }

            ZeroCopyOutputWriter output = _connection.Output;
            if (!output.TryBeginFile(file, offset, bodyLength))
            {
                await Fallback("output-busy", path, offset, count, cancellationToken).ConfigureAwait(false);
                return;
            }

            handedOver = true;
            _connection.Metrics.SentFile(bodyLength);
            PipeWriter body = writer;
            try
            {
                // Placeholders: committed through Kestrel (which counts them against Content-Length), never written.
                long left = bodyLength;
                while (left > 0)
                {
                    int chunk = (int)Math.Min(left, ZeroCopyOutputWriter.SinkLength);
                    _ = body.GetMemory(chunk);
                    body.Advance(chunk);
                    left -= chunk;
                }
            }
            catch (Exception ex)
            {
                // Kestrel refused part of the range: the output stream can no longer be completed correctly.
                output.AbandonFile();
                _connection.Abort(new ConnectionAbortedException("A sendfile response's placeholder write failed: " + ex.Message, ex));
                throw;
            }

            // The transport sends the head and, after it, the file.
            _ = await body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!handedOver)
            {
                file.Dispose();
            }
        }
    }

    private Task Fallback(string reason, string path, long offset, long? count, CancellationToken cancellationToken)
    {
        _connection.Metrics.Fallback(reason);
        return _inner.SendFileAsync(path, offset, count, cancellationToken);
    }
}
