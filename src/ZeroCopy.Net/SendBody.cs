using System;
using System.IO;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net;

/// <summary>
/// The body of a <see cref="ZeroCopySocket.SendWithHeadersAsync(ReadOnlyMemory{ReadOnlyMemory{byte}}, SendBody, ReadOnlyMemory{ReadOnlyMemory{byte}}, System.Threading.CancellationToken)"/>:
/// a window of a file (sent with sendfile(2) where the kernel has it), bytes in memory (sent in the
/// same vectored sendmsg as the headers), or a pinned pool buffer (sent with MSG_ZEROCOPY where the
/// kernel has it). A value type: building one allocates nothing.
/// </summary>
/// <remarks>
/// <para>The file forms are validated like <see cref="ZeroCopySocket.SendFileAsync(string, long, long?, System.Threading.CancellationToken)"/>:
/// a negative offset or count fails here, a window past the end of the file fails when the send
/// starts, before any byte is sent. The caller keeps the handle or stream open until the send completes.</para>
/// <para>The pinned form (<see cref="FromPinned"/>) only names the buffer: the buffer changes hands
/// when the send starts, not here.</para>
/// </remarks>
public readonly struct SendBody
{
    private readonly object? _file;
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly long _offset;
    private readonly long? _count;

    private SendBody(SendBodyKind kind, object? file, long offset, long? count, ReadOnlyMemory<byte> memory)
    {
        Kind = kind;
        _file = file;
        _offset = offset;
        _count = count;
        _memory = memory;
    }

    /// <summary>No body: only the headers and trailers are sent.</summary>
    public static SendBody None => default;

    /// <summary>What kind of body this is.</summary>
    public SendBodyKind Kind { get; }

    internal long Offset => _offset;

    internal long? Count => _count;

    internal ReadOnlyMemory<byte> Memory => _memory;

    internal string Path => (string)_file!;

    internal SafeFileHandle Handle => (SafeFileHandle)_file!;

    internal FileStream Stream => (FileStream)_file!;

    // A pinned body always starts at the buffer's first byte (as SendPinnedAsync does), so the
    // offset field is free to carry the handle's generation: the struct stays as small as it was.
    internal PinnedBuffer Pinned => new((PinnedSegment)_file!, _offset);

    internal int PinnedLength => (int)_count.GetValueOrDefault();

    /// <summary>A window of the file at <paramref name="path"/>, opened read-only (no advisory lock) for the send and closed before it completes.</summary>
    /// <param name="path">The file.</param>
    /// <param name="offset">First byte to send. Default 0.</param>
    /// <param name="count">Bytes to send, or <see langword="null"/> for everything from <paramref name="offset"/> to the end.</param>
    /// <returns>The body.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is negative.</exception>
    public static SendBody FromFile(string path, long offset = 0, long? count = null)
    {
        if (path is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(path));
        }

        if (path.Length == 0)
        {
            ThrowHelper.ThrowArgument(nameof(path), "The path is empty.");
        }

        FileRange.ValidateArguments(offset, count);
        return new SendBody(SendBodyKind.FilePath, path, offset, count, default);
    }

    /// <summary>A window of the file behind an open handle. The handle's file position is not used; the handle stays open.</summary>
    /// <param name="file">A handle opened for reading.</param>
    /// <param name="offset">First byte to send. Default 0.</param>
    /// <param name="count">Bytes to send, or <see langword="null"/> for everything from <paramref name="offset"/> to the end.</param>
    /// <returns>The body.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is negative.</exception>
    public static SendBody FromFile(SafeFileHandle file, long offset = 0, long? count = null)
    {
        if (file is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(file));
        }

        FileRange.ValidateArguments(offset, count);
        return new SendBody(SendBodyKind.FileHandle, file, offset, count, default);
    }

    /// <summary>A window of the file behind an open stream (absolute offsets; the stream's position is not used). Data buffered for writing is flushed when the send starts.</summary>
    /// <param name="file">A readable file stream.</param>
    /// <param name="offset">First byte to send. Default 0.</param>
    /// <param name="count">Bytes to send, or <see langword="null"/> for everything from <paramref name="offset"/> to the end.</param>
    /// <returns>The body.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> is negative.</exception>
    public static SendBody FromFile(FileStream file, long offset = 0, long? count = null)
    {
        if (file is null)
        {
            ThrowHelper.ThrowArgumentNull(nameof(file));
        }

        FileRange.ValidateArguments(offset, count);
        return new SendBody(SendBodyKind.FileStream, file, offset, count, default);
    }

    /// <summary>Bytes in memory, sent in the same vectored sendmsg as the headers and trailers (the kernel copies them; no user-space copy). Keep the memory unchanged until the send completes.</summary>
    /// <param name="body">The bytes.</param>
    /// <returns>The body.</returns>
    public static SendBody FromMemory(ReadOnlyMemory<byte> body) => new(SendBodyKind.Memory, null, 0, body.Length, body);

    /// <summary>
    /// The first <paramref name="length"/> bytes of a pinned buffer rented from the socket's
    /// <see cref="ZeroCopySocket.BufferPool"/>, sent with MSG_ZEROCOPY where the kernel has it and the
    /// body is at least <see cref="ZeroCopySocketOptions.PinnedZeroCopyThreshold"/> bytes (a smaller
    /// body goes in the headers' sendmsg). Ownership and release follow
    /// <see cref="ZeroCopySocket.SendPinnedAsync(PinnedBuffer, int, System.Threading.CancellationToken)"/>:
    /// the send takes the buffer when it starts, and the pool gets it back when the kernel no longer reads it.
    /// </summary>
    /// <param name="buffer">A buffer the caller owns. Ownership and the pool are checked when the send starts (a buffer can be sent or disposed between here and there).</param>
    /// <param name="length">Bytes to send from the start of the buffer, 0 to its capacity.</param>
    /// <returns>The body.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is <c>default</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or larger than the buffer.</exception>
    public static SendBody FromPinned(PinnedBuffer buffer, int length)
    {
        PinnedSegment? segment = buffer.Segment;
        if (segment is null)
        {
            ThrowHelper.ThrowArgument(nameof(buffer), "The buffer is default: rent one from ZeroCopySocket.RentBuffer or a PinnedBufferPool.");
        }

        if ((uint)length > (uint)segment.Length)
        {
            PinnedThrowHelper.ThrowLengthOutOfRange(nameof(length), length, segment.Length);
        }

        return new SendBody(SendBodyKind.Pinned, segment, buffer.Generation, length, default);
    }
}

/// <summary>The kinds of <see cref="SendBody"/>.</summary>
public enum SendBodyKind
{
    /// <summary>No body (<see cref="SendBody.None"/>).</summary>
    None = 0,

    /// <summary>A file opened by path for the send.</summary>
    FilePath,

    /// <summary>A file behind a caller's <see cref="SafeFileHandle"/>.</summary>
    FileHandle,

    /// <summary>A file behind a caller's <see cref="System.IO.FileStream"/>.</summary>
    FileStream,

    /// <summary>Bytes in memory.</summary>
    Memory,

    /// <summary>A pinned buffer from a <see cref="PinnedBufferPool"/> (<see cref="SendBody.FromPinned"/>).</summary>
    Pinned,
}
