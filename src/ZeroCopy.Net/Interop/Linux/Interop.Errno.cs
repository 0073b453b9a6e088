namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        /// <summary>Linux errno values (asm-generic/errno-base.h, asm-generic/errno.h). Typed, because casting to and from int is suspect.</summary>
        internal enum Errno
        {
            SUCCESS = 0,
            EPERM = 1,
            ENOENT = 2,
            EINTR = 4,
            EIO = 5,
            EBADF = 9,
            EAGAIN = 11,
            ENOMEM = 12,
            EACCES = 13,
            EFAULT = 14,
            EBUSY = 16,
            EEXIST = 17,
            ENODEV = 19,
            ENOTDIR = 20,
            EISDIR = 21,
            EINVAL = 22,
            ENFILE = 23,
            EMFILE = 24,
            ENOSPC = 28,
            ESPIPE = 29,
            EPIPE = 32,
            ENOSYS = 38,
            ELOOP = 40,
            EOVERFLOW = 75,
            ENOTSOCK = 88,
            EDESTADDRREQ = 89,
            EMSGSIZE = 90,
            EPROTOTYPE = 91,
            ENOPROTOOPT = 92,
            EOPNOTSUPP = 95,
            EAFNOSUPPORT = 97,
            ENETDOWN = 100,
            ENETUNREACH = 101,
            ECONNABORTED = 103,
            ECONNRESET = 104,
            ENOBUFS = 105,
            EISCONN = 106,
            ENOTCONN = 107,
            ESHUTDOWN = 108,
            ETIMEDOUT = 110,
            ECONNREFUSED = 111,
            EHOSTUNREACH = 113,
            ECANCELED = 125,
        }

        /// <summary>Reads errno right after a failed import declared with SetLastError = true.</summary>
        internal static Errno GetLastErrno() => (Errno)System.Runtime.InteropServices.Marshal.GetLastWin32Error();
    }
}
