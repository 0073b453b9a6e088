using System;
using System.Buffers;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Unicode;

namespace HttpStaticServer;

/// <summary>
/// Turns a request target into a path under the root, or refuses it. Two independent walls:
/// <list type="number">
/// <item>The decoded path may not contain a "." or ".." segment, a NUL or a control byte, or
/// invalid UTF-8 (400): <c>/../x</c>, <c>/%2e%2e/x</c>, <c>/a/%2E%2E%2Fx</c> all stop here.</item>
/// <item>The file that would be opened is resolved to its real path (realpath(3): every symlink,
/// in every component) and must lie under the root's real path (404 otherwise), so a symlink
/// inside the root that points outside it serves nothing.</item>
/// </list>
/// </summary>
public static class SafePath
{
    /// <summary>Longest request target accepted; longer ones are 400 (the head buffer bounds them anyway).</summary>
    public const int MaxTargetLength = 2048;

    /// <summary>
    /// Decodes the path part of <paramref name="target"/> (origin form: starts with '/', query and
    /// fragment dropped) into <paramref name="destination"/>. Returns false for a target that is
    /// malformed or tries to leave the root.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> target, Span<char> destination, out int written)
    {
        written = 0;
        if (target.IsEmpty || target[0] != (byte)'/' || target.Length > MaxTargetLength)
        {
            // Absolute-form (http://host/x) and asterisk-form targets are not served here.
            return false;
        }

        int queryStart = target.IndexOfAny((byte)'?', (byte)'#');
        if (queryStart >= 0)
        {
            target = target.Slice(0, queryStart);
        }

        Span<byte> decoded = stackalloc byte[MaxTargetLength];
        int length = 0;
        for (int i = 0; i < target.Length; i++)
        {
            byte b = target[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= target.Length || !TryHex(target[i + 1], out int hi) || !TryHex(target[i + 2], out int lo))
                {
                    return false;
                }

                b = (byte)((hi << 4) | lo);
                i += 2;
            }

            if (b < 0x20 || b == 0x7f)
            {
                return false;
            }

            decoded[length++] = b;
        }

        decoded = decoded.Slice(0, length);
        foreach (Range segment in decoded.Split((byte)'/'))
        {
            ReadOnlySpan<byte> s = decoded[segment];
            if (s.SequenceEqual("."u8) || s.SequenceEqual(".."u8))
            {
                return false;
            }
        }

        return Utf8.ToUtf16(decoded, destination, out _, out written, replaceInvalidSequences: false) == OperationStatus.Done;
    }

    /// <summary>
    /// The real path of <paramref name="candidate"/> if it exists and lies under <paramref name="realRoot"/>
    /// (itself a real path); otherwise null.
    /// </summary>
    public static string? ResolveUnderRoot(string realRoot, string candidate)
    {
        string? real = RealPath(candidate);
        if (real is null)
        {
            return null;
        }

        bool inside = real.Length == realRoot.Length
            ? string.Equals(real, realRoot, StringComparison.Ordinal)
            : real.StartsWith(realRoot, StringComparison.Ordinal) && real[realRoot.Length] == '/';
        return inside ? real : null;
    }

    /// <summary>realpath(3): the canonical absolute path with every symlink resolved, or null if it does not exist.</summary>
    public static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // Not the target of this sample; resolves the last component's link only.
            string full = Path.GetFullPath(path);
            return File.Exists(full) || Directory.Exists(full)
                ? new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full
                : null;
        }

        IntPtr resolved = NativeMethods.realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            NativeMethods.free(resolved);
        }
    }

    private static bool TryHex(byte c, out int value)
    {
        value = c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable CA2101 // realpath takes a UTF-8 char*: marshal as UTF-8, not ANSI.
        internal static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolvedPath);
#pragma warning restore CA2101

        [DllImport("libc")]
        internal static extern void free(IntPtr pointer);
    }
}
