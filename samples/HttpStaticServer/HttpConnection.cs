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
/// request allocates nothing on an open-file cache hit. Deadlines are not timers of its own: the
/// connection records its phase and when it began, and the server's sweeper cancels it when the
/// phase's limit has passed.
/// </summary>
internal sealed class HttpConnection : IDisposable
{
    // The largest request head accepted; a longer one is 431 and the connection is closed.
    private const int HeadBufferSize = 8 * 1024;
    private const int ResponseHeadSize = 1024;

    private readonly StaticFileServer _server;
    private readonly Socket _socket;
    private readonly CancellationToken _stopping;

    // Cancelled by the sweeper when a deadline passes, and by the server stopping.
    private readonly CancellationTokenSource _cancel;

    // (phase start in Environment.TickCount64 ms << 3) | phase, written in one store so the sweeper
    // never pairs a new phase with an old start.
    private long _state;

    // The sweeper's own view of a send's progress (only the sweeper writes these).
    private long _sweptState;
    private long _sweptProgress;
    private long _progressAt;

    private int _expiredPhase;
    private ZeroCopySocket? _zc;

    public HttpConnection(StaticFileServer server, Socket socket, CancellationToken stopping)
    {
        _server = server;
        _socket = socket;
        _stopping = stopping;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    private enum Phase
    {
        None = 0,

        // Keep-alive: no byte of the next request yet (KeepAliveTimeout).
        AwaitingRequest = 1,

        // Between the first byte of a request (or the accept) and the end of its head (RequestHeadTimeout).
        ReadingHead = 2,

        // A response is being sent (SendTimeout without progress).
        Sending = 3,
    }

    public async Task RunAsync()
    {
        byte[] input = ArrayPool<byte>.Shared.Rent(HeadBufferSize);
        byte[] head = ArrayPool<byte>.Shared.Rent(ResponseHeadSize);
        bool closeGracefully = false;
        int filled = 0;
        var zc = new ZeroCopySocket(_socket);
        Volatile.Write(ref _zc, zc);
        try
        {
            // A connection's first request has RequestHeadTimeout from the accept (nginx counts
            // client_header_timeout from the accept too): a connection that never speaks is closed.
            SetPhase(Phase.ReadingHead);
            while (true)
            {
                int skip = HttpRequestParser.LeadingEmptyLines(input.AsSpan(0, filled));
                if (skip > 0)
                {
                    Buffer.BlockCopy(input, skip, input, 0, filled - skip);
                    filled -= skip;
                }

                int end = filled == 0 ? -1 : HttpRequestParser.FindHeadEnd(input.AsSpan(0, filled));
                if (end < 0)
                {
                    if (filled == HeadBufferSize)
                    {
                        SetPhase(Phase.Sending);
                        await SendErrorAsync(zc, head, 431, "Request Header Fields Too Large", keepAlive: false, minorVersion: 1).ConfigureAwait(false);
                        closeGracefully = true;
                        return;
                    }

                    int n = await _socket.ReceiveAsync(input.AsMemory(filled, HeadBufferSize - filled), SocketFlags.None, _cancel.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    if (CurrentPhase == Phase.AwaitingRequest)
                    {
                        // The first byte of the next request starts its head deadline; later bytes do
                        // not move it, so a client dripping a byte at a time still runs out of time.
                        SetPhase(Phase.ReadingHead);
                    }

                    filled += n;
                    continue;
                }

                SetPhase(Phase.Sending);
                bool keepAlive = await RespondAsync(zc, input, end, head).ConfigureAwait(false);
                if (!keepAlive)
                {
                    closeGracefully = true;
                    return;
                }

                // Keep any pipelined bytes that followed this head.
                Buffer.BlockCopy(input, end, input, 0, filled - end);
                filled -= end;
                SetPhase(filled > 0 ? Phase.ReadingHead : Phase.AwaitingRequest);
            }
        }
        catch (OperationCanceledException) when (filled > 0 && Volatile.Read(ref _expiredPhase) == (int)Phase.ReadingHead && !_stopping.IsCancellationRequested)
        {
            // Part of a head, and it did not arrive in time: say so (nginx logs 408), then close.
            // A connection that sent nothing at all is just closed, as nginx does.
            closeGracefully = await TrySendRequestTimeoutAsync(zc, head).ConfigureAwait(false);
        }
        catch (Exception e) when (EndsTheConnection(e))
        {
            // Keep-alive or send timeout, server stopping, or the client went away: just close.
        }
        finally
        {
            SetPhase(Phase.None);
            if (closeGracefully)
            {
                await LingerAsync(input).ConfigureAwait(false);
            }

            await zc.DisposeAsync().ConfigureAwait(false);
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    /// <summary>Called by the server's sweeper: cancels the connection when its phase's deadline has passed.</summary>
    public void Sweep(long now)
    {
        long state = Volatile.Read(ref _state);
        var phase = (Phase)(state & 7);
        long started = state >> 3;
        long limit;
        switch (phase)
        {
            case Phase.AwaitingRequest:
                limit = (long)_server.Limits.KeepAliveTimeout.TotalMilliseconds;
                break;
            case Phase.ReadingHead:
                limit = (long)_server.Limits.RequestHeadTimeout.TotalMilliseconds;
                break;
            case Phase.Sending:
                // Progress is what the kernel took (the library counts it per syscall); the clock
                // restarts whenever it moves, like nginx's send_timeout between two writes.
                long progress = SentBytes();
                if (state != _sweptState || progress != _sweptProgress)
                {
                    // A new response, or bytes moved since the last sweep: the clock restarts.
                    _sweptState = state;
                    _sweptProgress = progress;
                    _progressAt = now;
                }

                started = _progressAt;
                limit = (long)_server.Limits.SendTimeout.TotalMilliseconds;
                break;
            default:
                return;
        }

        if (now - started >= limit)
        {
            Volatile.Write(ref _expiredPhase, (int)phase);
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The connection ended meanwhile.
            }
        }
    }

    /// <summary>Server stopping: ends whatever the connection waits for.</summary>
    public void Abort()
    {
        try
        {
            _socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _cancel.Dispose();
    }

    // A timeout or the server stopping (cancellation), the client gone (socket errors), or the
    // socket closed under the send: each ends this connection and nothing else.
    private static bool EndsTheConnection(Exception e) => e is OperationCanceledException or SocketException or ObjectDisposedException or IOException;

    private Phase CurrentPhase => (Phase)(Volatile.Read(ref _state) & 7);

    private void SetPhase(Phase phase) => Volatile.Write(ref _state, (Environment.TickCount64 << 3) | (long)phase);

    private long SentBytes()
    {
        ZeroCopyStatistics? statistics = Volatile.Read(ref _zc)?.Statistics;
        return statistics is null ? 0 : statistics.KernelSendFileBytes + statistics.VectoredSendBytes + statistics.PortableCopiedBytes;
    }

    private async ValueTask<bool> TrySendRequestTimeoutAsync(ZeroCopySocket zc, byte[] head)
    {
        // The connection's token is spent; a fresh bound for this one small response.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        deadline.CancelAfter(_server.Limits.LingerTimeout);
        try
        {
            int length = WriteError(head, 408, "Request Timeout", keepAlive: false, minorVersion: 1, default, headOnly: false);
            await zc.SendWithHeadersAsync(head.AsMemory(0, length), SendBody.None, cancellationToken: deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (EndsTheConnection(e))
        {
            return false;
        }
    }

    /// <summary>
    /// Closes the way nginx's lingering_close does: half-close (the FIN follows the response), then
    /// read and discard what the client still sends until it closes or <see cref="ServerLimits.LingerTimeout"/>
    /// passes. Closing a socket with unread bytes sends an RST, and an RST can make the client's
    /// kernel drop the response it has not read yet (a 431 for a 100 KB head would never be seen).
    /// </summary>
    private async Task LingerAsync(byte[] buffer)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        deadline.CancelAfter(_server.Limits.LingerTimeout);
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (EndsTheConnection(e))
        {
            // The client reset, or kept sending past the linger time: close anyway.
        }
    }

    /// <summary>Answers one request; returns whether the connection stays open.</summary>
    private ValueTask<bool> RespondAsync(ZeroCopySocket zc, byte[] input, int headLength, byte[] head)
    {
        ReadOnlySpan<byte> headBytes = input.AsSpan(0, headLength);
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

    private async ValueTask<bool> SendAndReleaseAsync(ZeroCopySocket zc, byte[] head, int headLength, CachedFile file, SendBody body, bool keepAlive)
    {
        try
        {
            await zc.SendWithHeadersAsync(head.AsMemory(0, headLength), body, cancellationToken: _cancel.Token).ConfigureAwait(false);
            return keepAlive;
        }
        finally
        {
            OpenFileCache.Release(file);
        }
    }

    private ValueTask<bool> SendErrorAsync(ZeroCopySocket zc, byte[] head, int status, string reason, bool keepAlive, int minorVersion, ReadOnlySpan<byte> extraHeaders = default, bool headOnly = false)
    {
        int length = WriteError(head, status, reason, keepAlive, minorVersion, extraHeaders, headOnly);
        return SendHeadAsync(zc, head, length, keepAlive);
    }

    private async ValueTask<bool> SendHeadAsync(ZeroCopySocket zc, byte[] head, int length, bool keepAlive)
    {
        await zc.SendWithHeadersAsync(head.AsMemory(0, length), SendBody.None, cancellationToken: _cancel.Token).ConfigureAwait(false);
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

    // RFC 9110 13.1.3: a date later than the server's clock is invalid, and an invalid
    // If-Modified-Since is ignored (a client's clock ahead of ours must not get a 304 for a file
    // changed after our "now").
    private static bool NotModified(ReadOnlySpan<byte> ifModifiedSince, DateTimeOffset lastModified)
        => !ifModifiedSince.IsEmpty
            && Utf8Parser.TryParse(ifModifiedSince, out DateTimeOffset since, out int consumed, 'R')
            && consumed == ifModifiedSince.Length
            && since <= DateTimeOffset.UtcNow
            && lastModified <= since;
}
