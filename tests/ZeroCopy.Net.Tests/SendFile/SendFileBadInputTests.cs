using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// Bad input fails with a clear exception before any byte is sent, over every overload and both
/// paths. Each test then sends a good file on the same socket and checks that the peer received
/// exactly that file and nothing else: nothing leaked from the failed call, and the socket is
/// usable again (the one-send-at-a-time gate was released).
/// </summary>
public abstract class SendFileBadInputTests<TOverload>
    where TOverload : IFileOverload, new()
{
    protected static readonly IFileOverload Overload = new TOverload();

    private const long Length = 10_000;

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task NegativeOffsetThrowsAndSendsNothing(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentOutOfRangeException>(forcePortable, (zc, path) => Overload.SendAsync(zc, path, -1));
        Assert.Equal("offset", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task NegativeCountThrowsAndSendsNothing(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentOutOfRangeException>(forcePortable, (zc, path) => Overload.SendAsync(zc, path, 0, -1));
        Assert.Equal("count", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task OffsetPastEndThrowsAndSendsNothing(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentOutOfRangeException>(forcePortable, (zc, path) => Overload.SendAsync(zc, path, Length + 1));
        Assert.Equal("offset", ex.ParamName);
        Assert.Contains(Length.ToString(), ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task OffsetPastEndWithZeroCountThrowsAndSendsNothing(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentOutOfRangeException>(forcePortable, (zc, path) => Overload.SendAsync(zc, path, Length + 1, 0));
        Assert.Equal("offset", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task OffsetPlusCountPastEndThrowsAndSendsNothing(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentOutOfRangeException>(forcePortable, (zc, path) => Overload.SendAsync(zc, path, 1, Length));
        Assert.Equal("count", ex.ParamName);
        Assert.Contains("past the end", ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task CountLargerThanAnyFileThrowsAndSendsNothing(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentOutOfRangeException>(forcePortable, (zc, path) => Overload.SendAsync(zc, path, 0, long.MaxValue));
        Assert.Equal("count", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task AlreadyCancelledTokenThrowsAndSendsNothing(bool forcePortable)
    {
        await AssertFailsCleanlyAsync<OperationCanceledException>(forcePortable, (zc, path) => Overload.SendAsync(zc, path, 0, null, new System.Threading.CancellationToken(canceled: true)));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DisposedSocketThrowsObjectDisposed(bool forcePortable)
    {
        using var file = TestFile.Create(Length);
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        await zc.DisposeAsync();
        await zc.DisposeAsync(); // idempotent

        await Assert.ThrowsAsync<ObjectDisposedException>(() => Overload.SendAsync(zc, file.Path));
        Assert.True(pair.Client.Connected, "Without OwnsSocket, disposing the wrapper must leave the socket alone.");
        Assert.Empty(await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task UdpSocketThrowsNotSupported(bool forcePortable)
    {
        using var file = TestFile.Create(Length);
        using var pair = LoopbackPair.CreateUdp();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        var ex = await Assert.ThrowsAsync<NotSupportedException>(() => Overload.SendAsync(zc, file.Path));
        Assert.Contains("stream", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, pair.Server.Available);
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task SecondConcurrentSendThrowsAndTheFirstCompletesIntact(bool forcePortable)
    {
        using var file = TestFile.Create(4 << 20, seed: 21);
        using var other = TestFile.Create(Length, seed: 22);
        using var pair = await LoopbackPair.CreateTcpAsync();
        SendFileKit.ShrinkBuffers(pair);
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        // Nobody reads yet: the first send fills the socket and waits.
        Task<long> first = Overload.SendAsync(zc, file.Path);
        await SendFileKit.WaitUntilBlockedAsync(zc, forcePortable);
        Assert.False(first.IsCompleted);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Overload.SendAsync(zc, other.Path));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Overload.SendAsync(zc, file.Path, 0, 0));

        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, file.Length);
        Assert.Equal(file.Length, await SendFileKit.Within(first, "the first send"));
        HashingReceiver.Result got = await SendFileKit.Within(receive, "the receiver");
        Assert.Equal(file.Length, got.Bytes);
        Assert.Equal(TestFile.ExpectedHash(0, file.Length, seed: 21), got.Hash);

        // The failed calls put nothing on the wire, and the gate is free again.
        Assert.Equal(other.Length, await Overload.SendAsync(zc, other.Path));
        byte[] rest = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);
        Assert.Equal(TestFile.ExpectedHash(0, other.Length, seed: 22), SHA256.HashData(rest));
    }

    /// <summary>
    /// Runs <paramref name="badSend"/> against a good 10,000-byte file, expects <typeparamref name="TException"/>,
    /// then proves nothing was sent and the socket still works by sending the file and checking the
    /// peer received exactly it.
    /// </summary>
    internal static async Task<TException> AssertFailsCleanlyAsync<TException>(bool forcePortable, Func<ZeroCopySocket, string, Task> badSend)
        where TException : Exception
    {
        using var file = TestFile.Create(Length, seed: 31);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));

        TException ex = await Assert.ThrowsAnyAsync<TException>(() => badSend(zc, file.Path));
        Assert.Equal(0, zc.Statistics.KernelSendFileBytes + zc.Statistics.PortableCopiedBytes);
        Assert.Equal(0, zc.Statistics.SendFileCalls);

        Assert.Equal(Length, await zc.SendFileAsync(file.Path));
        byte[] got = await SendFileKit.CloseAndReadAllAsync(pair.Client, pair.Server);
        Assert.Equal(Length, got.LongLength);
        Assert.Equal(TestFile.ExpectedHash(0, Length, seed: 31), SHA256.HashData(got));
        return ex;
    }
}

public sealed class SendFilePathBadInputTests : SendFileBadInputTests<PathOverload>
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task MissingFileThrowsFileNotFound(bool forcePortable)
    {
        string missing = Path.Combine(Path.GetTempPath(), $"zc-missing-{Guid.NewGuid():N}.bin");
        var ex = await AssertFailsCleanlyAsync<FileNotFoundException>(forcePortable, (zc, _) => zc.SendFileAsync(missing).AsTask());
        Assert.Contains(missing, ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task MissingDirectoryInPathThrowsDirectoryNotFound(bool forcePortable)
    {
        // One behaviour on every path, the BCL's (File.OpenHandle throws DirectoryNotFoundException).
        string missing = Path.Combine(Path.GetTempPath(), $"zc-missing-{Guid.NewGuid():N}", "file.bin");
        var ex = await AssertFailsCleanlyAsync<IOException>(forcePortable, (zc, _) => zc.SendFileAsync(missing).AsTask());
        Assert.IsType<DirectoryNotFoundException>(ex);
        Assert.Contains(missing, ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DirectoryThrowsUnauthorizedAccess(bool forcePortable)
    {
        await AssertFailsCleanlyAsync<UnauthorizedAccessException>(forcePortable, (zc, _) => zc.SendFileAsync(Path.GetTempPath()).AsTask());
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task NullPathThrowsArgumentNull(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentNullException>(forcePortable, (zc, _) => zc.SendFileAsync((string)null!).AsTask());
        Assert.Equal("path", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task EmptyPathThrowsArgument(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentException>(forcePortable, (zc, _) => zc.SendFileAsync(string.Empty).AsTask());
        Assert.Equal("path", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task PathWithNulThrowsArgument(bool forcePortable)
    {
        await AssertFailsCleanlyAsync<ArgumentException>(forcePortable, (zc, path) => zc.SendFileAsync(path + "\0.txt").AsTask());
    }
}

public sealed class SendFileHandleBadInputTests : SendFileBadInputTests<HandleOverload>
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ClosedHandleThrowsArgument(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentException>(forcePortable, (zc, path) =>
        {
            SafeFileHandle handle = File.OpenHandle(path);
            handle.Dispose();
            return zc.SendFileAsync(handle).AsTask();
        });
        Assert.Equal("file", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task NullHandleThrowsArgumentNull(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentNullException>(forcePortable, (zc, _) => zc.SendFileAsync((SafeFileHandle)null!).AsTask());
        Assert.Equal("file", ex.ParamName);
    }
}

public sealed class SendFileStreamBadInputTests : SendFileBadInputTests<StreamOverload>
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task WriteOnlyStreamThrowsArgument(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentException>(forcePortable, async (zc, path) =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            await zc.SendFileAsync(stream);
        });
        Assert.Equal("file", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task DisposedStreamThrowsArgument(bool forcePortable)
    {
        await AssertFailsCleanlyAsync<ArgumentException>(forcePortable, (zc, path) =>
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Dispose();
            return zc.SendFileAsync(stream).AsTask();
        });
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task NullStreamThrowsArgumentNull(bool forcePortable)
    {
        var ex = await AssertFailsCleanlyAsync<ArgumentNullException>(forcePortable, (zc, _) => zc.SendFileAsync((FileStream)null!).AsTask());
        Assert.Equal("file", ex.ParamName);
    }
}

/// <summary>Wrapping fails for sockets SendFileAsync could never use.</summary>
public class ZeroCopySocketConstructionTests
{
    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public void UnconnectedSocketIsRejected(bool forcePortable)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var ex = Assert.Throws<ArgumentException>(() => new ZeroCopySocket(socket, SendPaths.Options(forcePortable)));
        Assert.Equal("socket", ex.ParamName);
        Assert.Contains("not connected", ex.Message);
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public void BoundButUnconnectedUdpSocketIsRejected(bool forcePortable)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Throws<ArgumentException>(() => new ZeroCopySocket(socket, SendPaths.Options(forcePortable)));
    }

    [Fact]
    public void NullSocketIsRejected()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new ZeroCopySocket(null!));
        Assert.Equal("socket", ex.ParamName);
    }

    [Fact]
    public void DisposedSocketIsRejected()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Dispose();
        Assert.Throws<ObjectDisposedException>(() => new ZeroCopySocket(socket));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task OwnsSocketDisposesTheSocket(bool forcePortable)
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        var zc = new ZeroCopySocket(pair.Client, new ZeroCopySocketOptions { ForcePortable = forcePortable, OwnsSocket = true });
        await zc.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => pair.Client.Send(new byte[1]));
    }
}
