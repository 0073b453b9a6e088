using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // unistd.h: ssize_t pread(int fd, void *buf, size_t count, off_t offset);
        // off_t is 64-bit on the 64-bit ABIs the Linux path is enabled for (LinuxSendPlatform checks).
        [DllImport(Libraries.Libc, SetLastError = true)]
        internal static extern unsafe nint pread(int fd, byte* buf, nuint count, long offset);
    }
}
