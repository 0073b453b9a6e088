using System;
using System.Buffers;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// Builds iovecs and makes the one non-blocking send syscall of a step: sendmsg of caller pieces
/// (through an <see cref="IovecCursor"/>), sendmsg of a pinned batch, or send(2) of one contiguous
/// array. Owns the socket's scratch arrays; sends on a socket are serialised, so one set serves all.
/// </summary>
/// <remarks>
/// Up to UIO_FASTIOV (8) entries the iovec lives on the stack, as in the kernel and the runtime; a
/// larger window uses one per-socket array that grows to the largest window the socket has needed
/// (at most UIO_MAXIOV entries) and is kept.
/// </remarks>
internal sealed class VectoredWriter
{
    private const int StackIovecs = 8;

    private readonly int _fd;
    private ReadOnlyMemory<byte>[]? _sliceScratch;
    private MemoryHandle[]? _pinScratch;
    private iovec[]? _iovecScratch;
    private mmsghdr[]? _messageScratch;

    public VectoredWriter(int fd) => _fd = fd;

    /// <summary>
    /// One non-blocking sendmsg of the cursor's next window (at most UIO_MAXIOV entries), with
    /// MSG_MORE on every window but the last, and on the last too when <paramref name="moreFollows"/>.
    /// Does not advance the cursor.
    /// </summary>
    public unsafe SyscallResult<Errno> TrySend(ref IovecCursor cursor, int pieceCount, bool moreFollows)
    {
        int capacity = Math.Min(pieceCount, UIO_MAXIOV);
        ReadOnlyMemory<byte>[] slices = Scratch(ref _sliceScratch, capacity);
        MemoryHandle[] pins = Scratch(ref _pinScratch, capacity);
        int entries = cursor.Gather(slices.AsSpan(0, capacity), out _, out bool isLastWindow);
        int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (moreFollows || !isLastWindow ? MSG_MORE : 0);
        try
        {
            for (int i = 0; i < entries; i++)
            {
                pins[i] = slices[i].Pin();
            }

            if (entries <= StackIovecs)
            {
                iovec* iov = stackalloc iovec[StackIovecs];
                return SendMsg(iov, pins, slices, entries, flags);
            }

            fixed (iovec* iov = Scratch(ref _iovecScratch, capacity))
            {
                return SendMsg(iov, pins, slices, entries, flags);
            }
        }
        finally
        {
            for (int i = 0; i < entries; i++)
            {
                pins[i].Dispose();
                pins[i] = default;

                // Do not keep the caller's memory reachable from a long-lived socket.
                slices[i] = default;
            }
        }
    }

    /// <summary>One non-blocking sendmsg of a pinned batch from byte <paramref name="offset"/> on, one iovec per piece.</summary>
    public unsafe SyscallResult<Errno> TrySend(PinnedSendBatch batch, long offset, int flags)
    {
        // Skip the pieces already sent.
        int first = 0;
        long skip = offset;
        while (first < batch.Count && skip > 0 && skip >= batch.LengthOf(first))
        {
            skip -= batch.LengthOf(first);
            first++;
        }

        int count = Math.Max(batch.Count - first, 0);
        if (count == 1 && (flags & MSG_ZEROCOPY) == 0)
        {
            // One piece, copied: send(2), as the BCL's Socket.Send does. sendmsg would make the kernel
            // import a msghdr and an iovec first (copy_msghdr_from_user and friends: about 3% of a
            // sender's CPU at 8 KiB on the veth rig). MSG_ZEROCOPY sends stay sendmsg.
            nint n = send(_fd, batch.PointerOf(first) + skip, (nuint)(batch.LengthOf(first) - skip), flags);
            return n < 0 ? SyscallResult<Errno>.Error(GetLastErrno()) : SyscallResult<Errno>.Ok(n);
        }

        if (count <= StackIovecs)
        {
            iovec* iov = stackalloc iovec[StackIovecs];
            return SendMsg(iov, batch, first, count, skip, flags);
        }

        fixed (iovec* iov = Scratch(ref _iovecScratch, count))
        {
            return SendMsg(iov, batch, first, count, skip, flags);
        }
    }

