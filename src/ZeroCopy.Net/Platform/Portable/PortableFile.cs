using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Platform.Linux;

namespace ZeroCopy.Net.Platform.Portable;

/// <summary>
/// Opens and measures files for the portable path. On Linux through <see cref="LinuxFile"/>, so
/// that the fallback refuses exactly what the kernel path refuses, the same way: a FIFO is opened
/// without blocking and rejected (File.OpenHandle would wait for a writer forever), a write-only
/// handle, a socket or device, or a procfs file that reports length 0 fails before a byte is sent.
/// Elsewhere through the BCL.
/// </summary>
internal static class PortableFile
{
    private static readonly bool IsLinux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

    /// <summary>Opens <paramref name="path"/> for sequential reading; the caller disposes the stream.</summary>
    public static FileStream OpenRead(string path)
    {
        if (IsLinux)
        {
            int fd = LinuxFile.OpenForRead(path, out _);
            return new FileStream(new SafeFileHandle((IntPtr)fd, ownsHandle: true), FileAccess.Read, 1);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
    }

#if !NETSTANDARD2_0
    /// <summary>Opens <paramref name="path"/> for reading; the caller disposes the handle.</summary>
    public static SafeFileHandle OpenHandle(string path) => IsLinux
        ? new SafeFileHandle((IntPtr)LinuxFile.OpenForRead(path, out _), ownsHandle: true)
        : File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
#endif

    /// <summary>The length of a caller's file, after the checks the kernel path makes (readable, a regular file).</summary>
    public static long GetLength(SafeFileHandle file)
    {
        if (IsLinux)
        {
            bool added = false;
            try
            {
                file.DangerousAddRef(ref added);
                int fd = (int)file.DangerousGetHandle();
                LinuxFile.ThrowIfNotReadable(fd, nameof(file));
                return LinuxFile.GetRegularFileLength(fd, null);
            }
            finally
            {
                if (added)
                {
                    file.DangerousRelease();
                }
            }
        }

        // Elsewhere the BCL's fstat, as the BSD sender measures files.
        return Bsd.BsdFile.GetLength(file);
    }
}
