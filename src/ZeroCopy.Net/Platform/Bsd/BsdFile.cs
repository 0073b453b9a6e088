using System;
using System.IO;
using Microsoft.Win32.SafeHandles;
using static ZeroCopy.Net.Interop.Bsd;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>
/// Opens and measures files for the BSD sender. The open is open(2) with O_NONBLOCK, as on Linux:
/// the BCL's File.OpenHandle opens a FIFO blocking, which waits for a writer forever on the caller's
/// thread. The length comes from the BCL (struct stat differs between FreeBSD and macOS, and between
/// FreeBSD releases, and the BCL's fstat shim knows both).
/// </summary>
internal static unsafe class BsdFile
{
    /// <summary>
    /// Opens <paramref name="path"/> for reading without blocking, with the BCL's exceptions for a missing
    /// file or a denied path; a pipe, FIFO or socket (lseek says ESPIPE) is refused with
    /// <see cref="NotSupportedException"/> before a byte is sent. Devices and directories open, and
    /// sendfile(2) refuses them (EINVAL / ENOTSUP), also before a byte is sent. Dispose
    /// <paramref name="owner"/> when done: it closes the descriptor. The one allocation of a BSD send by
    /// path (a send by handle allocates nothing).
    /// </summary>
    public static SafeFileHandle OpenForRead(string path, out IDisposable owner)
    {
        int bufferSize = NativePath.BufferSize(path);
        byte* buffer = stackalloc byte[bufferSize];
        NativePath.Encode(path, buffer, bufferSize);

        int fd = BsdLibc.OpenReadNonBlocking(buffer, out Errno errno);
        if (fd < 0)
        {
            throw errno switch
            {
                Errno.ENOENT or Errno.ENOTDIR => NativePath.NotFound(path, (int)errno, errno.ToString()),
                Errno.EACCES or Errno.EPERM => new UnauthorizedAccessException($"Access to the path '{path}' is denied (errno {(int)errno}, {errno})."),
                Errno.EISDIR => new UnauthorizedAccessException($"'{path}' is a directory, not a file."),
                _ => new IOException($"open failed for '{path}' (errno {(int)errno}, {errno}).", (int)errno),
            };
        }

        if (BsdLibc.SeekEnd(fd, out Errno seekErrno) < 0 && (int)seekErrno == ESPIPE)
        {
            BsdLibc.Close(fd);
            throw new NotSupportedException($"'{path}' is a pipe, FIFO or socket, not a regular file; only regular files can be sent.");
        }

        // O_NONBLOCK stays set: regular files ignore it.
        var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        owner = handle;
        return handle;
    }

    /// <summary>Length of the file behind <paramref name="file"/> (fstat; no read, no change of the file position).</summary>
    public static long GetLength(SafeFileHandle file)
    {
#if NETSTANDARD2_0
        using var stream = new FileStream(new SafeFileHandle(file.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1);
        return stream.Length;
#else
        return RandomAccess.GetLength(file);
#endif
    }
}