    /// <summary>
    /// One non-blocking send(2) of <paramref name="buffer"/>[start..start+count), without MSG_MORE.
    /// send, not sendmsg: one buffer needs no msghdr or iovec for the kernel to import.
    /// </summary>
    public unsafe SyscallResult<Errno> TrySend(byte[] buffer, int start, int count)
    {
        fixed (byte* p = buffer)
        {
            nint n = send(_fd, p + start, (nuint)count, MSG_NOSIGNAL | MSG_DONTWAIT);
            return n < 0 ? SyscallResult<Errno>.Error(GetLastErrno()) : SyscallResult<Errno>.Ok(n);
        }
    }

    /// <summary>
    /// One non-blocking sendmmsg of datagrams [first, first + count) (each batch one datagram of one
    /// piece, at most UIO_MAXIOV of them): the result is how many datagrams the kernel took, in order.
    /// </summary>
    public unsafe SyscallResult<Errno> TrySendDatagrams(PinnedSendBatch[] datagrams, int first, int count, int flags)
    {
        count = Math.Min(count, UIO_MAXIOV);
        if (count <= StackIovecs)
        {
            mmsghdr* messages = stackalloc mmsghdr[StackIovecs];
            iovec* iov = stackalloc iovec[StackIovecs];
            return SendMmsg(messages, iov, datagrams, first, count, flags);
        }

        fixed (mmsghdr* messages = Scratch(ref _messageScratch, count))
        fixed (iovec* iov = Scratch(ref _iovecScratch, count))
        {
            return SendMmsg(messages, iov, datagrams, first, count, flags);
        }
    }

    private unsafe SyscallResult<Errno> SendMmsg(mmsghdr* messages, iovec* iov, PinnedSendBatch[] datagrams, int first, int count, int flags)
    {
        for (int i = 0; i < count; i++)
        {
            PinnedSendBatch datagram = datagrams[first + i];
            iov[i].iov_base = datagram.PointerOf(0);
            iov[i].iov_len = (nuint)datagram.LengthOf(0);
            messages[i] = default;
            messages[i].msg_hdr.msg_iov = iov + i;
            messages[i].msg_hdr.msg_iovlen = 1;
        }

        int n = sendmmsg(_fd, messages, (uint)count, flags);
        return n < 0 ? SyscallResult<Errno>.Error(GetLastErrno()) : SyscallResult<Errno>.Ok(n);
    }

    private unsafe SyscallResult<Errno> SendMsg(iovec* iov, MemoryHandle[] pins, ReadOnlyMemory<byte>[] slices, int entries, int flags)
    {
        for (int i = 0; i < entries; i++)
        {
            iov[i].iov_base = pins[i].Pointer;
            iov[i].iov_len = (nuint)slices[i].Length;
        }

        return SendMsg(iov, entries, flags);
    }

    private unsafe SyscallResult<Errno> SendMsg(iovec* iov, PinnedSendBatch batch, int first, int count, long skip, int flags)
    {
        for (int i = 0; i < count; i++)
        {
            int piece = first + i;
            long start = i == 0 ? skip : 0;
            iov[i].iov_base = batch.PointerOf(piece) + start;
            iov[i].iov_len = (nuint)(batch.LengthOf(piece) - start);
        }

        return SendMsg(iov, count, flags);
    }

    private unsafe SyscallResult<Errno> SendMsg(iovec* iov, int entries, int flags)
    {
        msghdr msg = default;
        msg.msg_iov = iov;
        msg.msg_iovlen = (nuint)entries;
        nint n = sendmsg(_fd, &msg, flags);
        return n < 0 ? SyscallResult<Errno>.Error(GetLastErrno()) : SyscallResult<Errno>.Ok(n);
    }

    private static T[] Scratch<T>(ref T[]? scratch, int capacity)
    {
        if (scratch is null || scratch.Length < capacity)
        {
            scratch = new T[Math.Max(capacity, StackIovecs)];
        }

        return scratch;
    }
}
