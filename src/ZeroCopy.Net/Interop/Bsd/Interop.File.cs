using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Bsd
    {
        // sys/fcntl.h: O_RDONLY and O_NONBLOCK agree on FreeBSD and macOS; O_CLOEXEC does not.
        internal const int O_RDONLY = 0x0000;
        internal const int O_NONBLOCK = 0x0004;

        /// <summary>O_CLOEXEC on FreeBSD (sys/fcntl.h: 0x00100000).</summary>
        internal const int O_CLOEXEC_FREEBSD = 0x00100000;

        /// <summary>O_CLOEXEC on macOS (sys/fcntl.h: 0x01000000).</summary>
        internal const int O_CLOEXEC_MACOS = 0x01000000;

        // unistd.h
        internal const int SEEK_END = 2;

        /// <summary>ESPIPE (29 on both): lseek on a pipe, FIFO or socket.</summary>
        internal const int ESPIPE = 29;

        internal static unsafe partial class FreeBsd
        {
            // int open(const char *path, int flags, ...): declared with two arguments, since the mode is
            // read only with O_CREAT (and variadic arguments are passed differently on Apple arm64).
            [DllImport(Libraries.FreeBsdLibc, SetLastError = true)]
            internal static extern int open(byte* path, int flags);

            // off_t lseek(int fd, off_t offset, int whence);
            [DllImport(Libraries.FreeBsdLibc, SetLastError = true)]
            internal static extern long lseek(int fd, long offset, int whence);

            [DllImport(Libraries.FreeBsdLibc, SetLastError = true)]
            internal static extern int close(int fd);
        }

        internal static unsafe partial class MacOS
        {
            [DllImport(Libraries.MacLibSystem, SetLastError = true)]
            internal static extern int open(byte* path, int flags);

            [DllImport(Libraries.MacLibSystem, SetLastError = true)]
            internal static extern long lseek(int fd, long offset, int whence);

            [DllImport(Libraries.MacLibSystem, SetLastError = true)]
            internal static extern int close(int fd);
        }
    }
}
