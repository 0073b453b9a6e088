using System;
using System.Buffers;
using System.Buffers.Text;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net;

namespace HttpStaticServer;

/// <summary>
/// One client connection: read a request head, answer it, repeat while keep-alive holds. Pipelined
/// requests already in the buffer are answered in order. Buffers are pooled per connection; a
/// request allocates nothing on an open-file cache hit.
/// </summary>
internal sealed class HttpConnection
{
    // The largest request head accepted; a longer one is 431 and the connection is closed.
    private const int HeadBufferSize = 8 * 1024;
    private const int ResponseHeadSize = 1024;

    private readonly StaticFileServer _server;
    private readonly Socket _socket;

    public HttpConnection(StaticFileServer server, Socket socket)
    {
        _server = server;
        _socket = socket;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        byte[] input = ArrayPool<byte>.Shared.Rent(HeadBufferSize);
        byte[] head = ArrayPool<byte>.Shared.Rent(ResponseHeadSize);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        await using var zc = new ZeroCopySocket(_socket);
        try
        {
            int filled = 0;
            while (true)
            {
                int end = HttpRequestParser.FindHeadEnd(input.AsSpan(0, filled));
                if (end < 0)
                {
                    if (filled == HeadBufferSize)
                    {
                        await SendErrorAsync(zc, head, 431, "Request Header Fields Too Large", keepAlive: false, minorVersion: 1).ConfigureAwait(false);
                        return;
                    }

                    idle.CancelAfter(_server.KeepAliveTimeout);
                    int n = await _socket.ReceiveAsync(input.AsMemory(filled, HeadBufferSize - filled), SocketFlags.None, idle.Token).ConfigureAwait(false);

                    // The idle clock runs only while waiting for a request, not while a long response is sent.
                    idle.CancelAfter(Timeout.Infinite);
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                    continue;
                }

                bool keepAlive = await RespondAsync(zc, input, end, head).ConfigureAwait(false);
                if (!keepAlive)
                {
                    return;
                }

                // Keep any pipelined bytes that followed this head.
                Buffer.BlockCopy(input, end, input, 0, filled - end);
                filled -= end;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // Idle timeout, server stopping, or the client went away: just close.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    /// <summary>Answers one request; returns whether the connection stays open.</summary>
    private ValueTask<bool> RespondAsync(ZeroCopySocket zc, byte[] input, int headLength, byte[] head)
    {
        ReadOnlySpan<byte> headBytes = input.AsSpan(0, headLength);

        // RFC 9112 2.2: ignore empty lines before the request line.
        while (headBytes.StartsWith("\r\n"u8))
        {
            headBytes = headBytes.Slice(2);
        }

        ParseStatus status = HttpRequestParser.Parse(headBytes, out HttpRequest request);
        if (status == ParseStatus.BadRequest)
        {
            return SendErrorAsync(zc, head, 400, "Bad Request", keepAlive: false, minorVersion: 1);
        }

        if (status == ParseStatus.VersionNotSupported)
        {
            return SendErrorAsync(zc, head, 505, "HTTP Version Not Supported", keepAlive: false, minorVersion: 1);
        }

        bool keepAlive = request.KeepAlive;
        if (request.Method == HttpMethod.Other)
        {
            return SendErrorAsync(zc, head, 405, "Method Not Allowed", keepAlive, request.MinorVersion, "Allow: GET, HEAD\r\n"u8);
        }

        Span<char> path = stackalloc char[SafePath.MaxTargetLength];
        if (!SafePath.TryDecode(request.Target, path, out int pathLength))
        {
            return SendErrorAsync(zc, head, 400, "Bad Request", keepAlive: false, request.MinorVersion);
        }

        CachedFile? file = _server.Files.Acquire(path.Slice(0, pathLength));
        if (file is null)
        {
            return SendErrorAsync(zc, head, 404, "Not Found", keepAlive, request.MinorVersion, headOnly: request.Method == HttpMethod.Head);
        }

        try
        {
            if (NotModified(request.IfModifiedSince, file.LastModified))
            {
                var notModified = new ResponseHead(head);
                notModified.Append("HTTP/1.1 304 Not Modified\r\n"u8);
                notModified.Append(file.LastModifiedLine.AsSpan(0, file.LastModifiedLineLength));
                notModified.End(keepAlive, request.MinorVersion);
                return SendAndReleaseAsync(zc, head, notModified.Length, file, SendBody.None, keepAlive);
            }

            long offset = 0;
            long count = file.Length;
            bool? range = HttpRequestParser.TryParseRange(request.Range, file.Length, out long rangeOffset, out long rangeCount, out bool unsatisfiable);
            var response = new ResponseHead(head);
            if (range == false && unsatisfiable)
            {
                response.Append("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */"u8);
                response.Append(file.Length);
                response.Append("\r\nContent-Length: 0\r\n"u8);
                response.End(keepAlive, request.MinorVersion);
                return SendAndReleaseAsync(zc, head, response.Length, file, SendBody.None, keepAlive);
            }

            if (range == true)
            {
                offset = rangeOffset;
                count = rangeCount;
                response.Append("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "u8);
                response.Append(offset);
                response.Append("-"u8);
                response.Append(offset + count - 1);
                response.Append("/"u8);
                response.Append(file.Length);
                response.Append("\r\n"u8);
            }
            else
            {
                response.Append("HTTP/1.1 200 OK\r\n"u8);
            }

            response.Header("Content-Length: "u8, count);
            response.Append(file.ContentTypeLine);
            response.Append(file.LastModifiedLine.AsSpan(0, file.LastModifiedLineLength));
            response.Append("Accept-Ranges: bytes\r\n"u8);
            response.End(keepAlive, request.MinorVersion);
            SendBody body = request.Method == HttpMethod.Head ? SendBody.None : SendBody.FromFile(file.Handle, offset, count);
            return SendAndReleaseAsync(zc, head, response.Length, file, body, keepAlive);
        }
        catch
        {
            OpenFileCache.Release(file);
            throw;
        }
    }

    private static async ValueTask<bool> SendAndReleaseAsync(ZeroCopySocket zc, byte[] head, int headLength, CachedFile file, SendBody body, bool keepAlive)
    {
        try
        {
            await zc.SendWithHeadersAsync(head.AsMemory(0, headLength), body).ConfigureAwait(false);
            return keepAlive;
        }
        finally
        {
            OpenFileCache.Release(file);
        }
    }

    private static ValueTask<bool> SendErrorAsync(ZeroCopySocket zc, byte[] head, int status, string reason, bool keepAlive, int minorVersion, ReadOnlySpan<byte> extraHeaders = default, bool headOnly = false)
    {
        int length = WriteError(head, status, reason, keepAlive, minorVersion, extraHeaders, headOnly);
        return SendHeadAsync(zc, head, length, keepAlive);
    }

    private static async ValueTask<bool> SendHeadAsync(ZeroCopySocket zc, byte[] head, int length, bool keepAlive)
    {
        await zc.SendWithHeadersAsync(head.AsMemory(0, length), SendBody.None).ConfigureAwait(false);
        return keepAlive;
    }

    private static int WriteError(byte[] head, int status, string reason, bool keepAlive, int minorVersion, ReadOnlySpan<byte> extraHeaders, bool headOnly)
    {
        // The body is "<status> <reason>\n"; both are ASCII.
        var response = new ResponseHead(head);
        response.Append("HTTP/1.1 "u8);
        response.Append(status);
        Span<byte> reasonBytes = stackalloc byte[reason.Length];
        for (int i = 0; i < reason.Length; i++)
        {
            reasonBytes[i] = (byte)reason[i];
        }

        response.Append(" "u8);
        response.Append(reasonBytes);
        response.Append("\r\nContent-Type: text/plain; charset=utf-8\r\n"u8);
        response.Header("Content-Length: "u8, 3 + 1 + reason.Length + 1);
        response.Append(extraHeaders);
        response.End(keepAlive, minorVersion);
        if (headOnly)
        {
            return response.Length;
        }

        response.Append(status);
        response.Append(" "u8);
        response.Append(reasonBytes);
        response.Append("\n"u8);
        return response.Length;
    }

    private static bool NotModified(ReadOnlySpan<byte> ifModifiedSince, DateTimeOffset lastModified)
        => !ifModifiedSince.IsEmpty
            && Utf8Parser.TryParse(ifModifiedSince, out DateTimeOffset since, out int consumed, 'R')
            && consumed == ifModifiedSince.Length
            && lastModified <= since;
}
