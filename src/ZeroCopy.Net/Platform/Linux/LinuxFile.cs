using System;
using System.IO;
using System.Text;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>Opens and inspects files for sendfile, with no FileStream and no advisory lock.</summary>
internal static unsafe class LinuxFile
{
    /// <summary>
    /// open(O_RDONLY | O_CLOEXEC | O_NONBLOCK), then the type checked. The
    /// BCL's File.OpenHandle/FileStream would flock(LOCK_SH) every file it opens for reading; a
    /// file server that sends thousands of files a second must not. O_NONBLOCK because a blocking
    /// open of a FIFO waits for a writer forever, on the caller's thread, before any token or
    /// disposal can stop it; anything that is not a regular file is refused before a byte is sent.
    /// </summary>
    public static int OpenForRead(string path, out long length)
    {
        int fd = OpenNonBlocking(path);
        try
        {
            length = GetRegularFileLength(fd, path);

            // O_NONBLOCK stays set: a regular file ignores it (pread and page-cache reads never say
            // EAGAIN, and do_sendfile deliberately does not turn it into SPLICE_F_NONBLOCK), and
            // clearing it would cost two fcntl calls per send of a path.
            return fd;
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    private static int OpenNonBlocking(string path)
    {
        int bufferSize = NativePath.BufferSize(path);
        byte* buffer = stackalloc byte[bufferSize];
        NativePath.Encode(path, buffer, bufferSize);

        int fd;
        Errno errno;
        do
        {
            fd = open(buffer, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
            errno = fd < 0 ? GetLastErrno() : Errno.SUCCESS;
        }
        while (errno == Errno.EINTR);

        if (fd < 0)
        {
            throw errno switch
            {
                // As the BCL decides (and so the portable path): a missing directory on the way is
                // DirectoryNotFoundException, a missing last component FileNotFoundException.
                Errno.ENOENT or Errno.ENOTDIR => NativePath.NotFound(path, (int)errno, errno.ToString()),
                Errno.EACCES or Errno.EPERM => new UnauthorizedAccessException($"Access to the path '{path}' is denied (errno {(int)errno}, {errno})."),
                _ => ThrowHelper.FileError((int)errno, "open", path),
            };
        }

        return fd;
    }

    /// <summary>
    /// Length of a regular file; throws for a directory, anything else that is not a regular file,
    /// and a file whose reported length is 0 while it has content (procfs, sysfs: the length is
    /// unknown until read, and sendfile would send nothing).
    /// </summary>
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
            throw new UnauthorizedAccessException($"{NameOf(pathForMessages)} is a directory, not a file.");
        }

        if (type != S_IFREG)
        {
            // Block devices would work with sendfile but have no meaningful length here; pipes and
            // sockets are not valid sendfile sources at all, and a FIFO could block a read forever.
            throw new NotSupportedException($"{NameOf(pathForMessages)} is {TypeName(type)}, not a regular file; only regular files can be sent.");
        }

        if (st.stx_size == 0 && HasContent(fd))
        {
            throw new NotSupportedException(
                $"{NameOf(pathForMessages)} reports a length of 0 but has content (a procfs or sysfs file, whose length is unknown until it is read). " +
                "Read it into memory and send that instead.");
        }

        return checked((long)st.stx_size);
    }

    /// <summary>Throws ArgumentException when a caller's descriptor was opened write-only (F_GETFL), as the FileStream overload checks CanRead.</summary>
    public static void ThrowIfNotReadable(int fd, string paramName)
    {
        if (IsWriteOnly(fd))
        {
            throw NotReadable(paramName);
        }
    }

    /// <summary>Whether the descriptor was opened write-only (asked up front where nothing else would fail before bytes leave, else only after a read or sendfile failed with EBADF).</summary>
    public static bool IsWriteOnly(int fd)
    {
        int flags = fcntl(fd, F_GETFL, 0);
        return flags >= 0 && (flags & O_ACCMODE) == O_WRONLY;
    }

    /// <summary>The exception for a caller's handle that is not open for reading.</summary>
    public static ArgumentException NotReadable(string paramName)
        => new("The file handle is not open for reading (it was opened write-only).", paramName);

    public static void Close(int fd) => _ = close(fd);

    // Only asked for files that report length 0: one byte read at offset 0, the file position untouched.
    private static bool HasContent(int fd)
    {
        byte probe;
        nint n;
        do
        {
            n = pread(fd, &probe, 1, 0);
        }
        while (n < 0 && GetLastErrno() == Errno.EINTR);

        return n > 0;
    }

    // Error paths only: the send that succeeds allocates nothing.
    private static string NameOf(string? path) => path is null ? "The file handle" : $"'{path}'";

    private static string TypeName(int type) => type switch
    {
        S_IFIFO => "a FIFO (named pipe)",
        S_IFSOCK => "a socket",
        S_IFCHR => "a character device",
        S_IFBLK => "a block device",
        _ => $"a special file (type 0x{type:x})",
    };
}
