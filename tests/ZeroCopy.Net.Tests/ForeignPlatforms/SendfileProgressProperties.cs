using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Internal;
using ZeroCopy.Net.Platform.Bsd;

namespace ZeroCopy.Net.Tests.ForeignPlatforms;

/// <summary>
/// The resume arithmetic of the BSD sendfile path, run here although BSD cannot be: these
/// properties play the kernel in both documented forms. FreeBSD sends the header iovecs, then
/// <c>nbytes</c> file bytes, then the trailer iovecs, and reports every byte sent in <c>*sbytes</c>;
/// macOS sends the header iovecs, then <c>*len</c> minus the header bytes of the file, then the
/// trailers, and reports every byte sent in <c>*len</c>. Each call takes any prefix of what it was
/// offered (EAGAIN or EINTR part-way); once the file is done, what is left goes by writev. The
/// bytes taken over the whole send must be header, file window and trailer, in order, once.
/// </summary>
public class SendfileProgressProperties
{
    public enum Form
    {
        FreeBsd,
        MacOS,
    }

    public sealed record Case(byte[][] Headers, int FileOffset, int FileLength, byte[][] Trailers, Form Form, int[] Takes);

    private static Gen<byte[]> Piece =>
        Gen.Frequency(
            (1, Gen.Constant(Array.Empty<byte>())),
            (6, Gen.Choose(1, 40).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n))));

    private static Arbitrary<Case> Cases =>
        (from headerCount in Gen.Choose(0, 5)
         from headers in Gen.ArrayOf(Piece, headerCount)
         from fileOffset in Gen.Choose(0, 50)
         from fileLength in Gen.Frequency((1, Gen.Constant(0)), (5, Gen.Choose(1, 300)))
         from trailerCount in Gen.Choose(0, 4)
         from trailers in Gen.ArrayOf(Piece, trailerCount)
         from form in Gen.Elements(Form.FreeBsd, Form.MacOS)
         from takeCount in Gen.Choose(1, 12)
         from takes in Gen.ArrayOf(Gen.Choose(0, 120), takeCount)
         select new Case(headers, fileOffset, fileLength, trailers, form, takes)).ToArbitrary();

    private static byte FileByte(long position) => (byte)((position * 31) + 7);

    [Fact]
    public void EveryByteIsTakenOnceInOrderInBothForms()
    {
        Prop.ForAll(Cases, c =>
        {
            byte[] expected = c.Headers.SelectMany(p => p)
                .Concat(Enumerable.Range(c.FileOffset, c.FileLength).Select(i => FileByte(i)))
                .Concat(c.Trailers.SelectMany(p => p))
                .ToArray();
            return Drive(c).AsSpan().SequenceEqual(expected);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TheSplitAlwaysAddsUpAndASendfileNeverAsksForZeroFileBytes()
    {
        Prop.ForAll(Cases, c =>
        {
            var progress = Start(c);
            int turn = 0;
            while (!progress.IsComplete)
            {
                bool consistent = progress.HeaderSent + progress.FileSent + progress.TrailerSent == progress.Sent
                    && progress.HeaderSent <= progress.HeaderLength
                    && progress.FileSent <= progress.FileLength
                    && progress.TrailerSent <= progress.TrailerLength
                    && (progress.FileSent == 0 || progress.HeaderRemaining == 0)
                    && (progress.TrailerSent == 0 || progress.FileRemaining == 0);

                // 0 means "to end of file" in both forms: a sendfile step must never pass it.
                bool nonZero = !progress.NeedsSendfile
                    || (progress.FreeBsdNBytes > 0 && progress.MacOSLength > progress.HeaderRemaining);
                if (!consistent || !nonZero)
                {
                    return false;
                }

                progress = progress.Advance(Math.Min(c.Takes[turn++ % c.Takes.Length] + 1, progress.Remaining));
            }

            return progress.Sent == progress.HeaderLength + progress.FileLength + progress.TrailerLength;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void AHeaderCutInsideAPieceResumesAtTheNextByte()
    {
        // 10 header bytes in two pieces, 100 file bytes at 1000, 5 trailer bytes; the kernel took 7.
        var progress = new SendfileProgress(10, 1000, 100, 5).Advance(7);
        Assert.Equal(7, progress.HeaderSent);
        Assert.Equal(3, progress.HeaderRemaining);
        Assert.Equal(1000, progress.NextFileOffset);
        Assert.Equal(100, progress.FreeBsdNBytes);
        Assert.Equal(103, progress.MacOSLength);

        // Then 3 header bytes and 40 file bytes.
        progress = progress.Advance(43);
        Assert.Equal(0, progress.HeaderRemaining);
        Assert.Equal(1040, progress.NextFileOffset);
        Assert.Equal(60, progress.FreeBsdNBytes);
        Assert.Equal(60, progress.MacOSLength);

        // Then the file's end and 2 trailer bytes: the rest goes by writev.
        progress = progress.Advance(62);
        Assert.False(progress.NeedsSendfile);
        Assert.Equal(2, progress.TrailerSent);
        Assert.Equal(3, progress.TrailerRemaining);
        Assert.Equal(3, progress.Remaining);
    }

    [Fact]
    public void AdvancingPastTheEndIsAnAccountingBugNotAKernelAnswer()
    {
        var progress = new SendfileProgress(1, 0, 1, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => progress.Advance(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => progress.Advance(-1));
    }

    private static SendfileProgress Start(Case c) =>
        new(c.Headers.Sum(p => (long)p.Length), c.FileOffset, c.FileLength, c.Trailers.Sum(p => (long)p.Length));

    /// <summary>Plays the kernel with the same cursors the sender builds, and returns every byte it took.</summary>
    private static byte[] Drive(Case c)
    {
        PieceList headers = Pieces(c.Headers);
        PieceList trailers = Pieces(c.Trailers);
        SendfileProgress progress = Start(c);
        var taken = new List<byte>();
        int turn = 0;
        while (!progress.IsComplete)
        {
            byte[] offered;
            if (progress.NeedsSendfile)
            {
                byte[] headerRest = Rest(new PieceSequence(headers), progress.HeaderSent);
                long fileBytes = c.Form == Form.FreeBsd
                    ? progress.FreeBsdNBytes
                    : progress.MacOSLength - headerRest.Length; // macOS: *len counts the header iovecs' bytes
                byte[] file = Enumerable.Range(0, (int)fileBytes).Select(i => FileByte(progress.NextFileOffset + i)).ToArray();
                byte[] trailerRest = Rest(new PieceSequence(trailers), progress.TrailerSent);
                offered = headerRest.Concat(file).Concat(trailerRest).ToArray();
            }
            else
            {
                // writev of the rest of the headers (only when there is no file), then the trailers.
                offered = Rest(new PieceSequence(headers, default, trailers), progress.HeaderSent + progress.TrailerSent);
            }

            // Any prefix; a turn past the given takes takes everything, so every case ends.
            int take = turn < c.Takes.Length ? Math.Min(c.Takes[turn], offered.Length) : offered.Length;
            turn++;
            taken.AddRange(offered.Take(take));
            progress = progress.Advance(take);
        }

        return taken.ToArray();
    }

    private static byte[] Rest(PieceSequence pieces, long alreadySent)
    {
        var cursor = new IovecCursor(pieces);
        cursor.Advance(alreadySent);
        var window = new ReadOnlyMemory<byte>[Math.Max(pieces.Count, 1)];
        int entries = cursor.Gather(window, out _, out bool isLast);
        Assert.True(isLast);
        return window.Take(entries).SelectMany(m => m.ToArray()).ToArray();
    }

    private static PieceList Pieces(byte[][] pieces) =>
        new(pieces.Select(p => (ReadOnlyMemory<byte>)p).ToArray());
}
