using System;

namespace HttpStaticServer;

/// <summary>
/// Turns on the runtime's inline socket completions for this process unless the environment
/// already decides. By default a socket operation that completes on the runtime's epoll thread
/// queues its continuation to the thread pool: one hop (a queue, a wake-up, a context switch) per
/// receive. Inline, the continuation (this server's request handling and the response's send) runs
/// on the epoll thread itself. The cost: while it runs, that thread handles no other socket's
/// events, so anything slow in it (a cache-miss open and stat of a file, a small body's pread from
/// a cold page cache) delays every connection the thread serves; code that blocks would stall them.
/// This server does not block on the network and its file work is short, which is the case the
/// setting suits. docs/http-static-server.md has the measurements and the trade-off.
/// </summary>
public static class InlineCompletions
{
    /// <summary>The runtime's switch (read once, when the first asynchronous socket operation starts).</summary>
    public const string EnvironmentVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Sets <see cref="EnvironmentVariable"/> to 1 unless it is already set; returns whether inline
    /// completions are on. Call it before the process's first asynchronous socket operation.
    /// </summary>
    public static bool EnableUnlessConfigured()
    {
        string? current = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (current is null)
        {
            Environment.SetEnvironmentVariable(EnvironmentVariable, "1");
            return true;
        }

        return current == "1";
    }
}
