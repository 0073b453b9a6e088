using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using ZeroCopy.Net.Buffers;

namespace ZeroCopy.Net.Bench;

/// <summary>
/// What one pinned send costs the sending thread, against the floor: the same send(2) called straight
/// through P/Invoke, with and without MSG_ZEROCOPY, and the BCL's <c>Socket.SendAsync</c>. A connected
/// UDP socket on loopback whose peer never reads: the kernel copies the datagram (loopback always does,
/// MSG_ZEROCOPY included, and the completion says COPIED) and drops it at the full receive buffer, so
/// every call completes at once and the difference between rows is per-send software cost (issue 12:
/// "say where each remaining 100 ns goes"). The raw MSG_ZEROCOPY row drains the error queue every 8
/// sends, the library's schedule. Run:
/// <c>dotnet run -c Release --project bench/ZeroCopy.Net.Bench -- --filter '*PinnedSendCost*'</c>
/// </summary>
[Config(typeof(LongLoopbackConfig))]
[MemoryDiagnoser]
public unsafe class PinnedSendCostBenchmarks : IDisposable
{
    private const int MSG_ZEROCOPY = 0x4000000;
    private const int MSG_ERRQUEUE = 0x2000;
    private const int MSG_DONTWAIT = 0x40;
    private const int SOL_SOCKET = 1;
    private const int SO_ZEROCOPY = 60;

    private Socket? _receiver;
    private Socket? _raw;
    private Socket? _rawZeroCopy;
    private Socket? _bcl;
    private Socket? _copySocket;
    private Socket? _zeroCopySocket;
    private ZeroCopySocket? _libraryCopy;
    private ZeroCopySocket? _libraryZeroCopy;
    private PinnedBufferPool? _pool;
    private PinnedBuffer _rawBuffer;
    private byte* _rawPointer;
    private byte[] _bclBuffer = Array.Empty<byte>();
    private int _rawSends;

    /// <summary>Datagram size: one MTU-sized message, and the sizes around the copy/zero-copy crossover.</summary>
    [Params(1200, 8192, 32768)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _receiver.ReceiveBufferSize = 4096; // full at once: every datagram after the first few is dropped
        _raw = Connected();
        _rawZeroCopy = Connected();
        int one = 1;
        if (setsockopt((int)_rawZeroCopy.Handle, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(int)) != 0)
        {
            throw new InvalidOperationException($"SO_ZEROCOPY: errno {Marshal.GetLastPInvokeError()}");
        }

        _bcl = Connected();
        _copySocket = Connected();
        _zeroCopySocket = Connected();
        _pool = new PinnedBufferPool();
        _rawBuffer = _pool.Rent(Size);
        _rawBuffer.Span.Fill(7);
        fixed (byte* p = _rawBuffer.Span)
        {
            _rawPointer = p; // pool memory is pinned: the address never changes
        }

        _bclBuffer = new byte[Size];
        _libraryCopy = new ZeroCopySocket(_copySocket, new ZeroCopySocketOptions { BufferPool = _pool, PinnedZeroCopyThreshold = int.MaxValue });

        // COPIED adaptation off: on loopback every completion says COPIED, and the row must keep measuring MSG_ZEROCOPY.
        _libraryZeroCopy = new ZeroCopySocket(_zeroCopySocket, new ZeroCopySocketOptions { BufferPool = _pool, PinnedZeroCopyThreshold = 0, CopiedCompletionsBeforeFallback = 0 });
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    /// <summary>The floor: send(2) of pinned memory through P/Invoke.</summary>
    [Benchmark(Baseline = true, Description = "raw send(2)")]
    public long RawSend() => send((int)_raw!.Handle, _rawPointer, (nuint)Size, 0);

    /// <summary>send(MSG_ZEROCOPY) through P/Invoke, the error queue drained every 8 sends.</summary>
    [Benchmark(Description = "raw send(MSG_ZEROCOPY) + drain/8")]
    public long RawZeroCopySend()
    {
        int fd = (int)_rawZeroCopy!.Handle;
        long n = send(fd, _rawPointer, (nuint)Size, MSG_ZEROCOPY);
        if (++_rawSends % 8 == 0)
        {
            byte* control = stackalloc byte[128];
            while (true)
            {
                MessageHeader msg = default;
                msg.msg_control = control;
                msg.msg_controllen = 128;
                if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
                {
                    break;
                }
            }
        }

        return n;
    }

    /// <summary>What users have now.</summary>
    [Benchmark(Description = "BCL Socket.SendAsync(byte[])")]
    public ValueTask<int> Bcl() => _bcl!.SendAsync(_bclBuffer.AsMemory(0, Size), SocketFlags.None);

    /// <summary>Rent, send (copy mode: below the threshold), and the buffer back to the pool.</summary>
    [Benchmark(Description = "SendPinnedAsync, copy")]
    public ValueTask LibraryCopy() => _libraryCopy!.SendPinnedAsync(_pool!.Rent(Size), Size);

    /// <summary>Rent, send with MSG_ZEROCOPY, the completion tracked (the kernel copies on loopback).</summary>
    [Benchmark(Description = "SendPinnedAsync, MSG_ZEROCOPY")]
    public ValueTask LibraryZeroCopy() => _libraryZeroCopy!.SendPinnedAsync(_pool!.Rent(Size), Size);

    public void Dispose()
    {
        _libraryCopy?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _libraryZeroCopy?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rawBuffer.Dispose();
        foreach (Socket? socket in new[] { _raw, _rawZeroCopy, _bcl, _copySocket, _zeroCopySocket, _receiver })
        {
            socket?.Dispose();
        }

        _pool?.Dispose();
        GC.SuppressFinalize(this);
    }

    private Socket Connected()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(_receiver!.LocalEndPoint!);
        return socket;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* msg_name;
        public uint msg_namelen;
        public void* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint send(int fd, byte* buffer, nuint length, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint recvmsg(int fd, MessageHeader* msg, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int fd, int level, int name, void* value, int length);
}
