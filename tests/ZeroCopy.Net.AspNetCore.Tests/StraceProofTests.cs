using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using ZeroCopy.Net.AspNetCore.Tests.Infrastructure;
using ZeroCopy.Net.Tests.Strace;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>
/// The syscalls, seen from outside: an unchanged UseStaticFiles app with UseZeroCopy() (tests/ZeroCopy.Net.AspNetCore.StraceProbe)
/// runs under <c>strace -f</c>; a 1 MiB + 13 response's body is carried by sendfile(2) alone, after one sendmsg with
/// MSG_MORE holding Kestrel's response head (the shape of samples/HttpStaticServer's responses), and a 4 KiB
/// response leaves in one send with head and body together.
/// </summary>
public sealed class StraceProofTests : IClassFixture<SiteFiles>
{
    private static readonly string[] SendCalls = { "sendfile", "sendmsg", "sendto", "write", "writev", "send" };

    private readonly SiteFiles _site;

    public StraceProofTests(SiteFiles site) => _site = site;

    [StraceFact]
    public async Task PlaintextStaticFile_BodyGoesOutWithSendfile_AfterOneCorkedHead()
    {
        string trace = Path.Combine(Path.GetTempPath(), $"zc-aspnetcore-strace-{Guid.NewGuid():N}.txt");
        var psi = new ProcessStartInfo("strace")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-f", "-qq", "-s", "24", "-o", trace, "-e", "trace=close," + string.Join(",", SendCalls), DotnetHost, ProbePath, _site.Root })
        {
            psi.ArgumentList.Add(arg);
        }

        try
        {
            using (Process probe = Process.Start(psi)!)
            {
                Task<string> stderr = probe.StandardError.ReadToEndAsync();
                string? line;
                int port = 0;
                while ((line = await probe.StandardOutput.ReadLineAsync()) is not null)
                {
                    if (line.StartsWith("port=", StringComparison.Ordinal))
                    {
                        port = int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture);
                        break;
                    }
                }

                if (port == 0)
                {
                    Assert.Fail("the probe printed no port: " + await stderr);
                }

                var address = new Uri($"http://127.0.0.1:{port}/");

                // Two connections open at once, so their descriptors differ in the trace.
                using (var large = new RawHttpConnection(address))
                using (var small = new RawHttpConnection(address))
                {
                    await large.SendAsync(RawHttpConnection.Get("/1m13.bin", large.Host));
                    RawResponse largeResponse = await large.ReadResponseAsync();
                    await small.SendAsync(RawHttpConnection.Get("/4k.bin", small.Host));
                    RawResponse smallResponse = await small.ReadResponseAsync();
                    Assert.True(_site.Contents("1m13.bin").AsSpan().SequenceEqual(largeResponse.Body));
                    Assert.True(_site.Contents("4k.bin").AsSpan().SequenceEqual(smallResponse.Body));
                }

                probe.StandardInput.Close();
                try
                {
                    await probe.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
                }
                catch (TimeoutException)
                {
                    probe.Kill(entireProcessTree: true);
                    throw;
                }
            }

            List<Syscall> calls = StraceParser.Parse(File.ReadAllLines(trace));
            string excerpt = string.Join(Environment.NewLine, calls.Where(c => c.Name != "write").Take(30).Select(c => c.Line));

            // The large response: its descriptor is the one sendfile wrote to.
            int largeFd = Assert.Single(calls.Where(c => c.Name == "sendfile" && c.Result > 0).Select(c => c.Fd).Distinct());
            // Only the calls while the number was this connection's (a closed number is reused).
            int firstSendfile = calls.FindIndex(c => c.Name == "sendfile" && c.Fd == largeFd);
            List<Syscall> onLarge = StraceParser.WithinLifetime(calls, largeFd, firstSendfile)
                .Where(c => SendCalls.Contains(c.Name) && c.Result >= 0).ToList();
            Assert.Equal(SiteFiles.MiB + 13, onLarge.Where(c => c.Name == "sendfile").Sum(c => c.Result));
            Syscall head = onLarge[0];
            Assert.True(head.Name == "sendmsg" && head.Args.Contains("HTTP/1.1 200 OK", StringComparison.Ordinal) && head.Args.Contains("MSG_MORE", StringComparison.Ordinal), "the head is not one sendmsg(MSG_MORE):" + Environment.NewLine + excerpt);
            Assert.True(head.Result < 512, $"the head's send carried {head.Result} bytes: body bytes went with it");
            Assert.All(onLarge.Skip(1), c => Assert.Equal("sendfile", c.Name));

            // The small response: one send of head and body together (the library gathers bodies of at most 16 KiB).
            List<Syscall> smallSends = calls.Where(c => c.Fd != largeFd && c.Name is "sendmsg" or "sendto" or "send" && c.Args.Contains("HTTP/1.1 200 OK", StringComparison.Ordinal)).ToList();
            Syscall smallSend = Assert.Single(smallSends);
            Assert.True(smallSend.Result > 4096, $"the 4 KiB response's send carried {smallSend.Result} bytes");
            Assert.DoesNotContain(calls, c => c.Fd == smallSend.Fd && c.Name == "sendfile");
        }
        finally
        {
            File.Delete(trace);
        }
    }

    private static string ProbePath => typeof(StraceProofTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "StraceProbePath").Value!;

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
