using System;

namespace ZeroCopy.Net.Internal;

/// <summary>
/// A list of byte pieces given either as one piece or as a caller-owned list of pieces, without
/// allocating: the single-header overloads need no array.
/// </summary>
internal readonly struct PieceList
{
    private readonly ReadOnlyMemory<ReadOnlyMemory<byte>> _many;
    private readonly ReadOnlyMemory<byte> _single;
    private readonly bool _isSingle;

    /// <summary>No pieces.</summary>
    public static PieceList Empty => new(ReadOnlyMemory<ReadOnlyMemory<byte>>.Empty);

    public PieceList(ReadOnlyMemory<byte> single)
    {
        _many = default;
        _single = single;
        _isSingle = true;
    }

    public PieceList(ReadOnlyMemory<ReadOnlyMemory<byte>> many)
    {
        _many = many;
        _single = default;
        _isSingle = false;
    }

    public int Count => _isSingle ? 1 : _many.Length;

    public ReadOnlyMemory<byte> this[int index] => _isSingle ? _single : _many.Span[index];

    /// <summary>Sum of the pieces' lengths.</summary>
    public long TotalLength
    {
        get
        {
            if (_isSingle)
            {
                return _single.Length;
            }

            long total = 0;
            foreach (ReadOnlyMemory<byte> piece in _many.Span)
            {
                total += piece.Length;
            }

            return total;
        }
    }

    /// <summary>Copies every piece, in order, into <paramref name="destination"/> from <paramref name="at"/>; returns the index after the last byte.</summary>
    public int CopyTo(byte[] destination, int at)
    {
        for (int i = 0; i < Count; i++)
        {
            ReadOnlySpan<byte> piece = this[i].Span;
            piece.CopyTo(destination.AsSpan(at));
            at += piece.Length;
        }

        return at;
    }
}

/// <summary>
/// What one corked send hands to the kernel, in order: the head pieces (headers), one middle piece
/// (a memory body, or a small file body read into a pooled buffer; empty otherwise), and the tail
/// pieces (trailers). Indexing is O(1) so a cursor can walk it without copying the lists.
/// </summary>
internal readonly struct PieceSequence
{
    private readonly PieceList _head;
    private readonly ReadOnlyMemory<byte> _middle;
    private readonly PieceList _tail;

    public PieceSequence(PieceList head, ReadOnlyMemory<byte> middle, PieceList tail)
    {
        _head = head;
        _middle = middle;
        _tail = tail;
    }

    /// <summary>A sequence of only <paramref name="pieces"/>.</summary>
    public PieceSequence(PieceList pieces)
        : this(pieces, default, PieceList.Empty)
    {
    }

    public int Count => _head.Count + 1 + _tail.Count;

    public ReadOnlyMemory<byte> this[int index]
    {
        get
        {
            int headCount = _head.Count;
            if (index < headCount)
            {
                return _head[index];
            }

            return index == headCount ? _middle : _tail[index - headCount - 1];
        }
    }

    public long TotalLength => _head.TotalLength + _middle.Length + _tail.TotalLength;
}
