using System;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Buffers;

/// <summary>
/// The owner of one rented, pinned, page-aligned buffer from a <see cref="PinnedBufferPool"/>.
/// Fill it through <see cref="Span"/> or <see cref="Memory"/>, then give it to
/// <see cref="ZeroCopySocket.SendPinnedAsync(PinnedBuffer, int, System.Threading.CancellationToken)"/>
/// (which takes ownership) or <see cref="Dispose"/> it.
/// </summary>
/// <remarks>
/// <para>Ownership is the safety contract of zero-copy sends: the kernel reads the pages after the
/// send call returned, until its completion arrives, so nobody may write them in between. Once a
/// send took the buffer (or it was disposed), every copy of this handle stops giving access:
/// <see cref="Span"/>, <see cref="Memory"/> and another send throw <see cref="ObjectDisposedException"/>.
/// The handle carries a generation number, so even after the pool has rented the same memory to
/// someone else, an old handle still throws instead of touching the new owner's bytes.</para>
/// <para>A <see cref="Memory{T}"/> taken from <see cref="Memory"/> is checked when its
/// <see cref="Memory{T}.Span"/> is read (it throws while the buffer is in flight), but it cannot
/// carry the generation: like any <c>IMemoryOwner</c> memory, do not keep it past the send.</para>
/// <para>This is a handle (a struct); <c>default</c> owns nothing.</para>
/// </remarks>
public readonly struct PinnedBuffer : IDisposable, IEquatable<PinnedBuffer>
{
    private readonly PinnedSegment? _segment;
    private readonly long _generation;

    internal PinnedBuffer(PinnedSegment segment, long generation)
    {
        _segment = segment;
        _generation = generation;
    }

    /// <summary>The buffer's size in bytes (its size class: at least what was asked for).</summary>
    /// <exception cref="ObjectDisposedException">This handle no longer owns the buffer.</exception>
    public int Capacity => OwnedSegment().Length;

    /// <summary>Whether this handle still owns its buffer (not sent, not disposed, not <c>default</c>).</summary>
    public bool IsOwned => _segment is not null && _segment.IsOwnedBy(_generation);

    /// <summary>The pool the buffer came from, or <see langword="null"/> for <c>default</c>.</summary>
    public PinnedBufferPool? Pool => _segment?.Pool;

    /// <summary>The whole buffer, writable while this handle owns it.</summary>
    /// <exception cref="ObjectDisposedException">This handle no longer owns the buffer.</exception>
    public unsafe Span<byte> Span
    {
        get
        {
            PinnedSegment segment = OwnedSegment();
            return new Span<byte>(segment.Address, segment.Length);
        }
    }

    /// <summary>The whole buffer as <see cref="Memory{T}"/> (for APIs that need it); do not keep it past the send.</summary>
    /// <exception cref="ObjectDisposedException">This handle no longer owns the buffer.</exception>
    public Memory<byte> Memory => OwnedSegment().Memory;

    internal PinnedSegment? Segment => _segment;

    internal long Generation => _generation;

    /// <summary>Returns an unsent buffer to its pool at once. Does nothing if it was already sent or disposed.</summary>
    public void Dispose()
    {
        if (_segment is not null && _segment.TryFreeFromRented(_generation))
        {
            _segment.Pool.ReturnFromRented(_segment);
        }
    }

    /// <inheritdoc/>
    public bool Equals(PinnedBuffer other) => ReferenceEquals(_segment, other._segment) && _generation == other._generation;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PinnedBuffer other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_segment, _generation);

    /// <summary>Compares two handles: equal when they are the same rental of the same memory.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">Another handle.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(PinnedBuffer left, PinnedBuffer right) => left.Equals(right);

    /// <summary>Compares two handles: unequal unless they are the same rental of the same memory.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">Another handle.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(PinnedBuffer left, PinnedBuffer right) => !left.Equals(right);

    private PinnedSegment OwnedSegment()
    {
        PinnedSegment? segment = _segment;
        if (segment is null || !segment.IsOwnedBy(_generation))
        {
            PinnedThrowHelper.ThrowBufferNotOwned();
        }

        return segment;
    }
}
