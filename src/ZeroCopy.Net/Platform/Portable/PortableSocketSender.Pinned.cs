using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using System.Threading;
using System;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;

namespace ZeroCopy.Net.Platform.Portable;

internal partial class PortableSocketSender
{
    /// <summary>
    /// Copies through the BCL's Socket.SendAsync:
    /// the kernel has the bytes when each call returns, so the buffers go back to the pool at once.
    /// Counted as copied. Several buffers on a datagram socket are gathered into one pooled array first,
    /// so they still leave as one datagram.
    /// </summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask SendPinnedAsync(PinnedSendBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            long total = batch.TotalLength;
            if (_socket.SocketType == SocketType.Dgram)
            {
                await SendDatagramAsync(batch, (int)total, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                long sent = 0;
                for (int i = 0; i < batch.Count; i++)
                {
                    ReadOnlyMemory<byte> piece = batch.MemoryOf(i);
                    while (!piece.IsEmpty)
                    {
                        ThrowIfDisposing(sent, total);
                        int n = await SendAsync(piece, cancellationToken).ConfigureAwait(false);
                        piece = piece.Slice(n);
                        sent += n;
                    }
                }
            }

            _statistics.AddPortableCopied(total);
            _statistics.AddPinnedCopied(total, PinnedCopyReason.Portable);
            _statistics.AddPinnedSendCall();
        }
        finally
        {
            batch.Release();
        }
    }

    private async ValueTask SendDatagramAsync(PinnedSendBatch batch, int total, CancellationToken cancellationToken)
    {
        ThrowIfDisposing(0, total);
        if (batch.Count == 1)
        {
            _ = await SendAsync(batch.MemoryOf(0), cancellationToken).ConfigureAwait(false);
            return;
        }

        byte[] gathered = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        try
        {
            int offset = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                ReadOnlyMemory<byte> piece = batch.MemoryOf(i);
                piece.Span.CopyTo(gathered.AsSpan(offset));
                offset += piece.Length;
            }

            _ = await SendAsync(gathered.AsMemory(0, total), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    private ValueTask<int> SendAsync(ReadOnlyMemory<byte> memory, CancellationToken cancellationToken)
    {
#if NETSTANDARD2_0
        cancellationToken.ThrowIfCancellationRequested();
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment))
        {
            // netstandard2.0's Socket takes arrays only: copy native memory through a pooled array.
            return SendCopiedAsync(memory);
        }

        return new ValueTask<int>(_socket.SendAsync(segment, SocketFlags.None));
#else
        return _socket.SendAsync(memory, SocketFlags.None, cancellationToken);
#endif
    }

#if NETSTANDARD2_0
    private async ValueTask<int> SendCopiedAsync(ReadOnlyMemory<byte> memory)
    {
        byte[] array = ArrayPool<byte>.Shared.Rent(Math.Max(memory.Length, 1));
        try
        {
            memory.Span.CopyTo(array);
            return await _socket.SendAsync(new ArraySegment<byte>(array, 0, memory.Length), SocketFlags.None).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
#endif

    /// <summary>
    /// A pinned body is sent as a memory body (one gather send with the headers and trailers): the
    /// BCL copies it into the kernel before each call returns, so the buffer goes back to its pool
    /// as soon as the send ends. Counted as a copied pinned send, like SendPinnedAsync here.
    /// </summary>
    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<long> SendWithPinnedBodyAsync(PieceList headers, PinnedSendBatch body, PieceList trailers, CancellationToken cancellationToken)
    {
        try
        {
            long length = body.TotalLength;
            long sent = await SendWithHeadersAsync(headers, SendBody.FromMemory(body.MemoryOf(0)), trailers, cancellationToken).ConfigureAwait(false);
            _statistics.AddPinnedCopied(length, PinnedCopyReason.Portable);
            _statistics.AddPinnedSendCall();
            return sent;
        }
        finally
        {
            body.Release();
        }
    }
}
