// Code the ZC analyzers flag (the packaging test expects each marked diagnostic in `dotnet build` output).
using System.IO;
using System.Net.Sockets;
using System.Threading.Tasks;
using ZeroCopy.Net;
using ZeroCopy.Net.Buffers;

namespace AnalyzerConsumer;

public static class Flagged
{
    // ZC0001 (info): a whole file read into an array and sent.
    public static void SendWholeFile(Socket socket, string path) => socket.Send(File.ReadAllBytes(path));

    // ZC0003 (warning): Socket.SendFile with pre- and post-buffers.
    public static void SendFileWithHeader(Socket socket, string path, byte[] header) =>
        socket.SendFile(path, header, null, TransmitFileOptions.UseDefaultWorkerThread);

    // ZC0010 (warning): a PinnedBuffer touched after SendPinnedAsync took it.
    public static async Task SendTwiceAsync(ZeroCopySocket zc)
    {
        PinnedBuffer buffer = zc.RentBuffer(64 * 1024);
        await zc.SendPinnedAsync(buffer, 64 * 1024);
        buffer.Span.Clear();
    }
}
