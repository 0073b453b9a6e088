using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Platform.Linux;
using ZeroCopy.Net.Tests.Infrastructure;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// Asks this kernel, with raw syscalls, which sendmsg(MSG_ZEROCOPY) calls consume a completion
/// sequence number: the tracker assumes successful calls (partial ones included) do, and failed
/// (EAGAIN) and zero-length calls do not.
/// </summary>
public class KernelSequenceTests
{
    [LinuxKernelPathFact]
    public async Task OnlySuccessfulNonEmptyCallsConsumeASequenceNumber()
    {
        using var pair = await LoopbackPair.CreateTcpAsync();
        pair.Server.ReceiveBufferSize = 16 * 1024;
        pair.Client.SendBufferSize = 64 * 1024;
        pair.Client.Blocking = false;
        int fd = (int)pair.Client.SafeHandle.DangerousGetHandle();
        Assert.Equal(0, SetZeroCopy(fd));

        const int Size = 16 * 1024;
        IntPtr memory = Marshal.AllocHGlobal(Size);
        try
        {
            int successes = 0;
            int eagains = 0;
            int zeroLengthResult = int.MinValue;
            var watch = Stopwatch.StartNew();
            while (eagains < 5 && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                long n = Send(fd, memory, Size, out Errno errno);
                if (n > 0)
                {
                    successes++;
                }
                else
                {
                    Assert.Equal(Errno.EAGAIN, errno);
                    eagains++;
                    if (eagains == 2)
                    {
                        zeroLengthResult = (int)Send(fd, memory, 0, out _);
                    }
                }
            }

            Assert.True(eagains >= 5, "the non-reading peer must make the send buffer fill");
            Assert.Equal(0, zeroLengthResult);

            // Let everything through, make one more successful call, then collect every completion.
            Task drain = Task.Run(async () =>
            {
                var sink = new byte[1 << 16];
                while (await pair.Server.ReceiveAsync(sink, SocketFlags.None) > 0)
                {
                }
            });
            long last;
            Errno lastErrno;
            watch.Restart();
            while ((last = Send(fd, memory, Size, out lastErrno)) < 0 && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                Assert.Equal(Errno.EAGAIN, lastErrno);
                await Task.Delay(1);
            }

            Assert.True(last > 0);
            successes++;

            var seen = new HashSet<uint>();
            uint highest = 0;
            watch.Restart();
            while (seen.Count < successes && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                foreach ((uint lo, uint hi) in ReadCompletions(fd))
                {
                    for (uint s = lo; ; s++)
                    {
                        Assert.True(seen.Add(s), $"number {s} completed twice");
                        highest = Math.Max(highest, s);
                        if (s == hi)
                        {
                            break;
                        }
                    }
                }

                await Task.Delay(5);
            }

            // Numbers 0..successes-1 exactly: neither the EAGAIN calls nor the empty call took one.
            Assert.Equal(successes, seen.Count);
            Assert.Equal((uint)successes - 1, highest);
            pair.Client.Shutdown(SocketShutdown.Send);
            await drain.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            Marshal.FreeHGlobal(memory);
        }
    }

    private static unsafe int SetZeroCopy(int fd)
    {
        int one = 1;
        return setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(int));
    }

    private static unsafe long Send(int fd, IntPtr memory, int length, out Errno errno)
    {
        iovec iov;
        iov.iov_base = (void*)memory;
        iov.iov_len = (nuint)length;
        msghdr msg = default;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        long n = sendmsg(fd, &msg, MSG_ZEROCOPY | MSG_DONTWAIT | MSG_NOSIGNAL);
        errno = n < 0 ? GetLastErrno() : Errno.SUCCESS;
        return n;
    }

    private static unsafe List<(uint Lo, uint Hi)> ReadCompletions(int fd)
    {
        var ranges = new List<(uint, uint)>();
        byte* control = stackalloc byte[256];
        while (true)
        {
            msghdr msg = default;
            msg.msg_control = control;
            msg.msg_controllen = 256;
            if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            {
                return ranges;
            }

            Assert.Equal(0, msg.msg_flags & MSG_CTRUNC);
            if (ErrorQueueParser.Parse(control, msg.msg_controllen, out uint lo, out uint hi, out _) == ErrorQueueEntry.ZeroCopyCompletion)
            {
                ranges.Add((lo, hi));
            }
        }
    }
}
