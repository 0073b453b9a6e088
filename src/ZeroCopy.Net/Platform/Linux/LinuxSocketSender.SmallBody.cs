using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// SendWithHeadersAsync with a small file body: the whole response built in one pooled array
/// (headers copied, the body read with pread straight into place, trailers copied) and sent with
/// one send(2).
/// </summary>
/// <remarks>
/// <para>For a body this small, sendfile saves nothing worth its second syscall, and the
/// strongest simple alternative a server has is one send of a buffer that already holds header and
/// body (measured in docs/benchmarks.md, "SendWithHeadersAsync"). This path is that, with the body
/// read from the file each time: pread + send, and statx too only when the caller did not say how
/// many bytes to send. One contiguous array needs no per-piece GC pin (a `fixed` during each syscall
/// suffices), and the common case completes synchronously without an async state machine.</para>
/// <para>When the caller gave the count, the window is not checked with statx first: a short pread
/// (the window runs past the end) or a failed one (a directory, a pipe) falls back to the same
/// checks and exceptions as every other path, before any byte is sent.</para>
/// </remarks>
internal sealed partial class LinuxSocketSender
{
    /// <summary>Header and trailer bytes up to which a small-body response is built in one array (else the vectored path).</summary>
    private const int SmallBodyFramingLimit = 16 * 1024;

    /// <summary>Whether a file body of <paramref name="count"/> bytes with these headers and trailers goes the one-array way.</summary>
    private static bool IsSmallBodyResponse(PieceList headers, long count, PieceList trailers)
        => count <= HeaderSendTuning.SmallFileThreshold && headers.TotalLength + trailers.TotalLength <= SmallBodyFramingLimit;

    /// <summary>
    /// Reads the window into place and sends the response. <paramref name="windowChecked"/>: the
    /// count was checked against the file's length (statx) already; otherwise a short read is
    /// diagnosed with the full check. Takes ownership of nothing; the file may be closed once this returns.
    /// </summary>
    private ValueTask<long> SendSmallFileResponse(PieceList headers, int fileFd, long offset, int count, PieceList trailers, bool windowChecked, string? pathForMessages, CancellationToken cancellationToken)
    {
        int headerBytes = (int)headers.TotalLength;
        int length = headerBytes + count + (int)trailers.TotalLength;
        byte[] response = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        bool handedOff = false;
        try
        {
            int at = headers.CopyTo(response, 0);
            if (count > 0)
            {
                ReadWindow(fileFd, response, at, offset, count, windowChecked, pathForMessages);
                _statistics.AddSmallFileCopied(count);
                at += count;
            }

            _ = trailers.CopyTo(response, at);
            if (length > count)
            {
                _statistics.AddHeaderGatherCopied(length - count);
            }

            ValueTask<long> send = SendContiguous(response, length, cancellationToken);
            handedOff = true;
            return send;
        }
        finally
        {
            if (!handedOff)
            {
                ArrayPool<byte>.Shared.Return(response);
            }
        }
    }

    /// <summary>pread of the whole window into <paramref name="buffer"/> at <paramref name="at"/>; a window the file does not have fails like FileRange does.</summary>
    private unsafe void ReadWindow(int fileFd, byte[] buffer, int at, long offset, int count, bool windowChecked, string? pathForMessages)
    {
        int done = 0;
        fixed (byte* p = buffer)
        {
            while (done < count)
            {
                nint n = pread(fileFd, p + at + done, (nuint)(count - done), offset + done);
                if (n > 0)
                {
                    done += (int)n;
                    continue;
                }

                Errno errno = n == 0 ? Errno.SUCCESS : GetLastErrno();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (!windowChecked)
                {
                    // Not a regular file (EISDIR, ESPIPE, ...) or a window past the end: the same
                    // exception the statx check gives on every other path.
                    _ = FileRange.Resolve(LinuxFile.GetRegularFileLength(fileFd, pathForMessages), offset, count);
                }

                throw n == 0
                    ? ThrowHelper.FileShrunk(done, count, offset)
                    : ThrowHelper.FileError((int)errno, "pread", pathForMessages);
            }
        }
    }

    /// <summary>Sends <paramref name="response"/>[0..length) and returns it to the pool: synchronously when one non-blocking sendmsg takes it all.</summary>
    private ValueTask<long> SendContiguous(byte[] response, int length, CancellationToken cancellationToken)
    {
        bool handedOff = false;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_disposing)
            {
                throw ThrowHelper.SocketDisposedDuringSend(0, length);
            }

            int epoch = _writable.Epoch;
            long n = TrySendContiguous(response, 0, length, out Errno errno);
            if (n == length)
            {
                _statistics.AddVectoredSend(n);
                PushTail();
                return new ValueTask<long>(length);
            }

            if (n < 0 && errno != Errno.EAGAIN && errno != Errno.EINTR)
            {
                throw LinuxErrors.Socket(errno, "sendmsg");
            }

            int sent = (int)Math.Max(n, 0);
            if (sent > 0)
            {
                _statistics.AddVectoredSend(sent);
            }

            handedOff = true;
            return SendContiguousRestAsync(response, sent, length, errno == Errno.EAGAIN && n < 0 ? epoch : null, cancellationToken);
        }
        catch
        {
            PushAfterFailure(corked: false);
            throw;
        }
        finally
        {
            if (!handedOff)
            {
                ArrayPool<byte>.Shared.Return(response);
            }
        }
    }

    [PooledAsync(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> SendContiguousRestAsync(byte[] response, int sent, int length, int? waitEpoch, CancellationToken cancellationToken)
    {
        try
        {
            if (waitEpoch is int firstEpoch)
            {
                await WaitWritableAsync(firstEpoch, cancellationToken).ConfigureAwait(false);
            }

            while (sent < length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_disposing)
                {
                    throw ThrowHelper.SocketDisposedDuringSend(sent, length);
                }

                int epoch = _writable.Epoch;
                long n = TrySendContiguous(response, sent, length - sent, out Errno errno);
                if (n >= 0)
                {
                    sent += (int)n;
                    _statistics.AddVectoredSend(n);
                }
                else if (errno == Errno.EAGAIN)
                {
                    await WaitWritableAsync(epoch, cancellationToken).ConfigureAwait(false);
                }
                else if (errno != Errno.EINTR)
                {
                    throw LinuxErrors.Socket(errno, "sendmsg");
                }
            }

            PushTail();
            return length;
        }
        catch
        {
            PushAfterFailure(corked: false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(response);
        }
    }

    /// <summary>
    /// One non-blocking send(2) of the contiguous response, without MSG_MORE: this is the whole
    /// response's last byte. send, not sendmsg: one buffer needs no msghdr or iovec for the kernel to
    /// import.
    /// </summary>
    private unsafe long TrySendContiguous(byte[] buffer, int start, int count, out Errno errno)
    {
        fixed (byte* p = buffer)
        {
            nint n = send(_fd, p + start, (nuint)count, MSG_NOSIGNAL | MSG_DONTWAIT);
            errno = n < 0 ? GetLastErrno() : Errno.SUCCESS;
            return n;
        }
    }
}
