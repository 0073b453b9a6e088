using System;
using System.Buffers;
using System.IO;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace ZeroCopy.Net.Bench.Loopback;

/// <summary>One way of sending a whole file on a connected socket; one object per sample.</summary>
internal abstract class SendMethod : IAsyncDisposable
{
    public static readonly string[] All = ["zc-handle", "zc-path", "bcl-path", "bcl-path-nolock", "bcl-packets", "copy-loop"];

    protected SendMethod(Socket socket, string path, long length)
    {
        Socket = socket;
        Path = path;
        Length = length;
    }

    protected Socket Socket { get; }

    protected string Path { get; }

    protected long Length { get; }

    /// <summary>The library's statistics where the method goes through it (sendfile calls, EAGAIN waits).</summary>
    public virtual ZeroCopyStatistics? Statistics => null;

    public abstract ValueTask SendOnceAsync();

    public abstract ValueTask DisposeAsync();

    /// <param name="zc">The connection's ZeroCopySocket for the library's methods (one per socket: it owns the socket's reactor registration).</param>
    public static SendMethod Create(string name, Socket socket, ZeroCopySocket? zc, string path, long length) => name switch
    {
        "zc-handle" => new LibraryHandle(socket, zc ?? throw new ArgumentNullException(nameof(zc)), path, length),
        "zc-path" => new LibraryPath(socket, zc ?? throw new ArgumentNullException(nameof(zc)), path, length),
        // The same call in a process started with DOTNET_SYSTEM_IO_DISABLEFILELOCKING=1 (see Orchestrator):
        // what the BCL costs once its advisory lock is switched off, to separate the lock from the rest.
        "bcl-path" or "bcl-path-nolock" => new BclPath(socket, path, length),
        "bcl-packets" => new BclPackets(socket, path, length),
        "copy-loop" => new CopyLoop(socket, path, length),
        _ => throw new ArgumentException($"unknown method '{name}'; known: {string.Join(", ", All)}", nameof(name)),
    };

    /// <summary>ZeroCopySocket.SendFileAsync(SafeFileHandle): the file is opened once per sample, as a server caching handles would.</summary>
    private sealed class LibraryHandle : SendMethod
    {
        private readonly ZeroCopySocket _zc;
        private readonly SafeFileHandle _file;

        public LibraryHandle(Socket socket, ZeroCopySocket zc, string path, long length)
            : base(socket, path, length)
        {
            _zc = zc;
            _file = File.OpenHandle(path);
        }

        public override ZeroCopyStatistics Statistics => _zc.Statistics;

        // Pooled like the library's own async methods: the harness must not add allocations of its own.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public override async ValueTask SendOnceAsync()
        {
            long sent = await _zc.SendFileAsync(_file).ConfigureAwait(false);
            Check(sent);
        }

        public override ValueTask DisposeAsync()
        {
            _file.Dispose();
            return default;
        }
    }

    /// <summary>ZeroCopySocket.SendFileAsync(string): open, statx, sendfile, close on every call.</summary>
    private sealed class LibraryPath : SendMethod
    {
        private readonly ZeroCopySocket _zc;

        public LibraryPath(Socket socket, ZeroCopySocket zc, string path, long length)
            : base(socket, path, length) => _zc = zc;

        public override ZeroCopyStatistics Statistics => _zc.Statistics;

        // Pooled like the library's own async methods: the harness must not add allocations of its own.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public override async ValueTask SendOnceAsync()
        {
            long sent = await _zc.SendFileAsync(Path).ConfigureAwait(false);
            Check(sent);
        }

        public override ValueTask DisposeAsync() => default;
    }

    /// <summary>
    /// The BCL's Socket.SendFileAsync(string): what users have now. On Linux (.NET 10) it opens the
    /// file with an advisory lock on every call and does not close it (the harness counts the fds).
    /// </summary>
    private sealed class BclPath : SendMethod
    {
        public BclPath(Socket socket, string path, long length)
            : base(socket, path, length)
        {
        }

        public override ValueTask SendOnceAsync() => Socket.SendFileAsync(Path);

        public override ValueTask DisposeAsync() => default;
    }

    /// <summary>
    /// The BCL's handle-based route: Socket.SendPacketsAsync with one SendPacketsElement over a
    /// FileStream opened once per sample (a server caching handles), one reused SocketAsyncEventArgs.
    /// On Linux the runtime sends a FileStream element with sendfile(2), with no per-call open or lock:
    /// the fair BCL counterpart of zc-handle (bcl-path mostly measures its leaked flock calls).
    /// </summary>
    private sealed class BclPackets : SendMethod
    {
        private readonly FileStream _file;
        private readonly SocketAsyncEventArgs _args = new();
        private readonly SendPacketsElement[] _elements;
        private TaskCompletionSource<bool>? _pending;

        public BclPackets(Socket socket, string path, long length)
            : base(socket, path, length)
        {
            _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous); // SendPacketsElement demands an async FileStream
            _elements = [new SendPacketsElement(_file, 0, checked((int)length))];
            _args.SendPacketsElements = _elements;
            _args.Completed += (_, e) => _pending!.TrySetResult(true);
        }

        public override async ValueTask SendOnceAsync()
        {
            _pending = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Socket.SendPacketsAsync(_args))
            {
                await _pending.Task.ConfigureAwait(false);
            }

            if (_args.SocketError != SocketError.Success)
            {
                throw new SocketException((int)_args.SocketError);
            }

            Check(_args.BytesTransferred);
        }

        public override ValueTask DisposeAsync()
        {
            _args.Dispose();
            _file.Dispose();
            return default;
        }
    }

    /// <summary>pread into a 64 KiB ArrayPool buffer, Socket.SendAsync each chunk: the portable copy loop.</summary>
    private sealed class CopyLoop : SendMethod
    {
        private const int ChunkSize = 64 * 1024;
        private readonly SafeFileHandle _file;

        public CopyLoop(Socket socket, string path, long length)
            : base(socket, path, length) => _file = File.OpenHandle(path);

        // Pooled like the library's own async methods: the harness must not add allocations of its own.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public override async ValueTask SendOnceAsync()
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                long offset = 0;
                while (offset < Length)
                {
                    // The page cache is warm: a synchronous pread is a memcpy, as in a tuned server.
                    int n = RandomAccess.Read(_file, buffer.AsSpan(0, (int)Math.Min(ChunkSize, Length - offset)), offset);
                    if (n == 0)
                    {
                        throw new IOException("file shrank");
                    }

                    ReadOnlyMemory<byte> chunk = buffer.AsMemory(0, n);
                    while (!chunk.IsEmpty)
                    {
                        chunk = chunk[await Socket.SendAsync(chunk, SocketFlags.None).ConfigureAwait(false)..];
                    }

                    offset += n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        public override ValueTask DisposeAsync()
        {
            _file.Dispose();
            return default;
        }
    }

    private protected void Check(long sent)
    {
        if (sent != Length)
        {
            throw new InvalidOperationException($"sent {sent} of {Length}");
        }
    }
}
