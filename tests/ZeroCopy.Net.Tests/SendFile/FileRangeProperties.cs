using System;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>The (offset, count) window check that runs before any byte is sent, as pure logic.</summary>
public class FileRangeProperties
{
    public sealed record Window(long FileLength, long Offset, long? Count);

    /// <summary>Lengths, offsets and counts near the interesting edges (0, the file's end, 2^31, 2^32, long.MaxValue) and anywhere.</summary>
    private static Gen<long> Edgy(Gen<long> near) =>
        Gen.OneOf(
            near,
            from n in near from d in Gen.Choose(-2, 2) select n + d,
            Gen.Elements(0L, 1L, 4095L, 4096L, 0x7ffff000L, 1L << 31, 1L << 32, long.MaxValue, long.MinValue, -1L),
            from hi in Gen.Choose(int.MinValue, int.MaxValue) from lo in Gen.Choose(int.MinValue, int.MaxValue) select ((long)hi << 32) | (uint)lo);

    private static Arbitrary<Window> Windows =>
        (from length in Gen.OneOf(Gen.Choose(0, 10_000).Select(i => (long)i), Gen.Elements(0L, 1L << 31, (1L << 31) + 4097, long.MaxValue))
         from offset in Edgy(Gen.Elements(0L, length, length / 2))
         from hasCount in Gen.Elements(true, true, false)
         from count in Edgy(Gen.Elements(0L, length - offset, length))
         select new Window(length, offset, hasCount ? count : null)).ToArbitrary();

    [Fact]
    public void ResolveAcceptsExactlyTheWindowsInsideTheFile()
    {
        Prop.ForAll(Windows, w =>
        {
            bool inside = w.Offset >= 0 && w.Offset <= w.FileLength
                && (w.Count is null || (w.Count >= 0 && w.Count <= w.FileLength - w.Offset));
            try
            {
                long n = FileRange.Resolve(w.FileLength, w.Offset, w.Count);
                return inside && n == (w.Count ?? (w.FileLength - w.Offset)) && n >= 0 && w.Offset + n <= w.FileLength;
            }
            catch (ArgumentOutOfRangeException ex)
            {
                return !inside && (ex.ParamName == "offset" || ex.ParamName == "count");
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ValidateArgumentsRejectsExactlyNegativeValues()
    {
        Prop.ForAll(Windows, w =>
        {
            bool valid = w.Offset >= 0 && (w.Count is null || w.Count >= 0);
            try
            {
                FileRange.ValidateArguments(w.Offset, w.Count);
                return valid;
            }
            catch (ArgumentOutOfRangeException ex)
            {
                return !valid && ex.ParamName == (w.Offset < 0 ? "offset" : "count");
            }
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(0, 0, null, 0)]
    [InlineData(0, 0, 0L, 0)]
    [InlineData(10, 10, null, 0)]
    [InlineData(10, 10, 0L, 0)]
    [InlineData(10, 3, null, 7)]
    [InlineData(10, 3, 7L, 7)]
    [InlineData(2147487745, 0, null, 2147487745)]
    [InlineData(2147487745, 2147483648, null, 4097)]
    public void ResolveExamples(long length, long offset, long? count, long expected)
    {
        Assert.Equal(expected, FileRange.Resolve(length, offset, count));
    }

    [Theory]
    [InlineData(10, 11, null, "offset")]
    [InlineData(10, 11, 0L, "offset")]
    [InlineData(10, -1, null, "offset")]
    [InlineData(10, 0, 11L, "count")]
    [InlineData(10, 5, 6L, "count")]
    [InlineData(10, 1, long.MaxValue, "count")]
    [InlineData(10, 0, -1L, "count")]
    public void ResolveRejections(long length, long offset, long? count, string param)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => FileRange.Resolve(length, offset, count));
        Assert.Equal(param, ex.ParamName);
        Assert.Contains(count < 0 ? "negative" : length.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
    }
}
