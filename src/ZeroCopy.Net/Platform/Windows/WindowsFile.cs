using System;
using System.ComponentModel;
using System.IO;
using Microsoft.Win32.SafeHandles;
using static ZeroCopy.Net.Interop.Kernel32;

namespace ZeroCopy.Net.Platform.Windows;

/// <summary>
/// Opens and measures files with kernel32 directly, so a SendFileAsync by path allocates no
/// SafeFileHandle or FileStream (the Windows counterpart of <c>LinuxFile</c>).
/// </summary>
internal static unsafe class WindowsFile
{
    /// <summary>Opens <paramref name="path"/> for sequential reading, sharing it like the BCL's File.OpenHandle; throws the BCL's exceptions.</summary>
    public static nint OpenForRead(string path)
    {
        nint handle;
        fixed (char* p = path)
        {
            handle = CreateFileW(p, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, null, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, 0);
        }

        if (handle == INVALID_HANDLE_VALUE)
        {
            int error = System.Runtime.InteropServices.Marshal.GetLastWin32Error();
            string message = new Win32Exception(error).Message;
            throw error switch
            {
                ERROR_FILE_NOT_FOUND => new FileNotFoundException($"Could not find file '{path}': {message}", path),
                ERROR_PATH_NOT_FOUND => new DirectoryNotFoundException($"Could not find a part of the path '{path}': {message}"),

                // A directory opened without FILE_FLAG_BACKUP_SEMANTICS also lands here, as on Linux.
                ERROR_ACCESS_DENIED => new UnauthorizedAccessException($"Access to the path '{path}' is denied: {message}"),
                _ => new IOException($"CreateFileW failed for '{path}': {message}", error),
            };
        }

        return handle;
    }

    /// <summary>Length of a disk file; throws for anything TransmitFile cannot read from (a pipe, a console).</summary>
    public static long GetDiskFileLength(nint handle, string? pathForMessages)
    {
        if (GetFileType(handle) != FILE_TYPE_DISK)
        {
            throw new NotSupportedException($"'{pathForMessages ?? "the handle"}' is not a disk file.");
        }

        long length;
        if (GetFileSizeEx(handle, &length) == 0)
        {
            int error = System.Runtime.InteropServices.Marshal.GetLastWin32Error();
            throw new IOException($"GetFileSizeEx failed for '{pathForMessages ?? "the handle"}': {new Win32Exception(error).Message}", error);
        }

        return length;
    }

    /// <summary>Closes a handle from <see cref="OpenForRead"/>.</summary>
    public static void Close(nint handle) => _ = CloseHandle(handle);

    /// <summary>The raw handle of a caller's <see cref="SafeFileHandle"/>, referenced so it cannot be closed while the kernel reads it.</summary>
    public static nint AddRef(SafeFileHandle file, ref bool added)
    {
        file.DangerousAddRef(ref added);
        return file.DangerousGetHandle();
    }
}
