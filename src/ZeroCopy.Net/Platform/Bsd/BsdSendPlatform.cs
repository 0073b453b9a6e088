using ZeroCopy.Net.Platform.Portable;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>
/// FreeBSD and macOS. Today: the portable copying path, reported honestly (<see cref="ZeroCopyCapabilities.None"/>).
/// </summary>
/// <remarks>
/// The kernel path to add here is sendfile(2) in its BSD form, <c>sendfile(fd, s, offset, nbytes, sf_hdtr*, off_t* sbytes, flags)</c>
/// (the macOS form differs: <c>sendfile(fd, s, offset, off_t* len, sf_hdtr*, flags)</c>), with
/// <c>struct sf_hdtr</c> carrying header and trailer iovecs and TCP_NOPUSH as the cork, and kqueue
/// (EVFILT_WRITE) in place of epoll. Its imports go under Interop/Bsd, verified against the BSD headers.
/// It cannot be tested on the Linux CI, so it is not shipped untested.
/// </remarks>
internal sealed class BsdSendPlatform : PortableSendPlatform
{
    public BsdSendPlatform()
        : base("BSD sendfile with sf_hdtr is not implemented yet; this OS uses the portable copying path")
    {
    }

    public override string Name => "bsd-portable";
}
