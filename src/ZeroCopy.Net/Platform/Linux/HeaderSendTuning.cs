namespace ZeroCopy.Net.Platform.Linux;

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
/// The knobs of the Linux header send, immutable, with the measured defaults. Each socket takes
/// its own from its options (an internal option): the header benchmark
/// (bench/ZeroCopy.Net.Bench.Headers) gives each contender's sockets their own to compare the
/// alternatives in one process; the library never changes them.
/// </summary>
internal sealed class HeaderSendTuning
{
    /// <summary>The measured defaults.</summary>
    public static readonly HeaderSendTuning Default = new();

    /// <summary>The defaults with <see cref="ZeroCopySocketOptions.KeepNagle"/>: the tail is pushed per send and Nagle stays on.</summary>
    public static readonly HeaderSendTuning KeepNagle = new() { TailPush = TailPushMode.TogglePerSend };

    /// <summary>File bodies of at most this many bytes are read into a pooled buffer and sent in one send(2) with the headers.</summary>
    public int SmallFileThreshold { get; init; } = 16 * 1024;

    /// <summary>Set TCP_CORK for every file body, not only when trailers follow it.</summary>
    public bool AlwaysCork { get; init; }

    /// <summary>How the tail is pushed.</summary>
    public TailPushMode TailPush { get; init; } = TailPushMode.NoDelayOnce;
}
