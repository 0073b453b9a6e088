using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Bsd
    {
        /// <summary>IOV_MAX (sys/uio.h / limits.h): the most iovec entries one writev or one sf_hdtr list accepts, on FreeBSD and macOS alike.</summary>
        internal const int IOV_MAX = 1024;

        /// <summary>struct iovec (sys/_iovec.h on FreeBSD, sys/_types/_iovec_t.h on macOS): { void *iov_base; size_t iov_len; }, 16 bytes on 64-bit.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct iovec
        {
            internal void* iov_base;
            internal nuint iov_len;
        }

        /// <summary>FreeBSD libc.so.7 imports of sys/uio.h.</summary>
        internal static unsafe partial class FreeBsd
        {
            // ssize_t writev(int fd, const struct iovec *iov, int iovcnt);
            [DllImport(Libraries.FreeBsdLibc, SetLastError = true)]
            internal static extern nint writev(int fd, iovec* iov, int iovcnt);
        }

        /// <summary>macOS libSystem imports of sys/uio.h.</summary>
        internal static unsafe partial class MacOS
        {
            // ssize_t writev(int fildes, const struct iovec *iov, int iovcnt);
            [DllImport(Libraries.MacLibSystem, SetLastError = true)]
            internal static extern nint writev(int fd, iovec* iov, int iovcnt);
        }
    }
}
