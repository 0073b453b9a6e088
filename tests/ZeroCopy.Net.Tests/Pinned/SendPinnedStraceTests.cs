using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Buffers;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// Proof from outside the process that SendPinnedAsync really talks MSG_ZEROCOPY to the kernel:
/// strace attaches to this test process (-p, all threads) while a socket sends pinned buffers,
/// and the trace must show setsockopt(SO_ZEROCOPY), sendmsg(MSG_ZEROCOPY) and
/// recvmsg(MSG_ERRQUEUE) returning a zero-copy completion.
/// </summary>
public class SendPinnedStraceTests
{
    [StraceFact]
    public async Task StraceShowsTheWholeZeroCopyProtocol()
    {
        string trace = Path.Combine(Path.GetTempPath(), $"zc-strace-{Guid.NewGuid():N}.txt");
        int pid = Environment.ProcessId;
        using var strace = Process.Start(new ProcessStartInfo("strace", $"-f -p {pid} -e trace=setsockopt,sendmsg,recvmsg -o \"{trace}\"")
        {
            RedirectStandardError = true,
        })!;
        try
        {
            // strace reports each attached thread on stderr; wait until it is tracing us.
            var attached = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            strace.ErrorDataReceived += (_, e) =>
            {
                if (e.Data?.Contains("attached", StringComparison.Ordinal) == true)
                {
                    attached.TrySetResult(true);
                }
            };
            strace.BeginErrorReadLine();
            await attached.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await Task.Delay(300); // every thread attached, not only the first

            using var pool = new PinnedBufferPool();
            using var pair = await LoopbackPair.CreateTcpAsync();
            var options = new ZeroCopySocketOptions { BufferPool = pool, CopiedCompletionsBeforeFallback = 0 };
            await using (var zc = new ZeroCopySocket(pair.Client, options))
            {
                const int Length = 64 * 1024;
                const int Sends = 16;
                Task<long> receive = StreamPattern.ReceiveAndVerifyAsync(pair.Server, (long)Length * Sends, seed: 12);
                for (int i = 0; i < Sends; i++)
                {
                    PinnedBuffer buffer = pool.Rent(Length);
                    StreamPattern.Fill(buffer.Span, (long)i * Length, seed: 12);
                    await zc.SendPinnedAsync(buffer, Length);
                }

                Assert.Equal((long)Length * Sends, await receive);
            }

            await Task.Delay(300);
        }
        finally
        {
            // SIGINT makes strace detach cleanly and flush its output.
            using (var kill = Process.Start("kill", $"-INT {strace.Id}"))
            {
                kill.WaitForExit();
            }

            strace.WaitForExit(10_000);
        }

        string[] lines = JoinInterruptedCalls(File.ReadAllLines(trace));
        File.Delete(trace);
        Assert.Contains(lines, l => l.Contains("setsockopt(", StringComparison.Ordinal) && l.Contains("SO_ZEROCOPY", StringComparison.Ordinal) && l.EndsWith("= 0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("sendmsg(", StringComparison.Ordinal) && l.Contains("MSG_ZEROCOPY", StringComparison.Ordinal) && l.Contains("= 65536", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("recvmsg(", StringComparison.Ordinal) && l.Contains("MSG_ERRQUEUE", StringComparison.Ordinal)
            && (l.Contains("ee_origin=SO_EE_ORIGIN_ZEROCOPY", StringComparison.Ordinal) || l.Contains("ee_origin=5,", StringComparison.Ordinal))); // strace 6.1 prints the origin as a number
    }

    /// <summary>With several threads traced, strace splits a call into "name(args &lt;unfinished ...&gt;" and "&lt;... name resumed&gt;rest": join them back per thread.</summary>
    private static string[] JoinInterruptedCalls(string[] raw)
    {
        var pending = new System.Collections.Generic.Dictionary<string, string>();
        var joined = new System.Collections.Generic.List<string>();
        foreach (string line in raw)
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            string tid = space > 0 ? line.Substring(0, space) : "";
            if (line.EndsWith("<unfinished ...>", StringComparison.Ordinal))
            {
                pending[tid] = line.Substring(0, line.Length - "<unfinished ...>".Length);
                continue;
            }

            int resumed = line.IndexOf(" resumed>", StringComparison.Ordinal);
            if (resumed >= 0 && pending.Remove(tid, out string? start))
            {
                joined.Add(string.Concat(start.AsSpan(), line.AsSpan(resumed + " resumed>".Length)));
                continue;
            }

            joined.Add(line);
        }

        return joined.ToArray();
    }
}

/// <summary>Skips where strace is absent or the process is not on the Linux kernel path.</summary>
public sealed class StraceFactAttribute : FactAttribute
{
    public StraceFactAttribute()
    {
        if (ZeroCopySocket.ProcessPlatformName != "linux")
        {
            Skip = "needs the Linux kernel path";
        }
        else if (!GccFactAttribute.OnPath("strace"))
        {
            Skip = "strace is not installed (.ci/run installs it)";
        }
    }
}
