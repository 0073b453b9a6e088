using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // ssize_t sendmsg(int sockfd, const struct msghdr *msg, int flags);
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe nint sendmsg(int sockfd, msghdr* msg, int flags);

        // int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags);
        // Several datagrams in one syscall; returns how many the kernel took (at most UIO_MAXIOV per call).
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int sendmmsg(int sockfd, mmsghdr* msgvec, uint vlen, int flags);

        // ssize_t send(int sockfd, const void *buf, size_t len, int flags);
        // One contiguous buffer: the kernel imports no msghdr and no iovec array.
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe nint send(int sockfd, byte* buf, nuint len, int flags);

        // ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags);
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe nint recvmsg(int sockfd, msghdr* msg, int flags);
    }
}
