using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Tests.SendFile;

/// <summary>Runs alone: counting the process's descriptors is only meaningful while no other test opens sockets or files.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide (runs alone)";
}

/// <summary>
/// The BCL's async <c>Socket.SendFileAsync(path)</c> on Linux opens each file with flock(LOCK_SH)
/// and never closes it (EMFILE after about 20k calls here). The path overload must open with no
/// lock and close every descriptor before its task completes.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public class DescriptorHygieneTests
{
    private const int Sends = 100_000;
    private const int FileLength = 64;

    [LinuxKernelFact]
    public async Task HundredThousandPathSendsLeakNoDescriptorAndTakeNoLock()
    {
        using var file = TestFile.Create(FileLength, seed: 61);
        ulong inode = InodeOf(file.Path);

        // Positive control: the /proc/locks check can see a lock on this inode (the BCL's FileStream
        // takes flock(LOCK_SH)), so its silence during the run means something.
        using (new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            Assert.True(LocksOn(inode) > 0, $"Control failed: a FileStream's flock on inode {inode} is not visible in /proc/locks.");
        }

        Assert.Equal(0, LocksOn(inode));

        using var pair = await LoopbackPair.CreateTcpAsync();
        await using var zc = new ZeroCopySocket(pair.Client);
        Task<HashingReceiver.Result> receive = Task.Run(() => HashingReceiver.ReceiveAsync(pair.Server, (long)Sends * FileLength));

        // Warm up: the reactor, thread-pool threads and the runtime's socket engine open their own
        // descriptors once; count after they exist.
        for (int i = 0; i < 1000; i++)
        {
            await zc.SendFileAsync(file.Path);
        }

        Dictionary<string, string> fdsBefore = OpenDescriptors();

        using var stop = new CancellationTokenSource();
        int lockSamples = 0;
        int lockHits = 0;

        // A thread of its own, not a thread-pool task on a timer: the sends below finish in about a
        // second, and with other test classes blocking pool threads (child processes under strace) a
        // Task.Delay loop was starved to 3-5 samples. A dedicated thread samples every millisecond.
        var lockWatcher = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref lockSamples);
                if (LocksOn(inode) > 0)
                {
                    Interlocked.Increment(ref lockHits);
                }

                Thread.Sleep(1);
            }
        })
        { IsBackground = true, Name = "lock watcher" };
        lockWatcher.Start();

        for (int i = 1000; i < Sends; i++)
        {
            long sent = await zc.SendFileAsync(file.Path);
            if (sent != FileLength)
            {
                Assert.Fail($"Send {i} sent {sent} bytes.");
            }
        }

        stop.Cancel();
        lockWatcher.Join();
        Dictionary<string, string> fdsAfter = OpenDescriptors();

        HashingReceiver.Result got = await SendFileKit.Within(receive, "the receiver");
        Assert.Equal((long)Sends * FileLength, got.Bytes);
        Assert.Equal(ExpectedHash(), got.Hash);
        Assert.Equal(Sends, zc.Statistics.SendFileCalls);
        Assert.Equal((long)Sends * FileLength, zc.Statistics.KernelSendFileBytes);

        Assert.True(lockSamples > 10, $"The lock watcher sampled /proc/locks only {lockSamples} times.");
        Assert.Equal(0, lockHits);

        // A leak would show as +99,000 descriptors on this file. The tolerance of 8 covers descriptors
        // the runtime and earlier tests' leftovers open or close on their own while the loop runs (a
        // thread's eventfd, a socket a finalizer closes), which have nothing to do with this loop; the
        // message lists what changed, so a failure says what it was. Only growth can be a leak: other
        // tests running in parallel close their child processes' pipes during the loop (seen: -12).
        var opened = fdsAfter.Where(kv => !fdsBefore.TryGetValue(kv.Key, out string? target) || target != kv.Value).Select(kv => $"{kv.Key}->{kv.Value}").ToList();
        var closed = fdsBefore.Where(kv => !fdsAfter.ContainsKey(kv.Key)).Select(kv => $"{kv.Key}->{kv.Value}").ToList();
        Assert.True(
            fdsAfter.Count - fdsBefore.Count <= 8 && !opened.Any(t => t.EndsWith(file.Path, StringComparison.Ordinal)),
            $"Open descriptors went from {fdsBefore.Count} to {fdsAfter.Count} over {Sends - 1000} sends; opened: {string.Join(", ", opened.Take(20))}; closed: {string.Join(", ", closed.Take(20))}.");
    }

    /// <summary>This process's open descriptors: number -> what each points at.</summary>
    private static Dictionary<string, string> OpenDescriptors()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string target;
            try
            {
                target = new FileInfo(entry).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                target = "(closed while listing)";
            }

            result[Path.GetFileName(entry)] = target;
        }

        return result;
    }

    /// <summary>Entries in /proc/locks for <paramref name="inode"/> (field 6 is MAJOR:MINOR:INODE).</summary>
    private static int LocksOn(ulong inode)
    {
        string suffix = ":" + inode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return File.ReadAllLines("/proc/locks")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(fields => fields.Any(f => f.Count(c => c == ':') == 2 && f.EndsWith(suffix, StringComparison.Ordinal)));
    }

    private static unsafe ulong InodeOf(string path)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(path + "\0");
        statx_t st;
        fixed (byte* p = utf8)
        {
            Assert.Equal(0, statx(AT_FDCWD, p, 0, STATX_INO, &st));
        }

        return st.stx_ino;
    }

    private static byte[] ExpectedHash()
    {
        byte[] one = new byte[FileLength];
        for (int i = 0; i < FileLength; i++)
        {
            one[i] = TestFile.PatternByte(i, 61);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < Sends; i++)
        {
            hash.AppendData(one);
        }

        return hash.GetHashAndReset();
    }
}
