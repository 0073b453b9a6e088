using System.Runtime.InteropServices;
using static ZeroCopy.Net.Interop.Bsd;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>
/// The one place that picks FreeBSD's or macOS's import of each call (they live in different
/// libraries, and sendfile and struct kevent differ), so the sender and the reactor read the same on both.
/// </summary>
internal static unsafe class BsdLibc
{
    /// <summary>True on macOS, false on FreeBSD. Decided once per process.</summary>
    public static readonly bool IsMacOS = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

    /// <summary>Size of one struct kevent in this OS's ABI (macOS 32, FreeBSD 12+ 64).</summary>
    public static readonly int KeventSize = IsMacOS ? sizeof(kevent_macos) : sizeof(kevent_freebsd);

    /// <summary>
    /// One sendfile(2) in this OS's form. <paramref name="fileBytes"/> &gt; 0 (0 would mean "to end of
    /// file" on both). Returns the bytes sent (headers, file and trailers together), which is
    /// meaningful also when it fails with EAGAIN or EINTR; <paramref name="errno"/> is SUCCESS when it did not fail.
    /// </summary>
    public static long Sendfile(int fileFd, int socketFd, long offset, long fileBytes, sf_hdtr* hdtr, long headerBytes, out Errno errno)
    {
        long sent;
        int rc;
        if (IsMacOS)
        {
            // macOS: *len counts the header bytes too (not the trailers, which are always sent whole).
            sent = headerBytes + fileBytes;
            rc = MacOS.sendfile(fileFd, socketFd, offset, &sent, hdtr, 0);
        }
        else
        {
            sent = 0;
            rc = FreeBsd.sendfile(fileFd, socketFd, offset, (nuint)fileBytes, hdtr, &sent, 0);
        }

        errno = rc == 0 ? Errno.SUCCESS : GetLastErrno();
        return sent;
    }

    /// <summary>writev(2). Returns the bytes written, or -1 with <paramref name="errno"/>.</summary>
    public static long Writev(int fd, iovec* iov, int count, out Errno errno)
    {
        nint n = IsMacOS ? MacOS.writev(fd, iov, count) : FreeBsd.writev(fd, iov, count);
        errno = n < 0 ? GetLastErrno() : Errno.SUCCESS;
        return n;
    }

    /// <summary>setsockopt(IPPROTO_TCP, <paramref name="option"/>, <paramref name="value"/>).</summary>
    public static Errno SetTcpOption(int fd, int option, int value)
    {
        int rc = IsMacOS
            ? MacOS.setsockopt(fd, IPPROTO_TCP, option, &value, sizeof(int))
            : FreeBsd.setsockopt(fd, IPPROTO_TCP, option, &value, sizeof(int));
        return rc == 0 ? Errno.SUCCESS : GetLastErrno();
    }

    /// <summary>open(<paramref name="path"/>, O_RDONLY | O_NONBLOCK | O_CLOEXEC), retried on EINTR. Returns the descriptor, or -1 with <paramref name="errno"/>.</summary>
    public static int OpenReadNonBlocking(byte* path, out Errno errno)
    {
        int fd;
        do
        {
            fd = IsMacOS
                ? MacOS.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC_MACOS)
                : FreeBsd.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC_FREEBSD);
            errno = fd < 0 ? GetLastErrno() : Errno.SUCCESS;
        }
        while (errno == Errno.EINTR);

        return fd;
    }

    /// <summary>lseek(<paramref name="fd"/>, 0, SEEK_END): the length of a regular file; -1 with ESPIPE for a pipe, FIFO or socket.</summary>
    public static long SeekEnd(int fd, out Errno errno)
    {
        long end = IsMacOS ? MacOS.lseek(fd, 0, SEEK_END) : FreeBsd.lseek(fd, 0, SEEK_END);
        errno = end < 0 ? GetLastErrno() : Errno.SUCCESS;
        return end;
    }

    /// <summary>close(2), for a descriptor no SafeHandle owns yet.</summary>
    public static void Close(int fd) => _ = IsMacOS ? MacOS.close(fd) : FreeBsd.close(fd);

    /// <summary>kqueue(2). Returns the descriptor, or -1 with errno.</summary>
    public static int Kqueue() => IsMacOS ? MacOS.kqueue() : FreeBsd.kqueue();

    /// <summary>kevent(2) on buffers laid out in this OS's struct kevent (<see cref="KeventSize"/> bytes each).</summary>
    public static int Kevent(int kq, byte* changes, int nchanges, byte* events, int nevents)
        => IsMacOS
            ? MacOS.kevent(kq, (kevent_macos*)changes, nchanges, (kevent_macos*)events, nevents, null)
            : FreeBsd.kevent(kq, (kevent_freebsd*)changes, nchanges, (kevent_freebsd*)events, nevents, null);
}
