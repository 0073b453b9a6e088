using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

/// <summary>One response as read off the wire.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A plain TCP connection that writes request bytes as given and reads responses by their framing
/// (Content-Length; no body for HEAD, 204 and 304): keep-alive and pipelining as a client really sends them.
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private readonly TcpClient _client;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public RawHttpConnection(Uri baseAddress)
    {
        _client = new TcpClient();
        _client.Connect(baseAddress.Host, baseAddress.Port);
        _stream = _client.GetStream();
        Host = baseAddress.Authority;
    }

    public string Host { get; }

    public Socket Socket => _client.Client;

    public static string Get(string path, string host, string method = "GET", string extra = "") =>
        $"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n";

    public async Task SendAsync(string requests) => await _stream.WriteAsync(Encoding.ASCII.GetBytes(requests));

    public async Task<RawResponse> ReadResponseAsync(bool head = false)
    {
        string headText = await ReadHeadAsync();
        string[] lines = headText.Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            headers[lines[i][..colon]] = lines[i][(colon + 1)..].Trim();
        }

        Assert.False(headers.ContainsKey("Transfer-Encoding"), "the response is chunked: " + headText);
        long length = head || status is 204 or 304 ? 0 : long.Parse(headers["Content-Length"], CultureInfo.InvariantCulture);
        byte[] body = new byte[length];
        int filled = 0;
        while (filled < length)
        {
            if (_start == _end)
            {
                await FillAsync();
            }

            int take = (int)Math.Min(length - filled, _end - _start);
            Buffer.BlockCopy(_buffer, _start, body, filled, take);
            _start += take;
            filled += take;
        }

        return new RawResponse(status, headers, body);
    }

    /// <summary>Reads at most <paramref name="count"/> bytes of whatever comes next.</summary>
    public async Task<int> ReadSomeAsync(int count)
    {
        if (_start == _end)
        {
            await FillAsync();
        }

        int take = Math.Min(count, _end - _start);
        _start += take;
        return take;
    }

    /// <summary>True when the server closed the connection (end of stream) with nothing more to read.</summary>
    public async Task<bool> AtEndAsync()
    {
        if (_start != _end)
        {
            return false;
        }

        int n = await _stream.ReadAsync(_buffer);
        _start = 0;
        _end = n;
        return n == 0;
    }

    private async Task<string> ReadHeadAsync()
    {
        var head = new List<byte>();
        while (true)
        {
            if (_start == _end)
            {
                await FillAsync();
            }

            head.Add(_buffer[_start++]);
            int n = head.Count;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n')
            {
                return Encoding.ASCII.GetString(head.ToArray(), 0, n - 4);
            }
        }
    }

    private async Task FillAsync()
    {
        int n = await _stream.ReadAsync(_buffer);
        if (n == 0)
        {
            throw new EndOfStreamException("The server closed the connection mid-response.");
        }

        _start = 0;
        _end = n;
    }

    public void Dispose() => _client.Dispose();
}
