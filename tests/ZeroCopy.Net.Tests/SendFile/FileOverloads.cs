using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// One of the three public SendFileAsync overloads, driven from a path so that every test in
/// <see cref="SendFileTests{TOverload}"/> runs unchanged over all three.
/// </summary>
public interface IFileOverload
{
    /// <summary>Opens <paramref name="path"/> the way a caller of this overload would, sends the window, closes what it opened.</summary>
    Task<long> SendAsync(ZeroCopySocket socket, string path, long offset = 0, long? count = null, CancellationToken cancellationToken = default);
}

/// <summary><c>SendFileAsync(string path, ...)</c>: the library opens and closes the file itself.</summary>
public sealed class PathOverload : IFileOverload
{
    public Task<long> SendAsync(ZeroCopySocket socket, string path, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
        => socket.SendFileAsync(path, offset, count, cancellationToken).AsTask();
}

/// <summary><c>SendFileAsync(SafeFileHandle, ...)</c>: the caller owns the handle.</summary>
public sealed class HandleOverload : IFileOverload
{
    public async Task<long> SendAsync(ZeroCopySocket socket, string path, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long sent = await socket.SendFileAsync(handle, offset, count, cancellationToken);
        Assert.False(handle.IsClosed, "SendFileAsync must not close the caller's handle.");
        return sent;
    }
}

/// <summary><c>SendFileAsync(FileStream, ...)</c>: the caller owns the stream; offsets are absolute.</summary>
public sealed class StreamOverload : IFileOverload
{
    public async Task<long> SendAsync(ZeroCopySocket socket, string path, long offset = 0, long? count = null, CancellationToken cancellationToken = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        long sent = await socket.SendFileAsync(stream, offset, count, cancellationToken);
        Assert.True(stream.CanRead, "SendFileAsync must not close the caller's stream.");
        return sent;
    }
}
