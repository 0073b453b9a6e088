using System;
using System.Buffers;
using ZeroCopy.Net.Internal;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>
/// Builds a small response in one pooled array (headers copied, the body read with pread straight
/// into place or copied from memory, trailers copied) for one send(2) by <see cref="Operations.ContiguousSendOperation"/>.
/// </summary>
/// <remarks>
/// <para>For a body this small, sendfile saves nothing worth its second syscall, and the strongest
/// simple alternative a server has is one send of a buffer that already holds header and body
/// (measured in docs/benchmarks.md, "SendWithHeadersAsync"). On the measured VM a sendmsg of a
/// header and a 1-4 KiB body cost the sending thread ~1 µs more than one send(2) of the same bytes in
/// one buffer (the kernel imports a msghdr and an iovec array, and GC handles pin the pieces), while
/// copying at most 32 KiB costs well under that. The copies are counted
/// (<see cref="ZeroCopyStatistics.SmallFileCopiedBytes"/>, <see cref="ZeroCopyStatistics.HeaderGatherCopiedBytes"/>).</para>
/// <para>When the caller gave the count of a handle's window, it is not checked with statx first: a
/// short pread (the window runs past the end) or a failed one (a directory, a pipe) falls back to the
/// same checks and exceptions as every other path, before any byte is sent.</para>
/// </remarks>
internal static class SmallResponse
{
    /// <summary>Header and trailer bytes up to which a small-body response is built in one array (else the vectored path).</summary>
    private const int FramingLimit = 16 * 1024;

    /// <summary>Whether a body of <paramref name="count"/> bytes with these headers and trailers goes the one-array way.</summary>
    public static bool Fits(PieceList headers, long count, PieceList trailers, HeaderSendTuning tuning)
        => count <= tuning.SmallFileThreshold && headers.TotalLength + trailers.TotalLength <= FramingLimit;

    /// <summary>Headers, the file window read with pread, trailers: one pooled array. <paramref name="windowChecked"/>: statx checked the count already.</summary>
    public static byte[] FromFile(PieceList headers, FileWindow window, PieceList trailers, bool windowChecked, ZeroCopyStatistics statistics, out int length)
    {
        int count = (int)window.Count;
        length = (int)headers.TotalLength + count + (int)trailers.TotalLength;
        byte[] response = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            int at = headers.CopyTo(response, 0);
            if (count > 0)
            {
                ReadWindow(window, response, at, windowChecked);
                statistics.AddSmallFileCopied(count);
                at += count;
            }

            _ = trailers.CopyTo(response, at);
            if (length > count)
            {
                statistics.AddHeaderGatherCopied(length - count);
            }

            return response;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(response);
            throw;
        }
    }

    /// <summary>The file window alone, read with pread into a pooled array (a small body whose headers are too large to copy).</summary>
    public static byte[] BodyFromFile(FileWindow window, ZeroCopyStatistics statistics)
    {
        byte[] body = ArrayPool<byte>.Shared.Rent(Math.Max((int)window.Count, 1));
        try
        {
            ReadWindow(window, body, 0, windowChecked: true);
            statistics.AddSmallFileCopied(window.Count);
            return body;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(body);
            throw;
        }
    }

    /// <summary>Headers, a memory body and trailers copied into one pooled array.</summary>
    public static byte[] FromMemory(PieceList headers, ReadOnlyMemory<byte> body, PieceList trailers, ZeroCopyStatistics statistics, out int length)
    {
        length = (int)(headers.TotalLength + body.Length + trailers.TotalLength);
        byte[] response = ArrayPool<byte>.Shared.Rent(length);
        int at = headers.CopyTo(response, 0);
        body.Span.CopyTo(response.AsSpan(at));
        _ = trailers.CopyTo(response, at + body.Length);
        statistics.AddHeaderGatherCopied(length);
        return response;
    }

    /// <summary>pread of the whole window into <paramref name="buffer"/> at <paramref name="at"/>; a window the file does not have fails like FileRange does.</summary>
    private static unsafe void ReadWindow(FileWindow window, byte[] buffer, int at, bool windowChecked)
    {
        int count = (int)window.Count;
        int done = 0;
        fixed (byte* p = buffer)
        {
            while (done < count)
            {
                nint n = pread(window.Fd, p + at + done, (nuint)(count - done), window.Offset + done);
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
                    _ = FileRange.Resolve(LinuxFile.GetRegularFileLength(window.Fd, window.Path), window.Offset, count);
                }

                if (errno == Errno.EBADF && LinuxFile.IsWriteOnly(window.Fd))
                {
                    throw LinuxFile.NotReadable("file");
                }

                throw n == 0
                    ? ThrowHelper.FileShrunk(done, count, window.Offset)
                    : ThrowHelper.FileError((int)errno, "pread", window.Path);
            }
        }
    }
}
