// Before/after code of docs/adapting-socket-send.md. Each "// <name>" ... "// </name>" region is
// copied verbatim into the guide; tests/ZeroCopy.Net.Tests/Adoption/AdaptingGuideTests.cs checks it.
using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks;
using ZeroCopy.Net;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Pipelines;

namespace AdaptingSnippets;

public static class FileSends
{
    // <file-before>
    public static void SendFile(Socket socket, string path)
    {
        socket.Send(File.ReadAllBytes(path));
    }
    // </file-before>

    // <file-after>
    public static async Task SendFileAsync(Socket socket, string path)
    {
        await socket.SendFileZeroCopyAsync(path);
    }
    // </file-after>
}

public static class HeaderSends
{
    // <headers-before>
    public static async Task SendResponseAsync(Socket socket, byte[] header, string path)
    {
        await socket.SendAsync(header, SocketFlags.None);
        await socket.SendAsync(await File.ReadAllBytesAsync(path), SocketFlags.None);
    }
    // </headers-before>

    // <headers-after>
    public static async Task SendResponseAsync(ZeroCopySocket socket, ReadOnlyMemory<byte> header, string path)
    {
        await socket.SendWithHeadersAsync(header, SendBody.FromFile(path));
    }
    // </headers-after>
}

public static class PooledBufferSends
{
    // <pooled-before>
    public static async Task SendRecordAsync(Socket socket, int length, byte fill)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.AsSpan(0, length).Fill(fill);
            await socket.SendAsync(buffer.AsMemory(0, length), SocketFlags.None);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer); // safe: the kernel copied the bytes during SendAsync
        }
    }
    // </pooled-before>

    // <pooled-after>
    public static async Task SendRecordAsync(ZeroCopySocket socket, int length, byte fill)
    {
        PinnedBuffer buffer = socket.RentBuffer(length);
        buffer.Span.Slice(0, length).Fill(fill);
        // The send owns the buffer from here: it returns to the pool when the kernel's completion says
        // the kernel no longer reads it. Do not touch (or Dispose) it after this line.
        await socket.SendPinnedAsync(buffer, length);
    }
    // </pooled-after>
}

public static class ProtocolWriters
{
    // <protocol-writer>
    // Protocol code: knows only PipeWriter. It is the same before and after.
    public static void WriteMessage(PipeWriter writer, ReadOnlySpan<byte> payload)
    {
        Span<byte> span = writer.GetSpan(4 + payload.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, payload.Length);
        payload.CopyTo(span.Slice(4));
        writer.Advance(4 + payload.Length);
    }
    // </protocol-writer>

    // <pipe-before>
    public static async Task SendMessagesAsync(Socket socket, byte[][] messages)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        PipeWriter writer = PipeWriter.Create(stream);
        foreach (byte[] message in messages)
        {
            WriteMessage(writer, message);
        }

        await writer.FlushAsync();
        await writer.CompleteAsync();
    }
    // </pipe-before>

    // <pipe-after>
    public static async Task SendMessagesAsync(ZeroCopySocket socket, byte[][] messages)
    {
        PipeWriter writer = socket.CreatePipeWriter(new ZeroCopyPipeWriterOptions { LeaveOpen = true });
        foreach (byte[] message in messages)
        {
            WriteMessage(writer, message);
        }

        await writer.FlushAsync();
        await writer.CompleteAsync();
    }
    // </pipe-after>
}
