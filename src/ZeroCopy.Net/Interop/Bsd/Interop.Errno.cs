namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Bsd
    {
        /// <summary>
        /// The errno values the BSD paths test for or map (FreeBSD sys/errno.h and macOS sys/errno.h agree on
        /// every value here except EOPNOTSUPP, listed twice). Not Linux's numbers: EAGAIN is 35 here.
        /// </summary>
        internal enum Errno
        {
            SUCCESS = 0,
            EPERM = 1,
            ENOENT = 2,
            EINTR = 4,
            EIO = 5,
            EBADF = 9,
            ENOMEM = 12,
            EACCES = 13,
            EFAULT = 14,
            ENOTDIR = 20,
            EISDIR = 21,
            EINVAL = 22,
            ENFILE = 23,
            EMFILE = 24,
            EPIPE = 32,
            EAGAIN = 35,
            ENOTSOCK = 38,
            EDESTADDRREQ = 39,
            EMSGSIZE = 40,
            EPROTOTYPE = 41,
            ENOPROTOOPT = 42,

            /// <summary>EOPNOTSUPP on FreeBSD, ENOTSUP on macOS (macOS sendfile's "not a regular file" answer).</summary>
            EOPNOTSUPP = 45,
            EAFNOSUPPORT = 47,
            ENETDOWN = 50,
            ENETUNREACH = 51,
            ECONNABORTED = 53,
            ECONNRESET = 54,
            ENOBUFS = 55,
            EISCONN = 56,
            ENOTCONN = 57,
            ESHUTDOWN = 58,
            ETIMEDOUT = 60,
            ECONNREFUSED = 61,
            EHOSTUNREACH = 65,

            /// <summary>macOS's EOPNOTSUPP (FreeBSD has no 102).</summary>
            EOPNOTSUPP_MACOS = 102,
        }

        /// <summary>Reads errno right after a failed import declared with SetLastError = true.</summary>
        internal static Errno GetLastErrno() => (Errno)System.Runtime.InteropServices.Marshal.GetLastWin32Error();
    }
}
