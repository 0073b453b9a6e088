using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // fcntl.h / asm-generic/fcntl.h
        internal const int O_RDONLY = 0x0;
        internal const int O_WRONLY = 0x1;
        internal const int O_ACCMODE = 0x3;
        internal const int O_NONBLOCK = 0x800;
        internal const int O_CLOEXEC = 0x80000;
        internal const int F_GETFL = 3;
        internal const int F_SETFL = 4;

        // open is variadic in C; passing the optional mode as a third int is how the 64-bit Linux
        // ABIs call it. We open files ourselves rather than through FileStream/File.OpenHandle
        // because those take an advisory flock(LOCK_SH) on every open (the BCL's lock emulation).
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int open(byte* pathname, int flags, int mode);

        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern int close(int fd);

        // fcntl is variadic too; F_GETFL/F_SETFL take an int argument.
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern int fcntl(int fd, int cmd, int arg);
    }
}
