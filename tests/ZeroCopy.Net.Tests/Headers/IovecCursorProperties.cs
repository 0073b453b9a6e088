using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Tests.Headers;

/// <summary>
/// The iovec cursor is what makes a partial sendmsg resume at the right byte. These properties
/// play the kernel: each call takes any prefix of the window (0 bytes, a cut inside any element,
/// or all of it), and the bytes taken over the whole send must be exactly the pieces'
/// concatenation, in order, once.
/// </summary>
public class IovecCursorProperties
{
    public sealed record Case(byte[][] Head, byte[] Middle, byte[][] Tail, int WindowEntries, int[] Takes);

    private static Gen<byte[]> Piece =>
        Gen.Frequency(
            (1, Gen.Constant(Array.Empty<byte>())),
            (6, Gen.Choose(1, 40).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n))));

    private static Arbitrary<Case> Cases =>
        (from headCount in Gen.Choose(0, 20)
         from head in Gen.ArrayOf(Piece, headCount)
         from middle in Piece
         from tailCount in Gen.Choose(0, 4)
         from tail in Gen.ArrayOf(Piece, tailCount)
         from window in Gen.Choose(1, 9)
         from takeCount in Gen.Choose(1, 12)
         from takes in Gen.ArrayOf(Gen.Choose(0, 1000), takeCount)
         select new Case(head, middle, tail, window, takes)).ToArbitrary();

    [Fact]
    public void BytesHandedToTheKernelAreTheConcatenationInOrderOnce()
    {
        Prop.ForAll(Cases, c =>
        {
            byte[] expected = c.Head.Concat(new[] { c.Middle }).Concat(c.Tail).SelectMany(p => p).ToArray();
            byte[] got = Drive(c);
            return got.AsSpan().SequenceEqual(expected);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void WindowsHoldNoEmptySliceAndTheLastWindowFlagIsExact()
    {
        Prop.ForAll(Cases, c =>
        {
            var cursor = new IovecCursor(Sequence(c));
            var window = new ReadOnlyMemory<byte>[c.WindowEntries];
            int turn = 0;
            while (!cursor.IsComplete)
            {
                int entries = cursor.Gather(window, out long bytes, out bool isLast);
                if (entries == 0 || window.Take(entries).Any(s => s.IsEmpty) || bytes <= 0)
                {
                    return false;
                }

                if (isLast != (bytes == cursor.Remaining))
                {
                    return false;
                }

                cursor.Advance(Take(c, turn++, bytes));
            }

            return cursor.Gather(window, out long rest, out bool last) == 0 && rest == 0 && last;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void MoreThanUioMaxiovPiecesAreSplitIntoWindowsNotRefused()
    {
        var pieces = Enumerable.Range(0, 3000).Select(i => (ReadOnlyMemory<byte>)new[] { (byte)i, (byte)(i >> 8) }).ToArray();
        var cursor = new IovecCursor(new PieceSequence(new PieceList(pieces)));
        var window = new ReadOnlyMemory<byte>[Interop.Linux.UIO_MAXIOV];
        var got = new List<byte>();
        int calls = 0;
        while (!cursor.IsComplete)
        {
            int entries = cursor.Gather(window, out long bytes, out _);
            Assert.True(entries <= Interop.Linux.UIO_MAXIOV);
            foreach (ReadOnlyMemory<byte> slice in window.Take(entries))
            {
                got.AddRange(slice.ToArray());
            }

            cursor.Advance(bytes);
            calls++;
        }

        Assert.Equal(3, calls);
        Assert.Equal(pieces.SelectMany(p => p.ToArray()), got);
    }

    [Fact]
    public void AdvancingPastTheEndIsRefused()
    {
        var cursor = new IovecCursor(new PieceSequence(new PieceList(new byte[] { 1, 2, 3 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => cursor.Advance(4));
    }

    private static PieceSequence Sequence(Case c)
        => new(new PieceList(c.Head.Select(p => (ReadOnlyMemory<byte>)p).ToArray()), c.Middle, new PieceList(c.Tail.Select(p => (ReadOnlyMemory<byte>)p).ToArray()));

    /// <summary>The kernel's answer for one call: any count from 0 to the whole window; never three zeros in a row (the real loop would wait for writability).</summary>
    private static long Take(Case c, int turn, long windowBytes)
    {
        int pick = c.Takes[turn % c.Takes.Length];
        return turn % 3 == 2 ? Math.Max(1, pick % (windowBytes + 1)) : pick % (windowBytes + 1);
    }

    private static byte[] Drive(Case c)
    {
        var cursor = new IovecCursor(Sequence(c));
        var window = new ReadOnlyMemory<byte>[c.WindowEntries];
        var handed = new List<byte>();
        int turn = 0;
        while (!cursor.IsComplete)
        {
            int entries = cursor.Gather(window, out long bytes, out _);
            long take = Take(c, turn++, bytes);

            // The "kernel" copies the first `take` bytes of the window, across element boundaries.
            long left = take;
            for (int i = 0; i < entries && left > 0; i++)
            {
                int n = (int)Math.Min(left, window[i].Length);
                handed.AddRange(window[i].Span.Slice(0, n).ToArray());
                left -= n;
            }

            cursor.Advance(take);
        }

        return handed.ToArray();
    }
}
