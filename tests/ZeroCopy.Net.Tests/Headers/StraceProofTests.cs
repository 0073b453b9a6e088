using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;
using ZeroCopy.Net.Tests.Strace;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.Headers;

/// <summary>
/// Proof that SendWithHeadersAsync really issues the syscalls it claims: runs
/// tests/ZeroCopy.Net.StraceProbe.Headers under <c>strace -f</c> and reads the calls made between
/// the probe's markers.
/// </summary>
[Collection(IsolatedCollection.Name)]
public class StraceProofTests
{
    [StraceFact]
    public void HeaderGoesWithMsgMoreBodyWithSendfileTrailerUnderCorkSmallBodyInOneSendmsgPinnedBodyWithMsgZerocopy()
    {
        Dictionary<string, List<string>> sections = RunProbe();

        // Header + 64 KiB file: sendmsg(header, MSG_MORE), then sendfile for the body; no cork needed.
        List<string> large = sections["large"];
        int header = large.FindIndex(l => l.Contains("sendmsg(", StringComparison.Ordinal) && l.Contains("iov_len=200", StringComparison.Ordinal));
        Assert.True(header >= 0, Dump("large", large));
        Assert.Contains("MSG_MORE", large[header], StringComparison.Ordinal);
        int body = large.FindIndex(header, l => l.Contains("sendfile(", StringComparison.Ordinal));
        Assert.True(body > header, Dump("large", large));
        Assert.DoesNotContain(large, l => l.Contains("TCP_CORK", StringComparison.Ordinal));

        // With a trailer: TCP_CORK on, header, sendfile, trailer, TCP_CORK off, in that order.
        List<string> trailer = sections["large-trailer"];
        int corkOn = trailer.FindIndex(l => l.Contains("TCP_CORK, [1]", StringComparison.Ordinal));
        int sendfile = trailer.FindIndex(l => l.Contains("sendfile(", StringComparison.Ordinal));
        int trailerSend = trailer.FindIndex(l => l.Contains("sendmsg(", StringComparison.Ordinal) && l.Contains("iov_len=20}", StringComparison.Ordinal));
        int corkOff = trailer.FindIndex(l => l.Contains("TCP_CORK, [0]", StringComparison.Ordinal));
        Assert.True(corkOn >= 0 && corkOn < sendfile && sendfile < trailerSend && trailerSend < corkOff, Dump("large-trailer", trailer));

        // A 1 KiB file: one pread straight into the response array after the header, and one send(2)
        // of that array (strace shows it as sendto) of header + body; no sendmsg, no sendfile, no MSG_MORE.
        List<string> small = sections["small"];
        string smallSend = Assert.Single(small, l => l.Contains("sendto(", StringComparison.Ordinal));
        Assert.Contains(", 1224, ", smallSend, StringComparison.Ordinal);
        Assert.Single(small, l => l.Contains("pread64(", StringComparison.Ordinal));
        Assert.DoesNotContain("MSG_MORE", smallSend, StringComparison.Ordinal);
        Assert.DoesNotContain(small, l => l.Contains("sendfile(", StringComparison.Ordinal) || l.Contains("sendmsg(", StringComparison.Ordinal));

        // A 4 KiB memory body with a trailer: gathered into one buffer, one send(2) of 200 + 4096 + 20 bytes.
        string memorySend = Assert.Single(sections["memory"], l => l.Contains("sendto(", StringComparison.Ordinal));
        Assert.Contains(", 4316, ", memorySend, StringComparison.Ordinal);
        Assert.DoesNotContain(sections["memory"], l => l.Contains("sendmsg(", StringComparison.Ordinal));

        // A 64 KiB memory body with a trailer is not copied: one sendmsg, three iovec entries (more only
        // if the socket buffer took part of it).
        string memoryLargeSend = sections["memory-large"].First(l => l.Contains("sendmsg(", StringComparison.Ordinal));
        Assert.Contains("msg_iovlen=3", memoryLargeSend, StringComparison.Ordinal);
        Assert.DoesNotContain(sections["memory-large"], l => l.Contains("sendto(", StringComparison.Ordinal));

        // A 64 KiB pinned body with a trailer: sendmsg(header, MSG_MORE), then the body with
        // sendmsg(MSG_ZEROCOPY | MSG_MORE), then the trailer, which pushes; no cork.
        List<string> pinned = sections["pinned"];
        int pinnedHeader = pinned.FindIndex(l => l.Contains("sendmsg(", StringComparison.Ordinal) && l.Contains("iov_len=200}", StringComparison.Ordinal));
        Assert.True(pinnedHeader >= 0, Dump("pinned", pinned));
        Assert.Contains("MSG_MORE", pinned[pinnedHeader], StringComparison.Ordinal);
        Assert.DoesNotContain("MSG_ZEROCOPY", pinned[pinnedHeader], StringComparison.Ordinal);
        int pinnedBody = pinned.FindIndex(pinnedHeader, l => l.Contains("sendmsg(", StringComparison.Ordinal) && l.Contains("MSG_ZEROCOPY", StringComparison.Ordinal));
        Assert.True(pinnedBody > pinnedHeader, Dump("pinned", pinned));
        Assert.Contains("MSG_MORE", pinned[pinnedBody], StringComparison.Ordinal);
        int pinnedTrailer = pinned.FindIndex(pinnedBody, l => l.Contains("sendmsg(", StringComparison.Ordinal) && l.Contains("iov_len=20}", StringComparison.Ordinal));
        Assert.True(pinnedTrailer > pinnedBody, Dump("pinned", pinned));
        Assert.DoesNotContain("MSG_MORE", pinned[pinnedTrailer], StringComparison.Ordinal);
        Assert.DoesNotContain(pinned, l => l.Contains("TCP_CORK", StringComparison.Ordinal));

        // A 1 KiB pinned body is below the threshold: one sendmsg with header, body and trailer, no MSG_ZEROCOPY.
        string pinnedSmall = Assert.Single(sections["pinned-small"], l => l.Contains("sendmsg(", StringComparison.Ordinal));
        Assert.Contains("msg_iovlen=3", pinnedSmall, StringComparison.Ordinal);
        Assert.DoesNotContain("MSG_ZEROCOPY", pinnedSmall, StringComparison.Ordinal);
        Assert.DoesNotContain("MSG_MORE", pinnedSmall, StringComparison.Ordinal);

        // KeepNagle: no TCP_NODELAY before the response; after its last byte, TCP_NODELAY on (which
        // pushes what Nagle holds) and off again, so the socket keeps Nagle for other writes.
        foreach (string name in new[] { "keep-nagle", "keep-nagle-memory" })
        {
            List<string> keep = sections[name];
            int lastSend = keep.FindLastIndex(l => l.Contains("sendmsg(", StringComparison.Ordinal) || l.Contains("sendto(", StringComparison.Ordinal) || l.Contains("sendfile(", StringComparison.Ordinal));
            int on = keep.FindIndex(l => l.Contains("TCP_NODELAY, [1]", StringComparison.Ordinal));
            int off = keep.FindIndex(l => l.Contains("TCP_NODELAY, [0]", StringComparison.Ordinal));
            Assert.True(lastSend >= 0 && lastSend < on && on < off, Dump(name, keep));
            Assert.Equal(2, keep.Count(l => l.Contains("TCP_NODELAY", StringComparison.Ordinal)));
        }
    }

