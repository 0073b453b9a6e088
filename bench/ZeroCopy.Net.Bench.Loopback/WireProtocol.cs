using System;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace ZeroCopy.Net.Bench.Loopback;

/// <summary>
/// The sender and receiver agree on phases: the sender writes an 8-byte little-endian count, then
/// that many payload bytes; the receiver drains exactly that many and answers with 16 bytes (bytes
/// received, receiver CPU microseconds spent in the phase). A phase therefore ends when the last
/// byte has reached the receiving application, not when the last send returned.
/// </summary>
internal static class WireProtocol
{
    public const int HeaderSize = 8;
    public const int AckSize = 16;

    public static void WriteHeader(Socket socket, long payloadBytes)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteInt64LittleEndian(header, payloadBytes);
        SendAll(socket, header);
    }

    public static (long Received, long ReceiverCpuMicroseconds) ReadAck(Socket socket)
    {
        Span<byte> ack = stackalloc byte[AckSize];
        if (!ReceiveExactly(socket, ack))
        {
            throw new InvalidOperationException("The receiver closed the connection before acknowledging the phase.");
        }

        return (BinaryPrimitives.ReadInt64LittleEndian(ack), BinaryPrimitives.ReadInt64LittleEndian(ack[8..]));
    }

    public static void WriteAck(Socket socket, long received, long receiverCpuMicroseconds)
    {
        Span<byte> ack = stackalloc byte[AckSize];
        BinaryPrimitives.WriteInt64LittleEndian(ack, received);
        BinaryPrimitives.WriteInt64LittleEndian(ack[8..], receiverCpuMicroseconds);
        SendAll(socket, ack);
    }

    /// <summary>Fills <paramref name="buffer"/>; false if the peer closed first (at any point).</summary>
    public static bool ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = socket.Receive(buffer[got..], SocketFlags.None);
            if (n == 0)
            {
                return false;
            }

            got += n;
        }

        return true;
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[socket.Send(data, SocketFlags.None)..];
        }
    }
}
