using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform.Portable;

/// <summary>
/// SendWithHeadersAsync through the BCL: header and trailer pieces go in one gather send
/// (<c>Socket.SendAsync(IList&lt;ArraySegment&lt;byte&gt;&gt;, SocketFlags)</c>), a memory body in the same
/// gather send, a file body through the copy loop. No cork exists here, so the socket gets
/// <see cref="Socket.NoDelay"/> once, as on Linux, and the tail is never held by Nagle.
/// </summary>
internal partial class PortableSocketSender
{
    private readonly List<ArraySegment<byte>> _segments = new();
    private ReadOnlyMemory<byte>[]? _sliceScratch;
    private bool _noDelaySet;

    public override async ValueTask<long> SendWithHeadersAsync(PieceList headers, SendBody body, PieceList trailers, CancellationToken cancellationToken)
    {
        EnsureNoDelay();
        if (body.Kind is not (SendBodyKind.FilePath or SendBodyKind.FileHandle))
        {
            return await SendGatherAsync(new PieceSequence(headers, body.Memory, trailers), cancellationToken).ConfigureAwait(false);
        }

        long sent;
#if NETSTANDARD2_0
        // A non-owning wrapper for a caller's handle: disposing the stream must not close it.
        using (FileStream stream = body.Kind == SendBodyKind.FilePath
            ? new FileStream(body.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan)
            : new FileStream(new SafeFileHandle(body.Handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 1))
        {
            // The window is checked before the first header byte leaves.
            long toSend = FileRange.Resolve(stream.Length, body.Offset, body.Count);
            sent = await SendGatherAsync(new PieceSequence(headers), cancellationToken).ConfigureAwait(false);
            sent += await CopyLoopAsync(stream, body.Offset, toSend, cancellationToken).ConfigureAwait(false);
        }
#else
        bool owns = body.Kind == SendBodyKind.FilePath;
        SafeFileHandle handle = owns
            ? File.OpenHandle(body.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan)
            : body.Handle;
        try
        {
            // The window is checked before the first header byte leaves.
            long toSend = FileRange.Resolve(RandomAccess.GetLength(handle), body.Offset, body.Count);
            sent = await SendGatherAsync(new PieceSequence(headers), cancellationToken).ConfigureAwait(false);
            sent += await SendFileAsync(handle, body.Offset, toSend, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (owns)
            {
                handle.Dispose();
            }
        }
#endif
        sent += await SendGatherAsync(new PieceSequence(trailers), cancellationToken).ConfigureAwait(false);
        return sent;
    }

    /// <summary>Gather-sends the pieces with the BCL, resuming after a short send at the exact byte.</summary>
    private async ValueTask<long> SendGatherAsync(PieceSequence pieces, CancellationToken cancellationToken)
    {
        var cursor = new IovecCursor(pieces);
        long total = cursor.Remaining;
        int capacity = Math.Min(pieces.Count, Interop.Linux.UIO_MAXIOV);
        if (_sliceScratch is null || _sliceScratch.Length < capacity)
        {
            _sliceScratch = new ReadOnlyMemory<byte>[capacity];
        }

        ReadOnlyMemory<byte>[] slices = _sliceScratch;
        while (!cursor.IsComplete)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfDisposing(total - cursor.Remaining, total);
            int entries = cursor.Gather(slices.AsSpan(0, capacity), out _, out _);
            byte[]?[]? copies = null;
            try
            {
                _segments.Clear();
                for (int i = 0; i < entries; i++)
                {
                    if (MemoryMarshal.TryGetArray(slices[i], out ArraySegment<byte> segment))
                    {
                        _segments.Add(segment);
                    }
                    else
                    {
                        // Native or manager-backed memory: the BCL's list send takes arrays only.
                        copies ??= new byte[]?[entries];
                        byte[] copy = ArrayPool<byte>.Shared.Rent(slices[i].Length);
                        copies[i] = copy;
                        slices[i].Span.CopyTo(copy);
                        _segments.Add(new ArraySegment<byte>(copy, 0, slices[i].Length));
                    }
                }

                int n = await _socket.SendAsync(_segments, SocketFlags.None).ConfigureAwait(false);
                cursor.Advance(n);
                _statistics.AddPortableCopied(n);
            }
            finally
            {
                _segments.Clear();
                slices.AsSpan(0, entries).Clear();
                if (copies is not null)
                {
                    foreach (byte[]? copy in copies)
                    {
                        if (copy is not null)
                        {
                            ArrayPool<byte>.Shared.Return(copy);
                        }
                    }
                }
            }
        }

        return total;
    }
}
