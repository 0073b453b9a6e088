using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Headers;

/// <summary>
/// A request/response exchange over a loopback pair: the peer (<see cref="LoopbackPair.Server"/>)
/// writes a small request, the sender reads it and answers with header + body (+ trailer), and the
/// peer checks every byte of the answer before it sends the next request.
/// </summary>
internal static class ResponseExchange
{
    public const int HeaderLength = 200;
    public const int RequestLength = 32;

    /// <summary>A ~200 B header whose sequence number changes per response, so a reordered or repeated header is caught.</summary>
    public static void WriteHeader(byte[] header, int sequence, long bodyLength)
    {
        string text = $"HTTP/1.1 200 OK\r\nX-Seq: {sequence:D8}\r\nContent-Length: {bodyLength:D10}\r\nX-Pad: ";
        int n = Encoding.ASCII.GetBytes(text, 0, text.Length, header, 0);
        for (int i = n; i < header.Length - 4; i++)
        {
            header[i] = (byte)('a' + (i % 26));
        }

        header[^4] = (byte)'\r';
        header[^3] = (byte)'\n';
        header[^2] = (byte)'\r';
        header[^1] = (byte)'\n';
    }

    public static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer, int count)
    {
        int got = 0;
        while (got < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got, count - got), SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException($"The peer closed after {got} of {count} bytes.");
            }

            got += n;
        }
    }

    /// <summary>The file's bytes as the pattern says they are.</summary>
    public static byte[] Pattern(long offset, int count, int seed = 7)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            bytes[i] = TestFile.PatternByte(offset + i, seed);
        }

        return bytes;
    }
}
