using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // sys/epoll.h
        internal const int EPOLL_CLOEXEC = 0x80000;
        internal const int EPOLL_CTL_ADD = 1;
        internal const int EPOLL_CTL_DEL = 2;
        internal const int EPOLL_CTL_MOD = 3;
        internal const uint EPOLLIN = 0x001;
        internal const uint EPOLLOUT = 0x004;
        internal const uint EPOLLERR = 0x008;
        internal const uint EPOLLHUP = 0x010;
        internal const uint EPOLLRDHUP = 0x2000;
        internal const uint EPOLLET = 1u << 31;
        internal const uint EPOLLONESHOT = 1u << 30;

        /// <summary>
        /// struct epoll_event is packed on x86-64 (12 bytes, data at offset 4) and naturally aligned
        /// elsewhere (16 bytes, data at offset 8), so the reactor addresses it through these two
        /// numbers instead of one C# struct.
        /// </summary>
        internal static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

        /// <summary>Offset of epoll_event.data in bytes (see <see cref="EpollEventSize"/>).</summary>
        internal static readonly int EpollEventDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern int epoll_create1(int flags);

        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int epoll_ctl(int epfd, int op, int fd, byte* ev);

        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int epoll_wait(int epfd, byte* events, int maxevents, int timeout);
    }
}
