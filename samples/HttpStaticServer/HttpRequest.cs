using System;

namespace HttpStaticServer;

/// <summary>The request methods this server answers.</summary>
public enum HttpMethod
{
    /// <summary>Any other token: answered with 405.</summary>
    Other,

    /// <summary>GET.</summary>
    Get,

    /// <summary>HEAD.</summary>
    Head,
}

/// <summary>Why a request head could not be used.</summary>
public enum ParseStatus
{
    /// <summary>Well formed.</summary>
    Ok,

    /// <summary>Malformed: answered with 400 and the connection is closed.</summary>
    BadRequest,

    /// <summary>Not HTTP/1.0 or HTTP/1.1: 505.</summary>
    VersionNotSupported,
}

/// <summary>
/// One parsed request head. A ref struct of spans into the connection's receive buffer: parsing
/// allocates nothing, and nothing outlives the buffer.
/// </summary>
public ref struct HttpRequest
{
    /// <summary>The method.</summary>
    public HttpMethod Method { get; set; }

    /// <summary>The request target, raw (still percent-encoded, query included).</summary>
    public ReadOnlySpan<byte> Target { get; set; }

    /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
    public int MinorVersion { get; set; }

    /// <summary>A Connection header asked for close.</summary>
    public bool ConnectionClose { get; set; }

    /// <summary>A Connection header asked for keep-alive.</summary>
    public bool ConnectionKeepAlive { get; set; }

    /// <summary>A Host header was present.</summary>
    public bool HasHost { get; set; }

    /// <summary>The Range header's value, or empty.</summary>
    public ReadOnlySpan<byte> Range { get; set; }

    /// <summary>A Content-Length header was present (a second one is 400).</summary>
    public bool HasContentLength { get; set; }

    /// <summary>The If-Modified-Since header's value, or empty.</summary>
    public ReadOnlySpan<byte> IfModifiedSince { get; set; }

    /// <summary>True when the client keeps the connection open after this response.</summary>
    public readonly bool KeepAlive => MinorVersion == 1 ? !ConnectionClose : ConnectionKeepAlive && !ConnectionClose;
}
