namespace ZeroCopy.Net.Internal;

/// <summary>How the tail of a coalesced send is pushed past Nagle's algorithm (docs/design.md, "Pushing the tail").</summary>
internal enum TailPushMode
{
    /// <summary>Set TCP_NODELAY once per socket, on its first SendWithHeadersAsync, and leave it (the default; nginx's choice).</summary>
    NoDelayOnce,

    /// <summary>Set TCP_NODELAY (which pushes pending data) and clear it again at the end of every send: keeps the user's Nagle setting, two syscalls per response.</summary>
    TogglePerSend,

    /// <summary>Do nothing: cork/MSG_MORE alone. Only for the benchmark, which shows the stall it leaves.</summary>
    None,
}

/// <summary>
/// Process-wide knobs of the header send, with the measured defaults. Internal: the benchmark
/// (bench/ZeroCopy.Net.Bench.Headers) flips them to compare the alternatives in one run; the
/// library never changes them.
/// </summary>
internal static class HeaderSendTuning
{
    /// <summary>File bodies of at most this many bytes are read into a pooled buffer and sent in the headers' sendmsg.</summary>
    public static int SmallFileThreshold = 16 * 1024;

    /// <summary>Set TCP_CORK for every file body, not only when trailers follow it.</summary>
    public static bool AlwaysCork;

    /// <summary>How the tail is pushed.</summary>
    public static TailPushMode TailPush = TailPushMode.NoDelayOnce;
}
