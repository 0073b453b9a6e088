using System;
using System.Runtime.InteropServices;
using Xunit;
using static ZeroCopy.Net.Interop;

namespace ZeroCopy.Net.Tests.Native;

/// <summary>
/// The Windows and BSD interop checked against values transcribed by hand from the headers (the
/// comments in Interop/Windows and Interop/Bsd say which header), for the 64-bit ABI every kernel
/// path requires: sizes with both sizeof and Marshal.SizeOf, every field offset, the constants.
/// These are literals typed in this file, a second transcription, not the headers themselves: they
/// catch an edit that breaks a value, not a value that was wrong from the start. The Windows
/// interop is also compared against real headers (mingw-w64) by WindowsHeaderAbiTests, and the
/// Linux interop by AbiCheckTests; no FreeBSD or macOS headers are available on this Linux machine,
/// so the BSD values have only this check.
/// </summary>
public unsafe class ForeignAbiTests
{
    private static void AssertOffset<T>(string field, int expected) => Assert.Equal(expected, Marshal.OffsetOf<T>(field).ToInt32());

    private static void AssertSize<T>(int expected)
        where T : unmanaged
    {
        Assert.Equal(expected, sizeof(T));
        Assert.Equal(expected, Marshal.SizeOf<T>());
    }

    [Fact]
    public void Overlapped_MatchesTheLayoutTranscribedFromMinwinbaseH()
    {
        Assert.Equal(8, IntPtr.Size);
        AssertSize<Kernel32.OVERLAPPED>(32);
        AssertOffset<Kernel32.OVERLAPPED>(nameof(Kernel32.OVERLAPPED.Internal), 0);
        AssertOffset<Kernel32.OVERLAPPED>(nameof(Kernel32.OVERLAPPED.InternalHigh), 8);
        AssertOffset<Kernel32.OVERLAPPED>(nameof(Kernel32.OVERLAPPED.Offset), 16);
        AssertOffset<Kernel32.OVERLAPPED>(nameof(Kernel32.OVERLAPPED.OffsetHigh), 20);
        AssertOffset<Kernel32.OVERLAPPED>(nameof(Kernel32.OVERLAPPED.hEvent), 24);
    }

    [Fact]
    public void TransmitFileBuffers_MatchesTheLayoutTranscribedFromMswsockH()
    {
        AssertSize<Mswsock.TRANSMIT_FILE_BUFFERS>(32);
        AssertOffset<Mswsock.TRANSMIT_FILE_BUFFERS>(nameof(Mswsock.TRANSMIT_FILE_BUFFERS.Head), 0);
        AssertOffset<Mswsock.TRANSMIT_FILE_BUFFERS>(nameof(Mswsock.TRANSMIT_FILE_BUFFERS.HeadLength), 8);
        AssertOffset<Mswsock.TRANSMIT_FILE_BUFFERS>(nameof(Mswsock.TRANSMIT_FILE_BUFFERS.Tail), 16);
        AssertOffset<Mswsock.TRANSMIT_FILE_BUFFERS>(nameof(Mswsock.TRANSMIT_FILE_BUFFERS.TailLength), 24);
    }

    [Fact]
    public void WindowsConstants_MatchTheValuesTranscribedFromTheHeaders()
    {
        Assert.Equal(0x7FFFFFFEu, Mswsock.TRANSMITFILE_MAX_CHUNK); // 2^31 - 2, TransmitFile's documented limit
        Assert.Equal(995, Winsock2.WSA_OPERATION_ABORTED);
        Assert.Equal(996, Winsock2.WSA_IO_INCOMPLETE);
        Assert.Equal(997, Winsock2.WSA_IO_PENDING);
        Assert.Equal(10038, Winsock2.WSAENOTSOCK);
        Assert.Equal(0x103u, (uint)Kernel32.STATUS_PENDING);
        Assert.Equal(6, Kernel32.ERROR_INVALID_HANDLE);
        Assert.Equal(1168, Kernel32.ERROR_NOT_FOUND);

        // SocketError's values are the WSA codes, which is why the sender builds SocketException from them directly.
        Assert.Equal(Winsock2.WSA_OPERATION_ABORTED, (int)System.Net.Sockets.SocketError.OperationAborted);
        Assert.Equal(Winsock2.WSA_IO_PENDING, (int)System.Net.Sockets.SocketError.IOPending);
    }

    [Fact]
    public void SfHdtrAndIovec_MatchTheLayoutsTranscribedFromSysSocketHAndSysUioH()
    {
        AssertSize<Bsd.iovec>(16);
        AssertOffset<Bsd.iovec>(nameof(Bsd.iovec.iov_base), 0);
        AssertOffset<Bsd.iovec>(nameof(Bsd.iovec.iov_len), 8);

        AssertSize<Bsd.sf_hdtr>(32);
        AssertOffset<Bsd.sf_hdtr>(nameof(Bsd.sf_hdtr.headers), 0);
        AssertOffset<Bsd.sf_hdtr>(nameof(Bsd.sf_hdtr.hdr_cnt), 8);
        AssertOffset<Bsd.sf_hdtr>(nameof(Bsd.sf_hdtr.trailers), 16);
        AssertOffset<Bsd.sf_hdtr>(nameof(Bsd.sf_hdtr.trl_cnt), 24);
    }

    [Fact]
    public void Kevent_MatchesTheLayoutsTranscribedFromFreeBsd12AndMacOSSysEventH()
    {
        AssertSize<Bsd.kevent_freebsd>(64);
        AssertSize<Bsd.kevent_macos>(32);
        foreach ((string field, int offset) in new[] { ("ident", 0), ("filter", 8), ("flags", 10), ("fflags", 12), ("data", 16), ("udata", 24) })
        {
            // The reactor reads both OSes' events through the macOS struct: the prefix must agree.
            AssertOffset<Bsd.kevent_freebsd>(field, offset);
            AssertOffset<Bsd.kevent_macos>(field, offset);
        }

        AssertOffset<Bsd.kevent_freebsd>("ext", 32);
    }

    [Fact]
    public void BsdConstants_MatchTheValuesTranscribedFromTheHeaders()
    {
        Assert.Equal(4, Bsd.TCP_NOPUSH);
        Assert.Equal(1, Bsd.TCP_NODELAY);
        Assert.Equal(6, Bsd.IPPROTO_TCP);
        Assert.Equal(-2, Bsd.EVFILT_WRITE);
        Assert.Equal(0x1, Bsd.EV_ADD);
        Assert.Equal(0x2, Bsd.EV_DELETE);
        Assert.Equal(0x10, Bsd.EV_ONESHOT);
        Assert.Equal(0x4000, Bsd.EV_ERROR);
        Assert.Equal(0x8000, Bsd.EV_EOF);
        Assert.Equal(1024, Bsd.IOV_MAX);
        Assert.Equal(35, (int)Bsd.Errno.EAGAIN);
        Assert.Equal(4, (int)Bsd.Errno.EINTR);
        Assert.Equal(9, (int)Bsd.Errno.EBADF);
        Assert.Equal(32, (int)Bsd.Errno.EPIPE);
        Assert.Equal(54, (int)Bsd.Errno.ECONNRESET);
        Assert.Equal(57, (int)Bsd.Errno.ENOTCONN);
    }
}
