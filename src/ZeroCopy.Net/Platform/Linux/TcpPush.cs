using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// TCP_NODELAY, TCP_CORK and the tail push for one socket: what makes a coalesced response leave
/// as full segments and its last one leave at once.
/// </summary>
/// <remarks>
/// MSG_MORE on a send (<see cref="VectoredWriter"/>) and TCP_CORK around sendfile(2) hold partial
/// segments back; once the last byte is handed over, nothing may stay held back for Nagle or the
/// cork. The default (<see cref="TailPushMode.NoDelayOnce"/>) sets TCP_NODELAY on the socket's
/// first header send and leaves it, so every later push is free; a failed send re-asserts it,
/// which makes the kernel push pending frames (tcp_push_pending_frames), and never leaves the
/// socket corked. docs/design.md has the measurements behind the choice.
/// </remarks>
internal sealed class TcpPush
{
    private readonly int _fd;
    private readonly HeaderSendTuning _tuning;
    private readonly bool _isTcp;
    private bool _noDelaySet;

    /// <param name="fd">The socket's descriptor.</param>
    /// <param name="tuning">The socket's knobs.</param>
    /// <param name="isTcp">False for a Unix-domain stream: it has no Nagle and no cork (setsockopt
    /// says EOPNOTSUPP), sends every byte at once, and every option here is then a no-op.</param>
    public TcpPush(int fd, HeaderSendTuning tuning, bool isTcp)
    {
        _fd = fd;
        _tuning = tuning;
        _isTcp = isTcp;
    }

    /// <summary>The knobs this socket runs with.</summary>
    public HeaderSendTuning Tuning => _tuning;

    /// <summary>The first header send on a socket sets TCP_NODELAY and leaves it (see <see cref="TailPushMode"/>).</summary>
    public void SetNoDelayOnce()
    {
        if (_tuning.TailPush == TailPushMode.NoDelayOnce && !_noDelaySet)
        {
            Set(TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)");
            _noDelaySet = true;
        }
    }

    /// <summary>Makes sure nothing is left waiting for Nagle or MSG_MORE once the last byte is handed over.</summary>
    public void PushTail()
    {
        if (_tuning.TailPush == TailPushMode.TogglePerSend)
        {
            // Setting TCP_NODELAY pushes pending frames at once; clearing it again restores Nagle
            // for the application's own sends.
            Set(TCP_NODELAY, 1, "setsockopt(TCP_NODELAY, 1)");
            Set(TCP_NODELAY, 0, "setsockopt(TCP_NODELAY, 0)");
        }
    }

    /// <summary>Holds every partial segment until <see cref="Uncork"/> (a file body with trailers).</summary>
    public void Cork() => Set(TCP_CORK, 1, "setsockopt(TCP_CORK, 1)");

    /// <summary>Releases the cork: the kernel sends what it held.</summary>
    public void Uncork() => Set(TCP_CORK, 0, "setsockopt(TCP_CORK, 0)");

    /// <summary>
    /// On a failed or cancelled send: never leave the socket corked, nor bytes held back by
    /// MSG_MORE. The caller will most likely close the connection, and the peer should get what was
    /// sent before the failure. Best effort: the socket may already be gone. Never throws.
    /// </summary>
    public void PushAfterFailure(bool corked)
    {
        if (corked)
        {
            _ = TrySet(TCP_CORK, 0);
        }

        _ = TrySet(TCP_NODELAY, 1);
        if (_tuning.TailPush == TailPushMode.TogglePerSend)
        {
            _ = TrySet(TCP_NODELAY, 0);
        }
    }

    private void Set(int option, int value, string operation)
    {
        Errno errno = TrySet(option, value);
        if (errno != Errno.SUCCESS)
        {
            throw PosixErrors.Socket(errno, operation);
        }
    }

    private unsafe Errno TrySet(int option, int value)
        => !_isTcp || setsockopt(_fd, IPPROTO_TCP, option, &value, sizeof(int)) == 0 ? Errno.SUCCESS : GetLastErrno();
}
