using System;
using System.Buffers;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.Bench;

/// <summary>
/// One 16 KiB file sent per operation over loopback TCP, a background thread draining the peer.
/// The question is the per-call cost and, above all, allocations per send: the library's handle and
/// path overloads must allocate nothing in steady state.
/// </summary>
/// <remarks>
/// The job is short (a fixed 1,024 sends per iteration, 3 warm-up and 12 measured iterations) so it
/// runs in seconds, and in process (no generated project to build). The fixed invocation count also
/// bounds the BCL's path overload, which leaks one descriptor and one advisory lock per call on Linux
/// (.NET 10): at about 20k calls a process runs out of descriptors (ulimit -n 20000 here), and every
/// leaked lock makes the next flock on that file slower. Each benchmark's setup writes a new file
/// (a new inode), so the BCL's leaked locks cannot slow the benchmarks that run after it.
/// </remarks>
[Config(typeof(ShortLoopbackConfig))]
[MemoryDiagnoser]
public class SmallFileSendBenchmarks : IDisposable
{
    private const int FileSize = 16 * 1024;
    private const int ChunkSize = 64 * 1024;

    private RandomBenchFile? _file;
    private DrainedLoopbackConnection? _connection;
    private Socket? _client;
    private ZeroCopySocket? _zc;

    [GlobalSetup]
    public void Setup()
    {
        _file = new RandomBenchFile("zc-bdn", FileSize, seed: 42);

        _connection = new DrainedLoopbackConnection();
        _client = _connection.Sender;
        _zc = new ZeroCopySocket(_client);
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    /// <summary>What users have now: Socket.SendFileAsync(path).</summary>
    [Benchmark(Baseline = true, Description = "BCL Socket.SendFileAsync(path)")]
    public ValueTask BclPath() => _client!.SendFileAsync(_file!.Path);

    [Benchmark(Description = "ZeroCopySocket.SendFileAsync(handle)")]
    public ValueTask<long> LibraryHandle() => _zc!.SendFileAsync(_file!.Handle);

    [Benchmark(Description = "ZeroCopySocket.SendFileAsync(path)")]
    public ValueTask<long> LibraryPath() => _zc!.SendFileAsync(_file!.Path);

    /// <summary>pread into a pooled 64 KiB buffer + Socket.SendAsync.</summary>
    [Benchmark(Description = "copy loop (pread + SendAsync, 64 KiB pooled)")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CopyLoop()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long offset = 0;
            while (offset < FileSize)
            {
                int n = RandomAccess.Read(_file!.Handle, buffer.AsSpan(0, (int)Math.Min(ChunkSize, FileSize - offset)), offset);
                ReadOnlyMemory<byte> chunk = buffer.AsMemory(0, n);
                while (!chunk.IsEmpty)
                {
                    chunk = chunk[await _client!.SendAsync(chunk, SocketFlags.None).ConfigureAwait(false)..];
                }

                offset += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        _zc?.Dispose();
        _connection?.Dispose();
        _file?.Dispose();

        GC.SuppressFinalize(this);
    }
}
