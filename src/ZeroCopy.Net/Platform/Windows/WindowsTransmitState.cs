using System;
using System.Runtime.InteropServices;
using System.Threading;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Kernel32;
using static ZeroCopy.Net.Interop.Mswsock;

namespace ZeroCopy.Net.Platform.Windows;

/// <summary>
/// What one socket's TransmitFile calls reuse, created on the first call and kept until disposal:
/// the native OVERLAPPED and TRANSMIT_FILE_BUFFERS (the kernel holds their addresses while the
/// call is in flight, so they live outside the GC heap), one native buffer for the gathered head
/// and tail, and the completion event with its one thread-pool wait registration.
/// </summary>
/// <remarks>
/// <para>Why an event and not the port: the runtime has bound the socket to its own I/O completion
/// port and owns every packet queued there. An OVERLAPPED whose hEvent has its low-order bit set
/// makes the kernel signal the event without queueing a packet (GetQueuedCompletionStatus docs), so
/// the runtime never sees our completion, and the event is waited for by
/// <see cref="ThreadPool.UnsafeRegisterWaitForSingleObject(WaitHandle, WaitOrTimerCallback, object, int, bool)"/>:
/// one of the pool's wait threads, shared with every other registration, not a blocked worker.</para>
/// <para>Zero allocations per send: the event is auto-reset and registered once with
/// executeOnlyOnce: false, so each completion runs the callback again with nothing new to allocate
/// on our side; the callback only bumps <see cref="Completed"/>.</para>
/// </remarks>
internal sealed unsafe class WindowsTransmitState : IDisposable
{
    private readonly AutoResetEvent _event = new(false);
    private readonly RegisteredWaitHandle _registration;
    private readonly OVERLAPPED* _overlapped;
    private readonly TRANSMIT_FILE_BUFFERS* _buffers;
    private byte* _gather;
    private int _gatherCapacity;
    private bool _disposed;

    /// <summary>Allocates the native OVERLAPPED and TRANSMIT_FILE_BUFFERS and registers the completion event with the thread pool.</summary>
    public WindowsTransmitState()
    {
        // One block: OVERLAPPED (32 bytes) then TRANSMIT_FILE_BUFFERS (32 bytes), pointer-aligned.
        byte* block = (byte*)Marshal.AllocHGlobal(sizeof(OVERLAPPED) + sizeof(TRANSMIT_FILE_BUFFERS));
        new Span<byte>(block, sizeof(OVERLAPPED) + sizeof(TRANSMIT_FILE_BUFFERS)).Clear();
        _overlapped = (OVERLAPPED*)block;
        _buffers = (TRANSMIT_FILE_BUFFERS*)(block + sizeof(OVERLAPPED));
        _registration = ThreadPool.UnsafeRegisterWaitForSingleObject(
            _event, static (s, _) => ((ReadinessSignal)s!).Signal(), Completed, Timeout.Infinite, executeOnlyOnce: false);
    }

    /// <summary>Bumped by the thread-pool wait each time the kernel signals a completion.</summary>
    public ReadinessSignal Completed { get; } = new();

    /// <summary>The OVERLAPPED every call of this socket uses (one call at a time).</summary>
    public OVERLAPPED* Overlapped => _overlapped;

    /// <summary>
    /// Copies <paramref name="headers"/> and <paramref name="trailers"/> into the gather buffer (one
    /// head, one tail: TRANSMIT_FILE_BUFFERS holds one of each) and returns their lengths.
    /// </summary>
    public void Gather(PieceList headers, PieceList trailers, out int headLength, out int tailLength)
    {
        headLength = checked((int)headers.TotalLength);
        tailLength = checked((int)trailers.TotalLength);
        int total = checked(headLength + tailLength);
        if (total > _gatherCapacity)
        {
            // Grows to the largest head + tail this socket has sent and is kept.
            int capacity = Math.Max(total, 1024);
            _gather = (byte*)(_gather is null ? Marshal.AllocHGlobal(capacity) : Marshal.ReAllocHGlobal((nint)_gather, (nint)capacity));
            _gatherCapacity = capacity;
        }

        var destination = new Span<byte>(_gather, total);
        for (int i = 0; i < headers.Count; i++)
        {
            ReadOnlySpan<byte> piece = headers[i].Span;
            piece.CopyTo(destination);
            destination = destination.Slice(piece.Length);
        }

        for (int i = 0; i < trailers.Count; i++)
        {
            ReadOnlySpan<byte> piece = trailers[i].Span;
            piece.CopyTo(destination);
            destination = destination.Slice(piece.Length);
        }
    }

    /// <summary>
    /// Resets the OVERLAPPED for a call that starts reading the file at <paramref name="fileOffset"/>,
    /// and returns the TRANSMIT_FILE_BUFFERS for the given head and tail (from the gather buffer), or
    /// null when both are empty.
    /// </summary>
    public TRANSMIT_FILE_BUFFERS* Prepare(long fileOffset, int headLength, int totalHeadLength, int tailLength)
    {
        _overlapped->Internal = STATUS_PENDING;
        _overlapped->InternalHigh = 0;
        _overlapped->Offset = (uint)fileOffset;
        _overlapped->OffsetHigh = (uint)((ulong)fileOffset >> 32);

        // The low-order bit: signal the event, queue no packet to the runtime's completion port.
        _overlapped->hEvent = (nint)((long)_event.SafeWaitHandle.DangerousGetHandle() | 1);
        if (headLength == 0 && tailLength == 0)
        {
            return null;
        }

        _buffers->Head = headLength == 0 ? null : _gather;
        _buffers->HeadLength = (uint)headLength;
        _buffers->Tail = tailLength == 0 ? null : _gather + totalHeadLength;
        _buffers->TailLength = (uint)tailLength;
        return _buffers;
    }

    /// <summary>Frees the native memory and the wait registration. Only when no call is in flight.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _registration.Unregister(null);
        _event.Dispose();
        Marshal.FreeHGlobal((nint)_overlapped);
        if (_gather is not null)
        {
            Marshal.FreeHGlobal((nint)_gather);
            _gather = null;
        }
    }
}
