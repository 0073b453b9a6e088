using System;
using System.Diagnostics;

namespace ZeroCopy.Net.Internal;

/// <summary>
/// Where a vectored send stands in its list of pieces: which piece, and how many of its bytes the
/// kernel has already taken. Pure logic, no I/O, so it is property-tested on its own
/// (tests/ZeroCopy.Net.Tests/Headers/IovecCursorProperties.cs).
/// </summary>
/// <remarks>
/// <para>sendmsg may take fewer bytes than its iovec describes (the socket buffer filled), and the
/// cut may fall inside any element. <see cref="Advance"/> moves past exactly the bytes the kernel
/// reported, so the next <see cref="Gather"/> starts at the first byte it did not take: every byte
/// is handed over once, in order.</para>
/// <para>Empty pieces are skipped, never turned into zero-length iovec entries, and a window never
/// holds more entries than its destination (UIO_MAXIOV for sendmsg): a longer list simply takes
/// several calls.</para>
/// </remarks>
internal struct IovecCursor
{
    private readonly PieceSequence _pieces;
    private int _index;
    private int _offset;
    private long _remaining;

    public IovecCursor(PieceSequence pieces)
    {
        _pieces = pieces;
        _index = 0;
        _offset = 0;
        _remaining = pieces.TotalLength;
        SkipEmpty();
    }

    /// <summary>Bytes not yet handed to the kernel.</summary>
    public readonly long Remaining => _remaining;

    /// <summary>True when every byte has been handed to the kernel.</summary>
    public readonly bool IsComplete => _remaining == 0;

    /// <summary>
    /// Writes the next slices, starting at the first byte not yet sent, into
    /// <paramref name="destination"/> (at most its length, never an empty slice).
    /// </summary>
    /// <param name="destination">Where the slices go; its length is the window's entry limit.</param>
    /// <param name="windowBytes">The total length of the slices written.</param>
    /// <param name="isLastWindow">True when the slices reach the end of the sequence (no later call is needed if the kernel takes them all).</param>
    /// <returns>The number of slices written.</returns>
    public readonly int Gather(Span<ReadOnlyMemory<byte>> destination, out long windowBytes, out bool isLastWindow)
    {
        int written = 0;
        long bytes = 0;
        int index = _index;
        int offset = _offset;
        int count = _pieces.Count;
        while (written < destination.Length && index < count)
        {
            ReadOnlyMemory<byte> piece = _pieces[index];
            if (piece.Length > offset)
            {
                ReadOnlyMemory<byte> slice = piece.Slice(offset);
                destination[written++] = slice;
                bytes += slice.Length;
            }

            index++;
            offset = 0;
        }

        windowBytes = bytes;
        isLastWindow = bytes == _remaining;
        return written;
    }

    /// <summary>Moves past <paramref name="bytes"/> bytes that the kernel reported as sent.</summary>
    public void Advance(long bytes)
    {
        Debug.Assert(bytes >= 0 && bytes <= _remaining, "The kernel cannot take more than it was given.");
        if ((ulong)bytes > (ulong)_remaining)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(bytes), $"Advance by {bytes} with only {_remaining} bytes left.");
        }

        _remaining -= bytes;
        while (bytes > 0)
        {
            int left = _pieces[_index].Length - _offset;
            if (bytes < left)
            {
                _offset += (int)bytes;
                return;
            }

            bytes -= left;
            _index++;
            _offset = 0;
        }

        SkipEmpty();
    }

    private void SkipEmpty()
    {
        int count = _pieces.Count;
        while (_index < count && _pieces[_index].Length == _offset)
        {
            _index++;
            _offset = 0;
        }
    }
}
