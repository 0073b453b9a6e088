using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        /// <summary>One sendfile(2) call moves at most this many bytes (MAX_RW_COUNT), whatever count asks for.</summary>
        internal const long SENDFILE_MAX_CHUNK = 0x7ffff000;

        // sys/sendfile.h: ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count);
        // off_t is 64-bit on the 64-bit ABIs this path is enabled for (LinuxSendPlatform checks).
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe nint sendfile(int out_fd, int in_fd, long* offset, nuint count);
    }
}
