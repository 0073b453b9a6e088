using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HttpStaticServer;

/// <summary>
/// Opens a file only if it is a regular file. <c>File.OpenHandle</c> on a FIFO blocks in open(2)
/// until a writer appears, which parks a thread (with inline socket completions, the epoll thread)
/// for good on every such request; a device, a socket or a FIFO is never served (404, as nginx
/// answers). The file is opened with O_NONBLOCK, so open(2) of a FIFO returns at once, and its type
/// is read from the open descriptor (no window in which the path is swapped for a FIFO).
/// </summary>
public static class RegularFile
{
    /// <summary>The open regular file at <paramref name="path"/>, or null when it is missing, unreadable or not a regular file.</summary>
    public static SafeFileHandle? TryOpen(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // No FIFOs in a Windows folder; the sample does not target Windows beyond this.
            try
            {
                return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        int fd = NativeMethods.open(path, OpenFlags());
        if (fd < 0)
        {
            return null;
        }

        var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        if (!IsRegular(fd))
        {
            handle.Dispose();
            return null;
        }

        if (OperatingSystem.IsLinux())
        {
            // O_NONBLOCK was only for open(2); clear it so the handle looks like any File.OpenHandle
            // one (on a regular file it changes no read, but code that inspects the flags sees none).
            int flags = NativeMethods.fcntl(fd, FGetFl);
            if (flags >= 0)
            {
                _ = NativeMethods.fcntl(fd, FSetFl, flags & ~LinuxNonBlock);
            }
        }

        return handle;
    }

    private const int LinuxNonBlock = 0x800;
    private const int FGetFl = 3;
    private const int FSetFl = 4;

    // O_RDONLY | O_NONBLOCK | O_CLOEXEC per OS (the ABI values from <fcntl.h>).
    private static int OpenFlags() =>
        OperatingSystem.IsLinux() ? LinuxNonBlock | 0x80000
        : OperatingSystem.IsMacOS() ? 0x4 | 0x1000000
        : 0x4 | 0x100000; // FreeBSD

    private static unsafe bool IsRegular(int fd)
    {
        if (OperatingSystem.IsLinux())
        {
            // statx's layout is the same on every Linux architecture (unlike struct stat):
            // stx_mode is the u16 at offset 28 of a 256-byte struct.
            byte* statx = stackalloc byte[256];
            try
            {
                if (NativeMethods.statx(fd, string.Empty, AtEmptyPath, StatxType, statx) == 0)
                {
                    ushort mode = *(ushort*)(statx + 28);
                    return (mode & 0xF000) == 0x8000; // S_IFMT, S_IFREG
                }
            }
            catch (EntryPointNotFoundException)
            {
                // glibc before 2.28 or a libc without statx: fall through.
            }
        }

        // Elsewhere (and on a kernel without statx): a FIFO or a socket cannot seek (ESPIPE).
        return NativeMethods.lseek(fd, 0, 1) >= 0;
    }

    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable CA2101 // open takes a UTF-8 char*: marshal as UTF-8, not ANSI.
        internal static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        internal static extern unsafe int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);
#pragma warning restore CA2101

        [DllImport("libc", SetLastError = true)]
        internal static extern long lseek(int fd, long offset, int whence);

        [DllImport("libc", SetLastError = true)]
        internal static extern int fcntl(int fd, int command);

        [DllImport("libc", SetLastError = true, EntryPoint = "fcntl")]
        internal static extern int fcntl(int fd, int command, int argument);
    }
}
