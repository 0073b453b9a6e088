using System;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform.Bsd;

/// <summary>
/// Where one BSD sendfile with sf_hdtr stands: how much of the header, of the file window and of
/// the trailer the kernel has taken, from the one number both BSD forms report (every byte sent,
/// headers and trailers included, also on EAGAIN and EINTR). Pure arithmetic, no I/O, so it is
/// property-tested on its own (tests/ZeroCopy.Net.Tests/Bsd/SendfileProgressProperties.cs) against
/// both sendfile forms.
/// </summary>
/// <remarks>
/// The bytes leave in order: header, file, trailer. So a total <c>sent</c> splits as header =
/// min(sent, H), file = clamp(sent - H, 0, F), trailer = clamp(sent - H - F, 0, T), and the next
/// call resumes with the header iovecs advanced past the header part, the file offset advanced past
/// the file part, and the trailer iovecs advanced past the trailer part.
/// </remarks>
internal readonly struct SendfileProgress
{
    /// <summary>Starts a send of <paramref name="headerLength"/> header bytes, <paramref name="fileLength"/> file bytes from <paramref name="fileOffset"/>, and <paramref name="trailerLength"/> trailer bytes.</summary>
    public SendfileProgress(long headerLength, long fileOffset, long fileLength, long trailerLength)
        : this(headerLength, fileOffset, fileLength, trailerLength, 0)
    {
    }

    private SendfileProgress(long headerLength, long fileOffset, long fileLength, long trailerLength, long sent)
    {
        HeaderLength = headerLength;
        FileOffset = fileOffset;
        FileLength = fileLength;
        TrailerLength = trailerLength;
        Sent = sent;
    }

    /// <summary>Header bytes in the whole send.</summary>
    public long HeaderLength { get; }

    /// <summary>File offset of the window's first byte.</summary>
    public long FileOffset { get; }

    /// <summary>File bytes in the whole send.</summary>
    public long FileLength { get; }

    /// <summary>Trailer bytes in the whole send.</summary>
    public long TrailerLength { get; }

    /// <summary>Bytes the kernel has taken so far, in order.</summary>
    public long Sent { get; }

    /// <summary>Header bytes taken.</summary>
    public long HeaderSent => Math.Min(Sent, HeaderLength);

    /// <summary>File bytes taken.</summary>
    public long FileSent => Clamp(Sent - HeaderLength, FileLength);

    /// <summary>Trailer bytes taken.</summary>
    public long TrailerSent => Clamp(Sent - HeaderLength - FileLength, TrailerLength);

    /// <summary>Header bytes still to send.</summary>
    public long HeaderRemaining => HeaderLength - HeaderSent;

    /// <summary>File bytes still to send.</summary>
    public long FileRemaining => FileLength - FileSent;

    /// <summary>Trailer bytes still to send.</summary>
    public long TrailerRemaining => TrailerLength - TrailerSent;

    /// <summary>Every byte still to send.</summary>
    public long Remaining => HeaderLength + FileLength + TrailerLength - Sent;

    /// <summary>True when the kernel has taken every byte.</summary>
    public bool IsComplete => Remaining == 0;

    /// <summary>True while file bytes remain: the next call is a sendfile; otherwise what is left (header or trailer bytes) goes by writev.</summary>
    public bool NeedsSendfile => FileRemaining > 0;

    /// <summary>The file offset the next sendfile starts at.</summary>
    public long NextFileOffset => FileOffset + FileSent;

    /// <summary>FreeBSD's <c>nbytes</c> for the next call: the file bytes left (never 0 while <see cref="NeedsSendfile"/>: 0 would mean "to end of file").</summary>
    public long FreeBsdNBytes => FileRemaining;

    /// <summary>macOS's <c>*len</c> for the next call: the header bytes left plus the file bytes left (the trailers are not counted in it).</summary>
    public long MacOSLength => HeaderRemaining + FileRemaining;

    /// <summary>
    /// Moves past <paramref name="bytes"/> more bytes the kernel reported as sent by one call.
    /// Throws when the kernel reports more than remained (an accounting bug, never a kernel answer).
    /// </summary>
    public SendfileProgress Advance(long bytes)
    {
        if (bytes < 0 || bytes > Remaining)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(bytes), $"Advance by {bytes} with only {Remaining} bytes left.");
        }

        return new SendfileProgress(HeaderLength, FileOffset, FileLength, TrailerLength, Sent + bytes);
    }

    private static long Clamp(long value, long max) => value < 0 ? 0 : Math.Min(value, max);
}
