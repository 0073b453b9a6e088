using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // asm-generic/socket.h, netinet/in.h, netinet/tcp.h, linux/udp.h
        internal const int SOL_SOCKET = 1;
        internal const int SO_TYPE = 3;
        internal const int SO_ERROR = 4;
        internal const int SO_ZEROCOPY = 60;
        internal const int SOL_IP = 0;
        internal const int IP_RECVERR = 11;
        internal const int SOL_IPV6 = 41;
        internal const int IPV6_RECVERR = 25;
        internal const int IPPROTO_TCP = 6;
        internal const int TCP_NODELAY = 1;
        internal const int TCP_CORK = 3;
        internal const int SOL_UDP = 17;
        internal const int UDP_SEGMENT = 103;
        internal const int SOCK_STREAM = 1;
        internal const int SOCK_DGRAM = 2;

        // bits/socket.h
        internal const int MSG_CTRUNC = 0x8;
        internal const int MSG_DONTWAIT = 0x40;
        internal const int MSG_ERRQUEUE = 0x2000;
        internal const int MSG_NOSIGNAL = 0x4000;
        internal const int MSG_MORE = 0x8000;
        internal const int MSG_ZEROCOPY = 0x4000000;

        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int setsockopt(int sockfd, int level, int optname, void* optval, uint optlen);

        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int getsockopt(int sockfd, int level, int optname, void* optval, uint* optlen);
    }
}
