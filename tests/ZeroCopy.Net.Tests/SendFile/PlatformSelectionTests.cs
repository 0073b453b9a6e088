using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Platform;
using ZeroCopy.Net.Platform.Linux;
using ZeroCopy.Net.Tests.Infrastructure;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// The kernel path must not silently switch itself off: on a 64-bit Linux machine (like CI's) the
/// process must choose "linux", and the portable path must only ever be a forced choice there.
/// </summary>
public class PlatformSelectionTests
{
    private static bool IsLinux64 => RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    [Fact]
    public void Linux64ProcessChoosesTheKernelPath()
    {
        if (!IsLinux64)
        {
            // Windows, FreeBSD and macOS have their own kernel paths (ForeignPlatformSelectionTests).
            Assert.NotEqual("linux", ZeroCopySocket.ProcessPlatformName);
            return;
        }

        Assert.Null(ZeroCopySocket.ProcessFallbackReason);
        Assert.Equal("linux", ZeroCopySocket.ProcessPlatformName);
        Assert.True(ZeroCopySocket.ProcessCapabilities.HasFlag(ZeroCopyCapabilities.KernelSendFile));
        Assert.True(ZeroCopySocket.ProcessCapabilities.HasFlag(ZeroCopyCapabilities.AsyncReadiness));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task EachSocketReportsThePathItUses(bool forcePortable)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        if (forcePortable)
        {
            Assert.Equal("portable", zc.PlatformName);
            Assert.Equal(ZeroCopyCapabilities.None, zc.Capabilities & ZeroCopyCapabilities.KernelSendFile);
        }
        else
        {
            Assert.Equal(ZeroCopySocket.ProcessPlatformName, zc.PlatformName);
            if (IsLinux64)
            {
                Assert.True(zc.Capabilities.HasFlag(ZeroCopyCapabilities.KernelSendFile));
            }
        }
    }

    [LinuxKernelFact]
    public async Task WrappingLeavesTheSocketBlockingAsTheApplicationSetIt()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        Assert.True(pair.Client.Blocking);
        await using var zc = new ZeroCopySocket(pair.Client);
        Assert.True(pair.Client.Blocking, "The application still sees a blocking socket.");

        // ...while the descriptor itself is O_NONBLOCK, which the sendfile loop relies on.
        int fd = (int)pair.Client.SafeHandle.DangerousGetHandle();
        Assert.NotEqual(0, fcntl(fd, 3 /* F_GETFL */) & 0x800 /* O_NONBLOCK */);
    }

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int fcntl(int fd, int cmd);
}

/// <summary>errno → SocketError follows the runtime's own mapping, and the exception names the errno and the call.</summary>
public class LinuxErrorsTests
{
    [Theory]
    [InlineData(Errno.SUCCESS, SocketError.Success)]
    [InlineData(Errno.EAGAIN, SocketError.WouldBlock)]
    [InlineData(Errno.EINTR, SocketError.Interrupted)]
    [InlineData(Errno.EBADF, SocketError.OperationAborted)]
    [InlineData(Errno.EACCES, SocketError.AccessDenied)]
    [InlineData(Errno.EINVAL, SocketError.InvalidArgument)]
    [InlineData(Errno.EMFILE, SocketError.TooManyOpenSockets)]
    [InlineData(Errno.ENOBUFS, SocketError.NoBufferSpaceAvailable)]
    [InlineData(Errno.ENOMEM, SocketError.NoBufferSpaceAvailable)]
    [InlineData(Errno.EPIPE, SocketError.Shutdown)]
    [InlineData(Errno.ENOTSOCK, SocketError.NotSocket)]
    [InlineData(Errno.EMSGSIZE, SocketError.MessageSize)]
    [InlineData(Errno.ENOPROTOOPT, SocketError.ProtocolOption)]
    [InlineData(Errno.EOPNOTSUPP, SocketError.OperationNotSupported)]
    [InlineData(Errno.ECONNABORTED, SocketError.ConnectionAborted)]
    [InlineData(Errno.ECONNRESET, SocketError.ConnectionReset)]
    [InlineData(Errno.ENOTCONN, SocketError.NotConnected)]
    [InlineData(Errno.ETIMEDOUT, SocketError.TimedOut)]
    [InlineData(Errno.ECONNREFUSED, SocketError.ConnectionRefused)]
    [InlineData(Errno.EHOSTUNREACH, SocketError.HostUnreachable)]
    [InlineData(Errno.ENETUNREACH, SocketError.NetworkUnreachable)]
    [InlineData(Errno.EIO, SocketError.SocketError)]
    [InlineData((Errno)9999, SocketError.SocketError)]
    internal void MapsLikeTheRuntime(Errno errno, SocketError expected)
    {
        Assert.Equal(expected, PosixErrors.ToSocketError(errno));
    }

    [Fact]
    internal void SocketExceptionCarriesTheSocketErrorTheErrnoAndTheCall()
    {
        SocketException ex = PosixErrors.Socket(Errno.ECONNRESET, "sendfile");
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        Assert.Contains("sendfile", ex.Message);
        Assert.Contains("errno 104", ex.Message);
        Assert.Contains("ECONNRESET", ex.Message);
        Assert.Contains("ConnectionReset", ex.Message);

        // A public type a user's log can name (not an internal nested type), with the errno as data.
        var typed = Assert.IsType<ZeroCopySocketException>(ex);
        Assert.True(typeof(ZeroCopySocketException).IsPublic);
        Assert.Equal(104, typed.Errno);
        Assert.Equal("ECONNRESET", typed.ErrnoName);
        Assert.Equal("sendfile", typed.Operation);
    }

    [Theory]
    [InlineData(ZeroCopy.Net.Interop.Bsd.Errno.EAGAIN, SocketError.WouldBlock)]
    [InlineData(ZeroCopy.Net.Interop.Bsd.Errno.ECONNRESET, SocketError.ConnectionReset)]
    [InlineData(ZeroCopy.Net.Interop.Bsd.Errno.EOPNOTSUPP_MACOS, SocketError.OperationNotSupported)]
    [InlineData(ZeroCopy.Net.Interop.Bsd.Errno.ENOBUFS, SocketError.NoBufferSpaceAvailable)]
    internal void BsdErrnoValuesGoThroughTheSameMap(ZeroCopy.Net.Interop.Bsd.Errno errno, SocketError expected)
    {
        // BSD numbers differ from Linux's (EAGAIN is 35, not 11): one map keyed by the POSIX name serves both.
        Assert.Equal(expected, PosixErrors.ToSocketError(errno));
        Assert.Equal(expected, PosixErrors.Socket(errno, "sendfile").SocketErrorCode);
    }
}
