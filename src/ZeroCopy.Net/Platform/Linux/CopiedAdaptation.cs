namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// The COPIED adaptation both engines apply to their zero-copy completions (the error queue's
/// SO_EE_CODE_ZEROCOPY_COPIED, io_uring's IORING_NOTIF_USAGE_ZC_COPIED): after
/// <see cref="ZeroCopySocketOptions.CopiedCompletionsBeforeFallback"/> completions in a row say the
/// kernel copied anyway (loopback, a device without scatter-gather), the notification round trip buys
/// nothing and the socket switches to plain sends. One completion that was not copied resets the count.
/// </summary>
/// <remarks>A mutable struct: keep it in a field and call it there, under whatever serialises the caller's completions.</remarks>
internal struct CopiedAdaptation
{
    private readonly int _limit;
    private int _streak;

    /// <param name="limit">Completions in a row that must say COPIED; 0 never switches.</param>
    public CopiedAdaptation(int limit)
    {
        _limit = limit;
        _streak = 0;
    }

    /// <summary>Counts one completion; true when this one completes a streak of <c>limit</c> COPIED completions.</summary>
    public bool ShouldSwitchToCopies(bool copied)
    {
        if (!copied)
        {
            _streak = 0;
            return false;
        }

        return ++_streak >= _limit && _limit > 0;
    }
}
