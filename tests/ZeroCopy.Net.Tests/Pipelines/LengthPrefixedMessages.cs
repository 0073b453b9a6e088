using System;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace ZeroCopy.Net.Tests.Pipelines;

/// <summary>
/// Protocol code of the kind users already have: writes messages (4-byte little-endian length, then the
/// payload) into any <see cref="PipeWriter"/> with GetSpan/Advance only, knowing nothing of ZeroCopy.Net.
/// </summary>
public static class LengthPrefixedMessages
{
    /// <summary>The payload's byte <paramref name="position"/> of message <paramref name="index"/>: derived from the seed, so the receiver can check it.</summary>
    public static byte At(int seed, int index, int position) => (byte)((position * 31) ^ (position >> 8) ^ (index * 97) ^ seed);

    public static void Write(PipeWriter writer, int seed, int index, int length)
    {
        Span<byte> head = writer.GetSpan(4);
        BinaryPrimitives.WriteInt32LittleEndian(head, length);
        writer.Advance(4);
        int written = 0;
        while (written < length)
        {
            Span<byte> span = writer.GetSpan();
            int n = Math.Min(span.Length, length - written);
            for (int i = 0; i < n; i++)
            {
                span[i] = At(seed, index, written + i);
            }

            writer.Advance(n);
            written += n;
        }
    }

    /// <summary>Receives exactly <paramref name="lengths"/>.Length messages and checks each length and every payload byte, then that nothing follows until EOF when <paramref name="expectEof"/>.</summary>
    public static async Task ReceiveAndVerifyAsync(Socket socket, int seed, int[] lengths, bool expectEof, CancellationToken cancellationToken)
    {
        var reader = new SocketBytes(socket);
        var head = new byte[4];
        for (int index = 0; index < lengths.Length; index++)
        {
            await reader.ReadExactlyAsync(head, cancellationToken);
            int length = BinaryPrimitives.ReadInt32LittleEndian(head);
            Assert.True(length == lengths[index], $"message {index}: length {length}, expected {lengths[index]}");
            var payload = new byte[length];
            await reader.ReadExactlyAsync(payload, cancellationToken);
            for (int i = 0; i < length; i++)
            {
                if (payload[i] != At(seed, index, i))
                {
                    Assert.Fail($"message {index} byte {i} is {payload[i]}, expected {At(seed, index, i)} (seed {seed})");
                }
            }
        }

        if (expectEof)
        {
            int extra = await socket.ReceiveAsync(new byte[1].AsMemory(), SocketFlags.None, cancellationToken);
            Assert.Equal(0, extra);
        }
    }

    private sealed class SocketBytes
    {
        private readonly Socket _socket;
        private readonly byte[] _buffer = new byte[256 * 1024];
        private int _start;
        private int _end;

        public SocketBytes(Socket socket) => _socket = socket;

        public async Task ReadExactlyAsync(byte[] destination, CancellationToken cancellationToken)
        {
            int filled = 0;
            while (filled < destination.Length)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await _socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cancellationToken);
                    if (_end == 0)
                    {
                        Assert.Fail($"EOF after {filled} of {destination.Length} bytes");
                    }
                }

                int n = Math.Min(_end - _start, destination.Length - filled);
                Buffer.BlockCopy(_buffer, _start, destination, filled, n);
                _start += n;
                filled += n;
            }
        }
    }
}
