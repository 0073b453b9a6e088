using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// Anything that is not a regular file is refused before a byte is sent, on both paths, and
/// without blocking: a FIFO used to block the caller's thread forever in open(O_RDONLY). Every bad
/// call runs on its own thread behind a deadline, so a regression fails the test instead of hanging it.
/// </summary>
public class NonRegularFileTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    [LinuxKernelTheory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task FifoPathIsRejectedWithoutBlocking(bool forcePortable)
    {
        using var fifo = Fifo.Create();
        try
        {
            var ex = await SendFileBadInputTests<PathOverload>.AssertFailsCleanlyAsync<NotSupportedException>(forcePortable, (zc, _) =>
                Task.Run(() => zc.SendFileAsync(fifo.Path).AsTask()).WaitAsync(Deadline));
            Assert.Contains("FIFO", ex.Message);
            Assert.Contains(fifo.Path, ex.Message);
        }
        finally
        {
            fifo.UnblockReaders();
        }
    }

    [LinuxKernelTheory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task FifoBodyIsRejectedWithoutBlocking(bool forcePortable)
    {
        using var fifo = Fifo.Create();
        try
        {
            var ex = await SendFileBadInputTests<PathOverload>.AssertFailsCleanlyAsync<NotSupportedException>(forcePortable, (zc, _) =>
                Task.Run(() => zc.SendWithHeadersAsync(new byte[] { 1, 2, 3 }, SendBody.FromFile(fifo.Path)).AsTask()).WaitAsync(Deadline));
            Assert.Contains("FIFO", ex.Message);
        }
        finally
        {
            fifo.UnblockReaders();
        }
    }

    [LinuxKernelTheory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task CharacterDeviceIsRejected(bool forcePortable)
    {
        var ex = await SendFileBadInputTests<PathOverload>.AssertFailsCleanlyAsync<NotSupportedException>(forcePortable, (zc, _) =>
            Task.Run(() => zc.SendFileAsync("/dev/zero").AsTask()).WaitAsync(Deadline));
        Assert.Contains("character device", ex.Message);
    }

    [LinuxKernelTheory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ProcfsFileThatReportsLengthZeroIsRejected(bool forcePortable)
    {
        var ex = await SendFileBadInputTests<PathOverload>.AssertFailsCleanlyAsync<NotSupportedException>(forcePortable, (zc, _) =>
            Task.Run(() => zc.SendFileAsync("/proc/self/status").AsTask()).WaitAsync(Deadline));
        Assert.Contains("length of 0", ex.Message);
    }

    [LinuxKernelTheory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task ProcfsBodyThatReportsLengthZeroIsRejected(bool forcePortable)
    {
        await SendFileBadInputTests<PathOverload>.AssertFailsCleanlyAsync<NotSupportedException>(forcePortable, (zc, _) =>
            Task.Run(() => zc.SendWithHeadersAsync(new byte[] { 1 }, SendBody.FromFile("/proc/self/status")).AsTask()).WaitAsync(Deadline));
    }

    [Theory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task TrulyEmptyFileStillSendsNothing(bool forcePortable)
    {
        using var file = TestFile.Create(0);
        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client, SendPaths.Options(forcePortable));
        Assert.Equal(0, await zc.SendFileAsync(file.Path).AsTask().WaitAsync(Deadline));
    }

    [LinuxKernelTheory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task WriteOnlyHandleIsRejectedUpFront(bool forcePortable)
    {
        var ex = await SendFileBadInputTests<PathOverload>.AssertFailsCleanlyAsync<ArgumentException>(forcePortable, async (zc, path) =>
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            await zc.SendFileAsync(handle).AsTask().WaitAsync(Deadline);
        });
        Assert.Equal("file", ex.ParamName);
        Assert.Contains("not open for reading", ex.Message);
    }

    [LinuxKernelTheory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task WriteOnlyHandleOfAnEmptyFileIsRejectedToo(bool forcePortable)
    {
        using var empty = TestFile.Create(0);
        var ex = await SendFileBadInputTests<PathOverload>.AssertFailsCleanlyAsync<ArgumentException>(forcePortable, async (zc, _) =>
        {
            using SafeFileHandle handle = File.OpenHandle(empty.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            await zc.SendFileAsync(handle).AsTask().WaitAsync(Deadline);
        });
        Assert.Equal("file", ex.ParamName);
    }

    [LinuxKernelTheory]
    [MemberData(nameof(SendPaths.Both), MemberType = typeof(SendPaths))]
    public async Task WriteOnlyHandleBodyIsRejectedUpFront(bool forcePortable)
    {
        var ex = await SendFileBadInputTests<PathOverload>.AssertFailsCleanlyAsync<ArgumentException>(forcePortable, async (zc, path) =>
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            await zc.SendWithHeadersAsync(new byte[] { 1 }, SendBody.FromFile(handle, 0, 100)).AsTask().WaitAsync(Deadline);
        });
        Assert.Equal("file", ex.ParamName);
    }

    /// <summary>A named pipe in the temp directory, removed on dispose.</summary>
    private sealed class Fifo : IDisposable
    {
        private Fifo(string path) => Path = path;

        public string Path { get; }

        public static Fifo Create()
        {
            string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"zc-fifo-{Guid.NewGuid():N}");
            Assert.True(mkfifo(path, 0x180) == 0, $"mkfifo failed: errno {Marshal.GetLastWin32Error()}");
            return new Fifo(path);
        }

        /// <summary>If a regression left a thread blocked in open(O_RDONLY), a writer's open releases it.</summary>
        public void UnblockReaders()
        {
            int fd = open(Path, 0x1 | 0x800 /* O_WRONLY | O_NONBLOCK: ENXIO when no reader waits */, 0);
            if (fd >= 0)
            {
                _ = close(fd);
            }
        }

        public void Dispose() => File.Delete(Path);

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        private static extern int mkfifo(string path, uint mode);

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        private static extern int open(string path, int flags, int mode);

        [DllImport("libc")]
        private static extern int close(int fd);
    }
}
