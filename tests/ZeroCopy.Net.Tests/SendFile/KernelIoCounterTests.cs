using System;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>
/// Proves the syscall path without strace (which skips where ptrace is not allowed): the kernel's
/// per-task I/O accounting. sendfile(2) adds what it moved to the calling task's wchar (and rchar);
/// a socket send(2)/sendmsg(2) never does, so sendfile replaced by pread + send leaves wchar at 0.
/// The sends complete synchronously on this thread (buffers far larger than the file), so the
/// thread's own counters (/proc/thread-self/io) see exactly this send and nothing else.
/// </summary>
public class KernelIoCounterTests
{
    private const long Length = 1 << 20;

    [LinuxKernelFact]
    public async Task PathSendIsSendfile() => await AssertSendfileAsync(static (zc, file, _) => zc.SendFileAsync(file.Path), Length);

    [LinuxKernelFact]
    public async Task HandleSendIsSendfile() => await AssertSendfileAsync(static (zc, _, handle) => zc.SendFileAsync(handle), Length);

    [LinuxKernelFact]
    public async Task FileBodyBehindHeadersAndTrailersIsSendfile()
        => await AssertSendfileAsync(static (zc, file, _) => zc.SendWithHeadersAsync(new byte[100], SendBody.FromFile(file.Path), new byte[10]), Length, headerBytes: 110);

    private static async Task AssertSendfileAsync(Func<ZeroCopySocket, TestFile, SafeFileHandle, ValueTask<long>> send, long fileBytes, long headerBytes = 0)
    {
        using var file = TestFile.Create(fileBytes, seed: 12);
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Client.SendBufferSize = 8 << 20;
        pair.Server.ReceiveBufferSize = 8 << 20;
        await using var zc = new ZeroCopySocket(pair.Client);
        using SafeFileHandle handle = File.OpenHandle(file.Path);
        Task<HashingReceiver.Result> receive = HashingReceiver.ReceiveAsync(pair.Server, fileBytes + headerBytes);

        (long wchar, long syscw) before = ReadThreadIo();
        ValueTask<long> sending = send(zc, file, handle);
        (long wchar, long syscw) after = ReadThreadIo();

        Assert.True(sending.IsCompletedSuccessfully, "The send had to wait: the counters of this thread cannot see all of it.");
        Assert.Equal(fileBytes + headerBytes, await sending);
        Assert.Equal(fileBytes, after.wchar - before.wchar);
        Assert.InRange(after.syscw - before.syscw, 1, 4);
        Assert.Equal(fileBytes + headerBytes, (await receive.WaitAsync(TimeSpan.FromSeconds(10))).Bytes);
    }

    private static (long Wchar, long Syscw) ReadThreadIo()
    {
        long wchar = -1, syscw = -1;
        foreach (string line in File.ReadAllLines("/proc/thread-self/io"))
        {
            if (line.StartsWith("wchar:", StringComparison.Ordinal))
            {
                wchar = long.Parse(line.AsSpan(6).Trim(), provider: System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("syscw:", StringComparison.Ordinal))
            {
                syscw = long.Parse(line.AsSpan(6).Trim(), provider: System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.True(wchar >= 0 && syscw >= 0, "/proc/thread-self/io has no wchar/syscw (CONFIG_TASK_IO_ACCOUNTING off?)");
        return (wchar, syscw);
    }
}
