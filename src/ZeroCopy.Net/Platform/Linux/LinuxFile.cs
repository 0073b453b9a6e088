using System;
using System.IO;
using System.Text;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>Opens and inspects files for sendfile, with no FileStream and no advisory lock.</summary>
internal static unsafe class LinuxFile
{
    // PATH_MAX; longer paths are rejected by the kernel anyway (ENAMETOOLONG).
    private const int MaxPathBytes = 4096;

    /// <summary>
    /// open(O_RDONLY | O_CLOEXEC). The BCL's File.OpenHandle/FileStream would flock(LOCK_SH) every
    /// file it opens for reading; a file server that sends thousands of files a second must not.
    /// </summary>
    public static int OpenForRead(string path)
    {
#if NETSTANDARD2_0
        if (path.IndexOf('\0') >= 0)
#else
        if (path.Contains('\0', StringComparison.Ordinal))
#endif
        {
            ThrowHelper.ThrowArgument(nameof(path), "The path contains a NUL character.");
        }

        int maxBytes = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        if (maxBytes > MaxPathBytes * 4)
        {
            throw new PathTooLongException($"The path is too long: '{path}'.");
        }

        byte* buffer = stackalloc byte[maxBytes];
        int written;
        fixed (char* chars = path)
        {
            written = Encoding.UTF8.GetBytes(chars, path.Length, buffer, maxBytes - 1);
        }

        buffer[written] = 0;

        int fd;
        Errno errno;
        do
        {
            fd = open(buffer, O_RDONLY | O_CLOEXEC, 0);
            errno = fd < 0 ? GetLastErrno() : Errno.SUCCESS;
        }
        while (errno == Errno.EINTR);

        if (fd < 0)
        {
            throw errno switch
            {
                Errno.ENOENT or Errno.ENOTDIR => new FileNotFoundException($"Could not find file '{path}' (errno {(int)errno}, {errno}).", path),
                Errno.EACCES or Errno.EPERM => new UnauthorizedAccessException($"Access to the path '{path}' is denied (errno {(int)errno}, {errno})."),
                _ => ThrowHelper.FileError((int)errno, "open", path),
            };
        }

        return fd;
    }

    /// <summary>Length of a regular file; throws for a directory or anything sendfile cannot read from.</summary>
    public static long GetRegularFileLength(int fd, string? pathForMessages)
    {
        statx_t st;
        byte empty = 0;
        if (statx(fd, &empty, AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &st) != 0)
        {
            throw ThrowHelper.FileError((int)GetLastErrno(), "statx", pathForMessages);
        }

        int type = st.stx_mode & S_IFMT;
        if (type == S_IFDIR)
        {
            throw new UnauthorizedAccessException($"'{pathForMessages ?? "the handle"}' is a directory, not a file.");
        }

        if (type != S_IFREG)
        {
            // Block devices would work with sendfile but have no meaningful length here; pipes and
            // sockets are not valid sendfile sources at all.
            throw new NotSupportedException($"'{pathForMessages ?? "the handle"}' is not a regular file (mode 0x{st.stx_mode:x}).");
        }

        return checked((long)st.stx_size);
    }

    public static void Close(int fd) => _ = close(fd);
}
