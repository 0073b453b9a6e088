using System;
using static ZeroCopy.Net.Interop.Mswsock;

namespace ZeroCopy.Net.Platform.Windows;

/// <summary>
/// How a head, a file window and a tail split into TransmitFile calls: at most
/// <see cref="TRANSMITFILE_MAX_CHUNK"/> file bytes per call (0 means "the whole file" to TransmitFile,
/// so an empty window is one call with no file at all), the head on the first call, the tail on the
/// last. Pure arithmetic, tested on its own (tests/ZeroCopy.Net.Tests/ForeignPlatforms/TransmitFileCallsTests.cs).
/// </summary>
internal static class TransmitFileCalls
{
    /// <summary>
    /// The next call after <paramref name="fileSent"/> of <paramref name="fileCount"/> file bytes
    /// (<paramref name="first"/> when no call was made yet). False when nothing is left to send.
    /// </summary>
    public static bool TryGetNext(long fileCount, long fileSent, bool first, int headLength, int tailLength, out uint chunk, out int head, out int tail)
    {
        chunk = (uint)Math.Min(fileCount - fileSent, TRANSMITFILE_MAX_CHUNK);
        head = first ? headLength : 0;
        tail = fileSent + chunk == fileCount ? tailLength : 0;

        // After the first call, only file bytes keep the loop going; the first call goes even for an
        // empty window when there is a head or a tail to send.
        return first ? chunk > 0 || head > 0 || tail > 0 : chunk > 0;
    }
}
