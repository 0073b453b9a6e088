using System;
using System.IO;
using System.Text;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform;

/// <summary>
/// A path as the C library takes it (NUL-terminated UTF-8 on the caller's stack) and the BCL's
/// choice between "file" and "directory" not found: shared by the Linux and BSD opens, which call
/// open(2) themselves so that a FIFO cannot block them.
/// </summary>
internal static unsafe class NativePath
{
    // PATH_MAX (4096 on Linux, 1024 on the BSDs); longer paths fail in the kernel anyway (ENAMETOOLONG).
    private const int MaxPathBytes = 4096;

    /// <summary>The stack buffer <paramref name="path"/> needs (terminator included); throws for a NUL inside it or an absurd length.</summary>
    public static int BufferSize(string path)
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

        return maxBytes;
    }

    /// <summary>Writes <paramref name="path"/> as NUL-terminated UTF-8 into <paramref name="buffer"/> of <see cref="BufferSize"/> bytes.</summary>
    public static void Encode(string path, byte* buffer, int bufferSize)
    {
        int written;
        fixed (char* chars = path)
        {
            written = Encoding.UTF8.GetBytes(chars, path.Length, buffer, bufferSize - 1);
        }

        buffer[written] = 0;
    }

    /// <summary>
    /// The BCL's exception for a path that does not exist: DirectoryNotFoundException when a directory
    /// on the way is missing, FileNotFoundException when only the last component is.
    /// </summary>
    public static Exception NotFound(string path, int errno, string errnoName)
        => ParentExists(path)
            ? new FileNotFoundException($"Could not find file '{path}' (errno {errno}, {errnoName}).", path)
            : new DirectoryNotFoundException($"Could not find a part of the path '{path}' (errno {errno}, {errnoName}).");

    private static bool ParentExists(string path)
    {
        string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
        return parent is null || Directory.Exists(parent);
    }
}
