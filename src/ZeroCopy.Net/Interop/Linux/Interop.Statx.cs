using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // linux/stat.h. statx is used instead of fstat because struct statx has one layout on every
        // architecture, while struct stat differs between x86-64 and arm64.
        internal const int AT_FDCWD = -100;
        internal const int AT_EMPTY_PATH = 0x1000;
        internal const uint STATX_TYPE = 0x1;
        internal const uint STATX_INO = 0x100;
        internal const uint STATX_SIZE = 0x200;
        internal const int S_IFMT = 0xF000;
        internal const int S_IFREG = 0x8000;
        internal const int S_IFDIR = 0x4000;
        internal const int S_IFIFO = 0x1000;
        internal const int S_IFCHR = 0x2000;
        internal const int S_IFBLK = 0x6000;
        internal const int S_IFSOCK = 0xC000;

        /// <summary>struct statx (256 bytes); only the fields the library reads are named.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        internal struct statx_t
        {
            [FieldOffset(0)] internal uint stx_mask;
            [FieldOffset(28)] internal ushort stx_mode;
            [FieldOffset(32)] internal ulong stx_ino;
            [FieldOffset(40)] internal ulong stx_size;
        }

        // int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf); glibc >= 2.28
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe int statx(int dirfd, byte* pathname, int flags, uint mask, statx_t* statxbuf);
    }
}
