using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

namespace ZeroCopy.Net.AspNetCore.Tests;

/// <summary>curl, a client that is not .NET, downloads every size from UseStaticFiles and Results.File.</summary>
public sealed class CurlTests : IClassFixture<SiteFiles>
{
    private readonly SiteFiles _site;

    public CurlTests(SiteFiles site) => _site = site;

    [CurlTheory]
    [MemberData(nameof(TestServer.FileNames), MemberType = typeof(TestServer))]
    public async Task Curl_DownloadsEveryByte(string name)
    {
        await using TestServer server = await TestServer.StartAsync(_site);
        string output = Path.Combine(Path.GetTempPath(), $"zc-curl-{Guid.NewGuid():N}");
        string output2 = output + ".results";
        try
        {
            // Both URLs on one curl run: the second request reuses the keep-alive connection.
            var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in new[] { "-sS", "--fail", "-o", output, new Uri(server.BaseAddress, name).ToString(), "-o", output2, new Uri(server.BaseAddress, "results/" + name).ToString() })
            {
                psi.ArgumentList.Add(arg);
            }

            using Process curl = Process.Start(psi)!;
            Task<string> stderr = curl.StandardError.ReadToEndAsync();
            await curl.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(curl.ExitCode == 0, $"curl exited with {curl.ExitCode}: {await stderr}");

            byte[] fromStatic = await File.ReadAllBytesAsync(output);
            byte[] fromResults = await File.ReadAllBytesAsync(output2);
            Assert.True(_site.Contents(name).AsSpan().SequenceEqual(fromStatic), "static files: wrong bytes");
            Assert.True(_site.Contents(name).AsSpan().SequenceEqual(fromResults), "Results.File: wrong bytes");
            Assert.Equal(_site.Contents(name).Length == 0 ? 0 : 2, server.Metrics["sendfile.responses"]);
        }
        finally
        {
            File.Delete(output);
            File.Delete(output2);
        }
    }
}