    private static string Dump(string name, List<string> lines) => $"section {name}:\n" + string.Join("\n", lines);

    private static Dictionary<string, List<string>> RunProbe()
    {
        string probe = ProbePath();
        string dir = Directory.CreateTempSubdirectory("zc-strace-").FullName;
        string log = Path.Combine(dir, "strace.log");
        try
        {
            var start = new ProcessStartInfo("strace")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (string arg in new[] { "-f", "-qq", "-e", "trace=sendmsg,sendto,sendfile,setsockopt,pread64,write", "-o", log, "dotnet", probe, dir })
            {
                start.ArgumentList.Add(arg);
            }

            using Process process = Process.Start(start)!;
            string stderr = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(60_000), "the probe did not finish");
            Assert.True(process.ExitCode == 0, $"probe failed ({process.ExitCode}): {stderr}");
            Assert.Contains("@@platform linux", stderr, StringComparison.Ordinal);
            Assert.Contains("@@nagle-nodelay False", stderr, StringComparison.Ordinal);

            var sections = new Dictionary<string, List<string>>();
            List<string>? current = null;
            foreach (string line in File.ReadLines(log))
            {
                int begin = line.IndexOf("\"@@begin ", StringComparison.Ordinal);
                if (begin >= 0)
                {
                    string name = line.Substring(begin + 9).Split('\\')[0];
                    current = sections[name] = new List<string>();
                    continue;
                }

                if (line.Contains("\"@@end ", StringComparison.Ordinal))
                {
                    current = null;
                    continue;
                }

                current?.Add(line);
            }

            return sections;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The probe is built with the solution (the test projects reference it for build order only), in the same configuration as this assembly.</summary>
    private static string ProbePath()
    {
        string baseDir = AppContext.BaseDirectory;
        string configuration = baseDir.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        DirectoryInfo? root = new(baseDir);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ZeroCopy.Net.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        string probe = Path.Combine(root!.FullName, "tests", "ZeroCopy.Net.StraceProbe.Headers", "bin", configuration, "net10.0", "ZeroCopy.Net.StraceProbe.Headers.dll");
        Assert.True(File.Exists(probe), $"probe not built: {probe}");
        return probe;
    }
}
