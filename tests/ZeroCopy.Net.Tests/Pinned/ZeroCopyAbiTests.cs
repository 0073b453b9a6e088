using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using Xunit;
using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Tests.Pinned;

/// <summary>Every constant and struct layout the MSG_ZEROCOPY path uses, checked against the installed C headers (tests/native/check_abi_zerocopy.c).</summary>
public class ZeroCopyAbiTests
{
    [GccFact]
    public unsafe void InteropMatchesTheCHeaders()
    {
        Dictionary<string, long> c = CompileAndRun("check_abi_zerocopy.c");
        var expected = new Dictionary<string, long>
        {
            ["MSG_ZEROCOPY"] = MSG_ZEROCOPY,
            ["MSG_ERRQUEUE"] = MSG_ERRQUEUE,
            ["MSG_DONTWAIT"] = MSG_DONTWAIT,
            ["MSG_NOSIGNAL"] = MSG_NOSIGNAL,
            ["MSG_CTRUNC"] = MSG_CTRUNC,
            ["SOL_SOCKET"] = SOL_SOCKET,
            ["SO_ZEROCOPY"] = SO_ZEROCOPY,
            ["SOL_IP"] = SOL_IP,
            ["IP_RECVERR"] = IP_RECVERR,
            ["SOL_IPV6"] = SOL_IPV6,
            ["IPV6_RECVERR"] = IPV6_RECVERR,
            ["SOL_UDP"] = SOL_UDP,
            ["UDP_SEGMENT"] = UDP_SEGMENT,
            ["SO_EE_ORIGIN_ZEROCOPY"] = SO_EE_ORIGIN_ZEROCOPY,
            ["SO_EE_CODE_ZEROCOPY_COPIED"] = SO_EE_CODE_ZEROCOPY_COPIED,
            ["ENOBUFS"] = (long)Errno.ENOBUFS,
            ["EAGAIN"] = (long)Errno.EAGAIN,
            ["PROT_READ"] = PROT_READ,
            ["PROT_WRITE"] = PROT_WRITE,
            ["MAP_PRIVATE"] = MAP_PRIVATE,
            ["MAP_ANONYMOUS"] = MAP_ANONYMOUS,
            ["UIO_MAXIOV"] = UIO_MAXIOV,
            ["sizeof(sock_extended_err)"] = sizeof(sock_extended_err),
            ["offsetof(sock_extended_err.ee_origin)"] = (long)Marshal.OffsetOf<sock_extended_err>(nameof(sock_extended_err.ee_origin)),
            ["offsetof(sock_extended_err.ee_code)"] = (long)Marshal.OffsetOf<sock_extended_err>(nameof(sock_extended_err.ee_code)),
            ["offsetof(sock_extended_err.ee_info)"] = (long)Marshal.OffsetOf<sock_extended_err>(nameof(sock_extended_err.ee_info)),
            ["offsetof(sock_extended_err.ee_data)"] = (long)Marshal.OffsetOf<sock_extended_err>(nameof(sock_extended_err.ee_data)),
            ["sizeof(msghdr)"] = sizeof(msghdr),
            ["offsetof(msghdr.msg_iov)"] = (long)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_iov)),
            ["offsetof(msghdr.msg_iovlen)"] = (long)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_iovlen)),
            ["offsetof(msghdr.msg_control)"] = (long)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_control)),
            ["offsetof(msghdr.msg_controllen)"] = (long)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_controllen)),
            ["offsetof(msghdr.msg_flags)"] = (long)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_flags)),
            ["sizeof(cmsghdr)"] = sizeof(cmsghdr),
            ["CMSG_LEN(0)"] = (long)CMSG_ALIGN((nuint)sizeof(cmsghdr)),
            ["CMSG_SPACE(sizeof(sock_extended_err))"] = (long)(CMSG_ALIGN((nuint)sizeof(cmsghdr)) + CMSG_ALIGN((nuint)sizeof(sock_extended_err))),
            ["sizeof(iovec)"] = sizeof(iovec),
        };

        Assert.Equal(expected.Count, c.Count);
        foreach (KeyValuePair<string, long> pair in expected)
        {
            Assert.True(c.ContainsKey(pair.Key), $"{pair.Key} missing from the C output");
            Assert.True(c[pair.Key] == pair.Value, $"{pair.Key}: C says {c[pair.Key]}, C# says {pair.Value}");
        }
    }

    private static Dictionary<string, long> CompileAndRun(string source)
    {
        string path = FindNative(source);
        string exe = Path.Combine(Path.GetTempPath(), $"zc-abi-{Guid.NewGuid():N}");
        try
        {
            Run("gcc", $"-Wall -Werror -o \"{exe}\" \"{path}\"");
            string output = Run(exe, "");
            var values = new Dictionary<string, long>();
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int space = line.LastIndexOf(' ');
                values[line.Substring(0, space)] = long.Parse(line.AsSpan(space + 1), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture);
            }

            return values;
        }
        finally
        {
            File.Delete(exe);
        }
    }

    private static string FindNative(string name)
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, "tests", "native", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"tests/native/{name} not found above {AppContext.BaseDirectory}");
    }

    private static string Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {arguments} failed: {stderr}");
        return stdout;
    }
}

/// <summary>Skips where gcc (and Linux headers) are absent.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || !OnPath("gcc"))
        {
            Skip = "needs Linux and gcc to compile tests/native/check_abi_zerocopy.c";
        }
    }

    internal static bool OnPath(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, tool)))
            {
                return true;
            }
        }

        return false;
    }
}
