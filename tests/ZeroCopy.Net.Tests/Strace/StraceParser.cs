using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ZeroCopy.Net.Tests.Strace;

// One strace -f parser for every test project that proves syscalls (tests/ZeroCopy.Net.AspNetCore.Tests links
// this file): no dependency beyond the BCL.

/// <summary>One system call as strace printed it (unfinished/resumed halves already joined).</summary>
public sealed record Syscall(int Pid, string Name, string Args, long Result, string Line)
{
    /// <summary>The first argument as a descriptor number, or -1 when it is not a number.</summary>
    public int Fd => int.TryParse(Args.Split(',')[0].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int fd) ? fd : -1;

    public override string ToString() => Line;
}

/// <summary>Turns strace -f output into calls.</summary>
public static partial class StraceParser
{
    /// <summary>Parses strace -f output lines, joining "&lt;unfinished ...&gt;" with "&lt;... resumed&gt;" per pid.</summary>
    public static List<Syscall> Parse(IEnumerable<string> lines)
    {
        var pending = new Dictionary<int, string>();
        var calls = new List<Syscall>();
        foreach (string raw in lines)
        {
            Match head = PidPrefix().Match(raw);
            if (!head.Success)
            {
                continue;
            }

            int pid = int.Parse(head.Groups[1].Value, CultureInfo.InvariantCulture);
            string body = raw.Substring(head.Length);
            int unfinished = body.IndexOf(" <unfinished ...>", StringComparison.Ordinal);
            if (unfinished >= 0)
            {
                pending[pid] = body.Substring(0, unfinished);
                continue;
            }

            Match resumed = Resumed().Match(body);
            if (resumed.Success)
            {
                if (!pending.Remove(pid, out string? start))
                {
                    continue;
                }

                body = string.Concat(start, body.AsSpan(resumed.Length));
            }

            Match call = Call().Match(body);
            if (call.Success)
            {
                long result = long.TryParse(call.Groups["ret"].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long r) ? r : long.MinValue;
                calls.Add(new Syscall(pid, call.Groups["name"].Value, call.Groups["args"].Value, result, $"{pid} {body}"));
            }
        }

        return calls;
    }

    /// <summary>
    /// The calls on <paramref name="fd"/> while it named the descriptor in use at <paramref name="anchor"/>:
    /// from the socket()/accept4() that returned the number, or the last close() of it, before the anchor, to
    /// the next close() after it. A number is reused
    /// once closed (the runtime names each new thread by writing to /proc/self/task/N/comm, and such a
    /// write has taken a closed socket's number), so calls on the same number outside that span are not
    /// the descriptor's. Needs close traced.
    /// </summary>
    public static IEnumerable<Syscall> WithinLifetime(IReadOnlyList<Syscall> calls, int fd, int anchor)
    {
        int start = anchor;
        while (start > 0 && !IsClose(calls[start - 1], fd) && !Creates(calls[start], fd))
        {
            start--;
        }

        for (int i = start; i < calls.Count && !IsClose(calls[i], fd); i++)
        {
            if (calls[i].Fd == fd)
            {
                yield return calls[i];
            }
        }

        static bool IsClose(Syscall call, int fd) => call.Name == "close" && call.Fd == fd;
        static bool Creates(Syscall call, int fd) => call.Name is "socket" or "accept4" or "accept" && call.Result == fd;
    }

    [GeneratedRegex(@"^(\d+)\s+")]
    private static partial Regex PidPrefix();

    [GeneratedRegex(@"^<\.\.\. \w+ resumed>")]
    private static partial Regex Resumed();

    [GeneratedRegex(@"^(?<name>\w+)\((?<args>.*)\)\s+=\s+(?<ret>-?\d+|\?)")]
    private static partial Regex Call();
}
