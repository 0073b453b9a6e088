using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // ssize_t sendmsg(int sockfd, const struct msghdr *msg, int flags);
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe nint sendmsg(int sockfd, msghdr* msg, int flags);

        // ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags);
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe nint recvmsg(int sockfd, msghdr* msg, int flags);
    }
}
