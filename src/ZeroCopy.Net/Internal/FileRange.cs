using System;

namespace ZeroCopy.Net.Internal;

/// <summary>Validates an (offset, count) window against a file's length, before any byte is sent.</summary>
internal static class FileRange
{
    /// <summary>Returns the number of bytes to send; throws <see cref="ArgumentOutOfRangeException"/> for a window outside the file.</summary>
    public static long Resolve(long fileLength, long offset, long? count)
    {
        if ((ulong)offset > (ulong)fileLength)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(offset), $"Offset {offset} is outside the file, whose length is {fileLength}.");
        }

        long available = fileLength - offset;
        if (count is not long requested)
        {
            return available;
        }

        if ((ulong)requested > (ulong)available)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(count),
                requested < 0
                    ? $"Count {requested} is negative."
                    : $"Offset {offset} + count {requested} is past the end of the file, whose length is {fileLength}.");
        }

        return requested;
    }

    /// <summary>Checks the arguments that need no file: a negative offset or count fails at once.</summary>
    public static void ValidateArguments(long offset, long? count)
    {
        if (offset < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(offset), $"Offset {offset} is negative.");
        }

        if (count < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(count), $"Count {count} is negative.");
        }
    }
}
