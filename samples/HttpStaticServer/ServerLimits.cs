using System;

namespace HttpStaticServer;

/// <summary>
/// What bounds a hostile or broken client: the time it may take to send a request head, to read a
/// response and to start its next request, and how many connections it may hold. The defaults are
/// nginx's (client_header_timeout, send_timeout, worker_connections) except the keep-alive timeout.
/// </summary>
public sealed class ServerLimits
{
    /// <summary>
    /// Idle time after which a keep-alive connection that has not started its next request is
    /// closed (nginx keepalive_timeout; 30 s here).
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The whole request head must arrive within this time of its first byte (of the accept, for a
    /// connection's first request), however the bytes trickle in; then 408 and the connection is
    /// closed. nginx client_header_timeout: 60 s.
    /// </summary>
    public TimeSpan RequestHeadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A response that makes no progress (no byte taken by the kernel) for this long is abandoned
    /// and the connection closed: a client that stops reading cannot hold a connection forever.
    /// nginx send_timeout: 60 s.
    /// </summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a closing connection reads and discards what the client still sends after the last
    /// response (nginx lingering_close): closing with unread bytes makes the kernel send an RST,
    /// which can destroy the response (a 431, a 400) before the client reads it. 5 s.
    /// </summary>
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most connections open at once (nginx worker_connections: 1024). At the cap the server stops
    /// accepting; further clients wait in the listen backlog until a connection closes.
    /// </summary>
    public int MaxConnections { get; init; } = 1024;

}
