using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace ZeroCopy.Net.Tests.Infrastructure;

/// <summary>Runs an external program (gcc, strace, a probe) to completion and captures its output.</summary>
public static class ExternalProcess
{
    /// <summary>Runs <paramref name="file"/>; kills it and throws <see cref="TimeoutException"/> past <paramref name="timeout"/>.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} ran longer than {timeout.TotalSeconds} s.");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
