using System;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>
/// Opens and measures files for the BSD sender through the BCL: struct stat differs between FreeBSD
/// and macOS (and between FreeBSD releases), and the BCL's own fstat shim already knows both.
/// </summary>
internal static class BsdFile
{
    /// <summary>
    /// Opens <paramref name="path"/> for sequential reading, with the BCL's exceptions for a missing file,
    /// a directory or a denied path. Dispose <paramref name="owner"/> when done: it closes the descriptor.
    /// The one allocation of a BSD send by path (a send by handle allocates nothing).
    /// </summary>
    public static SafeFileHandle OpenForRead(string path, out IDisposable owner)
    {
#if NETSTANDARD2_0
        // netstandard2.0 has no File.OpenHandle: the FileStream owns the descriptor.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        owner = stream;
        return stream.SafeFileHandle;
#else
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        owner = handle;
        return handle;
#endif
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
