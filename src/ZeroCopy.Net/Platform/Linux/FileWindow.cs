using System;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// The file side of one send: a descriptor the kernel reads from, the window checked against the
/// file's length, and what must be undone when the send ends (close a descriptor we opened, or drop
/// the reference that kept a caller's handle open). Path and handle sends differ only here.
/// </summary>
internal readonly struct FileWindow
{
    private readonly SafeFileHandle? _handle;

    private FileWindow(int fd, long offset, long count, SafeFileHandle? handle, string? path)
    {
        Fd = fd;
        Offset = offset;
        Count = count;
        _handle = handle;
        Path = path;
    }

    /// <summary>The descriptor to read from.</summary>
    public int Fd { get; }

    /// <summary>Where the window starts in the file.</summary>
    public long Offset { get; }

    /// <summary>The window's length, checked against the file's.</summary>
    public long Count { get; }

    /// <summary>The path, for messages; null for a handle.</summary>
    public string? Path { get; }

    /// <summary>
    /// open(O_RDONLY | O_CLOEXEC | O_NONBLOCK) without an advisory lock, refused unless a regular
    /// file (<see cref="LinuxFile.OpenForRead"/>), and the window resolved; the descriptor is closed
    /// again if the window is invalid.
    /// </summary>
    public static FileWindow Open(string path, long offset, long? count)
    {
        int fd = LinuxFile.OpenForRead(path, out long length);
        try
        {
            return new FileWindow(fd, offset, FileRange.Resolve(length, offset, count), null, path);
        }
        catch
        {
            LinuxFile.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// A caller's handle, referenced until <see cref="Release"/> so that its descriptor cannot be
    /// closed (and its number reused) while the kernel reads it. <paramref name="count"/> given and
    /// <paramref name="checkLength"/> false: no statx (the small-body path checks a short read instead).
    /// </summary>
    public static FileWindow Reference(SafeFileHandle file, long offset, long? count, bool checkLength = true)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            long resolved = checkLength || count is null
                ? FileRange.Resolve(LinuxFile.GetRegularFileLength(fd, null), offset, count)
                : count.Value;

            // A write-only handle fails the first pread or sendfile with EBADF, before any byte of
            // the file leaves, and the send diagnoses it then (no fcntl per send); an empty window
            // would read nothing, so it is asked here.
            if (resolved == 0)
            {
                LinuxFile.ThrowIfNotReadable(fd, nameof(file));
            }
            return new FileWindow(fd, offset, resolved, file, null);
        }
        catch
        {
            if (added)
            {
                file.DangerousRelease();
            }

            throw;
        }
    }

    /// <summary>Closes the descriptor we opened, or drops the reference on the caller's handle. Once per window.</summary>
    public void Release()
    {
        if (_handle is not null)
        {
            _handle.DangerousRelease();
        }
        else if (Path is not null)
        {
            LinuxFile.Close(Fd);
        }
    }
}
