#if !LIBRARY_NETSTANDARD
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using HttpStaticServer;
using Xunit;
using ZeroCopy.Net.Tests.Headers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.HttpServer;

/// <summary>
/// A folder of pattern files (and a secret file and symlinks outside it), served in-process by the
/// sample's <see cref="StaticFileServer"/> on a loopback port 0.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public static readonly long[] Sizes = { 0, 1, 100, 1023, 1024, 4096, 16383, 16384, 16385, 65535, 65536, 65537, (1 << 20) + 3, 5 << 20 };

    public const string Secret = "TOP-SECRET-OUTSIDE-THE-ROOT";

    private StaticFileServer? _server;

    public string Parent { get; } = Directory.CreateTempSubdirectory("zc-http-").FullName;

    public string Root => Path.Combine(Parent, "www");

    public int Port => _server!.Port;

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public static string NameFor(long size) => $"f{size}.bin";

    public static byte[] Content(long size) => Enumerable.Range(0, (int)size).Select(i => (byte)((i * 131) + (i >> 9) + size)).ToArray();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Root, "sub"));
        foreach (long size in Sizes)
        {
            await File.WriteAllBytesAsync(Path.Combine(Root, NameFor(size)), Content(size));
        }

        await File.WriteAllTextAsync(Path.Combine(Root, "sub", "index.html"), "<p>sub index</p>\n");
        await File.WriteAllTextAsync(Path.Combine(Root, "page.html"), "<p>hi</p>\n");
        await File.WriteAllTextAsync(Path.Combine(Parent, "secret.txt"), Secret);
        Directory.CreateDirectory(Path.Combine(Parent, "outside"));
        await File.WriteAllTextAsync(Path.Combine(Parent, "outside", "secret.txt"), Secret);
        File.CreateSymbolicLink(Path.Combine(Root, "link-out.txt"), Path.Combine(Parent, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "dir-out"), Path.Combine(Parent, "outside"));
        File.CreateSymbolicLink(Path.Combine(Root, "link-in.bin"), Path.Combine(Root, NameFor(1024)));

        _server = new StaticFileServer(Root, new IPEndPoint(IPAddress.Loopback, 0));
        _server.Start();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(Parent, recursive: true);
    }

    /// <summary>Runs curl; returns (exit code, stdout, stderr).</summary>
    public static async Task<(int Code, string Out, string Err)> CurlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Writes raw bytes on a new connection and reads until the server closes it or <paramref name="responses"/>
    /// status lines have arrived (Latin-1, so every byte is one char); fails with <see cref="OperationCanceledException"/>
    /// past <paramref name="deadline"/> (10 s unless given), never hangs.
    /// </summary>
    public Task<string> RawAsync(string request, int responses = 1, TimeSpan? deadline = null) => RawAsync(Port, request, responses, deadline);

    /// <inheritdoc cref="RawAsync(string, int, TimeSpan?)"/>
    public static async Task<string> RawAsync(int port, string request, int responses = 1, TimeSpan? deadline = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.Latin1.GetBytes(request), SocketFlags.None);
        var text = new StringBuilder();
        var buffer = new byte[64 * 1024];
        using var timeout = new System.Threading.CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(10));
        while (CountStatusLines(text.ToString()) < responses || !LastResponseComplete(text.ToString()))
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                break;
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }

        return text.ToString();
    }

    /// <summary>Reads until the server closes the connection (or resets it: then <c>Reset</c>), failing past <paramref name="deadline"/>.</summary>
    public static async Task<(byte[] Bytes, bool Reset)> ReadToEndAsync(Socket socket, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }

            return (received.ToArray(), false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return (received.ToArray(), true);
        }
    }

    private static int CountStatusLines(string text) => text.Split("HTTP/1.1 ").Length - 1;

    private static bool LastResponseComplete(string text)
    {
        int start = text.LastIndexOf("HTTP/1.1 ", StringComparison.Ordinal);
        int headEnd = text.IndexOf("\r\n\r\n", start < 0 ? 0 : start, StringComparison.Ordinal);
        if (start < 0 || headEnd < 0)
        {
            return false;
        }

        string head = text.Substring(start, headEnd - start);
        string? lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal));
        int length = lengthLine is null ? 0 : int.Parse(lengthLine.AsSpan(16), System.Globalization.CultureInfo.InvariantCulture);
        return text.Length - (headEnd + 4) >= length || head.StartsWith("HTTP/1.1 304", StringComparison.Ordinal);
    }
}
#endif
