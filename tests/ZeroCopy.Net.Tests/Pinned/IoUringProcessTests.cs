using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Xunit;
using ZeroCopy.Net.Tests.Infrastructure;
using ZeroCopy.Net.Tests.Strace;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>
/// The io_uring engine seen from outside a process: the strace probe (tests/ZeroCopy.Net.StraceProbe,
/// mode iouring-pinned) sends pinned buffers with Engine = IoUring, under strace, under a seccomp
/// filter that refuses io_uring_setup (tests/native/deny_io_uring.c), and under an RLIMIT_MEMLOCK
/// too small for a registered slab; every byte is checked by the probe's peer each time.
/// </summary>
public class IoUringProcessTests
{
    private static readonly string[] s_traced = { "io_uring_setup", "io_uring_enter", "io_uring_register", "sendmsg", "recvmsg", "sendto", "write", "writev" };

    private static string NativeDir => Path.Combine(
        typeof(IoUringProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!,
        "tests", "native");

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [IoUringStraceFact]
    public void StraceShowsIoUringEnterAndNoSendmsgOrErrorQueue()
    {
        StraceRun run = StraceRunner.RunProbe(s_traced, "iouring-pinned", "16", "65536");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal("true", run.Output["verified"]);
        Assert.Equal("IoUring", run.Output["engine"]);
        Assert.Contains(run.Calls, c => c.Name == "io_uring_setup" && c.Result >= 0);
        Assert.Contains(run.Calls, c => c.Name == "io_uring_register" && c.Args.Contains("IORING_REGISTER_BUFFERS_UPDATE", StringComparison.Ordinal) && c.Result == 1);
        Assert.Contains(run.Calls, c => c.Name == "io_uring_enter" && c.Result >= 1); // submitted SQEs
        Assert.Empty(run.OnSocket("sendmsg", "sendto", "write", "writev"));
        Assert.DoesNotContain(run.Calls, c => c.Name == "recvmsg" && c.Args.Contains("MSG_ERRQUEUE", StringComparison.Ordinal));
        Assert.Equal("0", run.Output["in-flight-buffers"]);
    }

    /// <summary>A burst of 8 datagrams is one io_uring_enter that submits 8 SQEs (SEND_ZC), not 8 syscalls.</summary>
    [IoUringStraceFact]
    public void StraceShowsOneIoUringEnterPerDatagramBurst()
    {
        StraceRun run = StraceRunner.RunProbe(s_traced, "pinned-datagrams", "IoUring", "6", "8", "8192");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal("true", run.Output["verified"]);
        Assert.Equal("IoUring", run.Output["engine"]);
        Assert.Equal("48", run.Output["pinned-send-calls"]);
        Assert.Equal("48", run.Output["zero-copy-sends"]);
        Assert.Equal("0", run.Output["in-flight-buffers"]);
        Assert.Empty(run.OnSocket("sendmsg", "sendto", "write", "writev"));

        // io_uring_enter(ring_fd, to_submit, ...): the submitting enters of the bursts each say 8.
        int burstEnters = run.Calls.Count(c => c.Name == "io_uring_enter" && c.Result == 8 && c.Args.Split(',')[1].Trim() == "8");
        Assert.True(burstEnters >= 6, $"{burstEnters} io_uring_enter calls submitted a whole burst:\n{string.Join('\n', run.Calls.Where(c => c.Name == "io_uring_enter").Select(c => c.Args + " = " + c.Result))}");
    }

    [SeccompProbeFact]
    public void ASeccompFilterThatRefusesIoUringSetupFallsBackToEpollWithTheReason()
    {
        string dir = Directory.CreateTempSubdirectory("zc-seccomp-").FullName;
        try
        {
            string exe = Path.Combine(dir, "deny_io_uring");
            (int cc, _, string ccErr) = ExternalProcess.Run("gcc", new[] { "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-o", exe, Path.Combine(NativeDir, "deny_io_uring.c") }, TimeSpan.FromSeconds(60));
            Assert.True(cc == 0, ccErr);

            // The timeout guards against a hang (the test's point is that nothing hangs); it is not asserted on.
            (int exit, string stdout, string stderr) = ExternalProcess.Run(exe, new[] { DotnetHost, StraceRunner.ProbePath, "iouring-pinned", "8", "65536" }, TimeSpan.FromSeconds(120));
            Dictionary<string, string> output = Parse(stdout);
            Assert.True(exit == 0, stdout + stderr);
            Assert.Equal("true", output["verified"]);
            Assert.Equal("Epoll", output["engine"]);
            Assert.Contains("io_uring_setup", output["fallback-reason"], StringComparison.Ordinal);
            Assert.Contains("EPERM", output["fallback-reason"], StringComparison.Ordinal);
            Assert.Equal("0", output["in-flight-buffers"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Without CAP_IPC_LOCK the kernel charges registered buffers to RLIMIT_MEMLOCK: 1 MiB holds the
    /// rings but not a 2 MiB slab, so registration is refused (ENOMEM), the reason is reported, and
    /// the sends go out as unregistered SEND_ZC.
    /// </summary>
    [MemlockProbeFact]
    public void ARefusedSlabRegistrationSendsUnregisteredWithTheReason()
    {
        (int exit, string stdout, string stderr) = ExternalProcess.Run("prlimit", new[]
        {
            "--memlock=1048576", "setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock",
            DotnetHost, StraceRunner.ProbePath, "iouring-pinned", "8", "65536",
        }, TimeSpan.FromSeconds(120));
        Dictionary<string, string> output = Parse(stdout);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("true", output["verified"]);
        Assert.Equal("IoUring", output["engine"]);
        Assert.Contains("ENOMEM", output["fixed-buffer-reason"], StringComparison.Ordinal);
        Assert.NotEqual("0", output["zero-copy-sends"]);
        Assert.Equal("0", output["in-flight-buffers"]);
    }

    private static Dictionary<string, string> Parse(string stdout) => stdout
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(l => l.Split('=', 2))
        .Where(kv => kv.Length == 2)
        .GroupBy(kv => kv[0])
        .ToDictionary(g => g.Key, g => g.Last()[1]);
}
