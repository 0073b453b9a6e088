using System;
using System.IO;
using System.Net.Sockets;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.Bench;

/// <summary>
/// One response per operation: a 200-byte header and a 1 KiB or 4 KiB body, sent over loopback TCP
/// to a peer that a spinning thread drains (so no send pays for waking a sleeping reader). What each
/// form costs the sending thread, and what it allocates: the request/response harness
/// (bench/run-headers-bench.sh) shows the same sends inside a whole exchange, where the runtime's
/// socket machinery costs several times more than the send.
/// </summary>
/// <remarks>
/// The bar for 1 and 4 KiB bodies is the BCL sending header and a cached copy of the body in
/// one buffer (<see cref="BclOneBuffer"/>). Its fair counterpart is <see cref="LibraryMemory"/>, which
/// sends the same cached bytes. <see cref="LibraryHandle"/> reads the file for every response (pread
/// into the response buffer, then one sendmsg), so its counterpart is <see cref="BclPreadOneBuffer"/>,
/// what a user would write to do that with the BCL.
/// </remarks>
[Config(typeof(LongLoopbackConfig))]
[MemoryDiagnoser]
public class HeaderResponseSendBenchmarks : IDisposable
{
    private const int HeaderBytes = 200;

    private RandomBenchFile? _file;
    private DrainedLoopbackConnection? _connection;
    private ZeroCopySocket? _zc;
    private byte[] _header = Array.Empty<byte>();
    private byte[] _body = Array.Empty<byte>();
    private byte[] _oneBuffer = Array.Empty<byte>();
    private int _served;

    [Params(1024, 4096)]
    public int BodyBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _file = new RandomBenchFile($"zc-bdn-headers-{BodyBytes}", BodyBytes, seed: BodyBytes);
        _body = _file.Content;
        _header = new byte[HeaderBytes];
        for (int i = 0; i < _header.Length; i++)
        {
            _header[i] = (byte)('a' + (i % 26));
        }

        _oneBuffer = new byte[HeaderBytes + BodyBytes];
        _body.CopyTo(_oneBuffer, HeaderBytes);
        _connection = new DrainedLoopbackConnection(spin: true);
        _zc = new ZeroCopySocket(_connection.Sender);
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    /// <summary>The yardstick: header copied in front of a cached body, one Socket.SendAsync.</summary>
    [Benchmark(Baseline = true, Description = "BCL one buffer (cached body), SendAsync")]
    public ValueTask<int> BclOneBuffer()
    {
        TouchHeader();
        _header.CopyTo(_oneBuffer, 0);
        return _connection!.Sender.SendAsync(_oneBuffer.AsMemory(), SocketFlags.None);
    }

    /// <summary>The BCL reading the file per response: RandomAccess.Read (pread) into the buffer, one SendAsync.</summary>
    [Benchmark(Description = "BCL one buffer (pread body), SendAsync")]
    public ValueTask<int> BclPreadOneBuffer()
    {
        TouchHeader();
        _header.CopyTo(_oneBuffer, 0);
        _ = RandomAccess.Read(_file!.Handle, _oneBuffer.AsSpan(HeaderBytes, BodyBytes), 0);
        return _connection!.Sender.SendAsync(_oneBuffer.AsMemory(), SocketFlags.None);
    }

    [Benchmark(Description = "SendWithHeadersAsync(header, FromMemory(cached body))")]
    public ValueTask<long> LibraryMemory()
    {
        TouchHeader();
        return _zc!.SendWithHeadersAsync(_header, SendBody.FromMemory(_body));
    }

    [Benchmark(Description = "SendWithHeadersAsync(header, FromFile(handle, 0, count))")]
    public ValueTask<long> LibraryHandle()
    {
        TouchHeader();
        return _zc!.SendWithHeadersAsync(_header, SendBody.FromFile(_file!.Handle, 0, BodyBytes));
    }

    public void Dispose()
    {
        _zc?.Dispose();
        _connection?.Dispose();
        _file?.Dispose();

        GC.SuppressFinalize(this);
    }

    /// <summary>A real server's header changes per response.</summary>
    private void TouchHeader() => _header[0] = (byte)('A' + (_served++ % 26));
}
