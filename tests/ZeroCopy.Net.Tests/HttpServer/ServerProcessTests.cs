#if !LIBRARY_NETSTANDARD
using System;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.HttpServer;

/// <summary>
/// The sample server as its users start it (a process, command-line options): it turns inline socket
/// completions on unless the environment decides, and its limits come from the command line.
/// </summary>
[Trait("Category", "Slow")]
public partial class ServerProcessTests
{
    [SampleServerFact]
    public async Task TheServerProcessRunsInlineCompletionsByDefaultAndTakesItsLimitsFromTheCommandLine()
    {
        await using (ServerProcess server = await ServerProcess.StartAsync(null, "--header-timeout", "1", "--max-connections", "7"))
        {
            Assert.Contains("socket completions: inline on the epoll threads", server.Banner, StringComparison.Ordinal);
            Assert.Contains("header timeout 1 s", server.Banner, StringComparison.Ordinal);
            Assert.Contains("at most 7 connections", server.Banner, StringComparison.Ordinal);
            RawResponse ok = RawResponse.ParseOne(await ServerFixture.RawAsync(server.Port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", deadline: TimeSpan.FromSeconds(5)));
            Assert.Equal("HTTP/1.1 200 OK", ok.StatusLine);
            Assert.Equal("Hello from sendfile(2).\n", ok.Body);

            // The one-second head deadline from the command line: a request that never ends gets 408.
            var watch = Stopwatch.StartNew();
            RawResponse timedOut = RawResponse.ParseOne(await ServerFixture.RawAsync(server.Port, "GET /hello.txt HTTP/1.1\r\n", deadline: TimeSpan.FromSeconds(5)));
            Assert.Equal("HTTP/1.1 408 Request Timeout", timedOut.StatusLine);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"408 after {watch.Elapsed}");
        }

        await using (ServerProcess server = await ServerProcess.StartAsync("0"))
        {
            Assert.Contains("socket completions: on the thread pool", server.Banner, StringComparison.Ordinal);
        }
    }

    [SampleServerFact]
    public async Task AnUnknownOptionIsRefused()
    {
        var start = ServerProcess.StartInfo(null, "--no-such-option", "1");
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--no-such-option", await stderr, StringComparison.Ordinal);
    }

    private sealed partial class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private ServerProcess(Process process, string banner, int port)
        {
            _process = process;
            Banner = banner;
            Port = port;
        }

        public string Banner { get; }

        public int Port { get; }

        public static ProcessStartInfo StartInfo(string? inlineCompletions, params string[] options)
        {
            // The test project references the sample, so its build sits next to the test assembly.
            string dll = Path.Combine(AppContext.BaseDirectory, "HttpStaticServer.dll");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            start.ArgumentList.Add(string.Empty);
            start.ArgumentList.Add("0");
            foreach (string option in options)
            {
                start.ArgumentList.Add(option);
            }

            start.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
            if (inlineCompletions is not null)
            {
                start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = inlineCompletions;
            }

            return start;
        }

        public static async Task<ServerProcess> StartAsync(string? inlineCompletions, params string[] options)
        {
            Process process = Process.Start(StartInfo(inlineCompletions, options))!;
            try
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                string first = await process.StandardOutput.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("The server exited: " + await process.StandardError.ReadToEndAsync(deadline.Token));
                string second = await process.StandardOutput.ReadLineAsync(deadline.Token) ?? string.Empty;
                Match port = PortPattern().Match(first);
                Assert.True(port.Success, first);
                return new ServerProcess(process, first + "\n" + second, int.Parse(port.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
            catch
            {
                process.Kill();
                process.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            _process.Dispose();
        }

        [GeneratedRegex(@"on http://[^:]+:(\d+)/")]
        private static partial Regex PortPattern();
    }
}
#endif
