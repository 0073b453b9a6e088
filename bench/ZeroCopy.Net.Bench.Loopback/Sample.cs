using System;
using System.Collections.Generic;
using System.Globalization;

namespace ZeroCopy.Net.Bench.Loopback;

/// <summary>One measured sample, parsed from a sender's RESULT line.</summary>
internal sealed record Sample(
    long Bytes,
    int Sends,
    double Seconds,
    double UserSeconds,
    double SysSeconds,
    double ReceiverCpuSeconds,
    long Allocated,
    int Gen0,
    int FdsBefore,
    int FdsAfter,
    long SendfileCalls,
    long EagainWaits)
{
    public double GBps => Bytes / Seconds / 1e9;

    public double SenderCpuPerGB => (UserSeconds + SysSeconds) / (Bytes / 1e9);

    public double ReceiverCpuPerGB => ReceiverCpuSeconds / (Bytes / 1e9);

    public double AllocatedPerSend => (double)Allocated / Sends;

    public static Sample Parse(string line)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in line["RESULT ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            values[pair[..eq]] = pair[(eq + 1)..];
        }

        long L(string k) => long.Parse(values[k], CultureInfo.InvariantCulture);
        int I(string k) => int.Parse(values[k], CultureInfo.InvariantCulture);
        double D(string k) => double.Parse(values[k], CultureInfo.InvariantCulture);
        return new Sample(
            L("bytes"), I("sends"), D("seconds"), D("user"), D("sys"), D("receiverCpu"),
            L("allocated"), I("gen0"), I("fdsBefore"), I("fdsAfter"), L("sendfileCalls"), L("eagainWaits"));
    }
}

/// <summary>min / median / max of a sample set.</summary>
internal readonly record struct Spread(double Min, double Median, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var sorted = new List<double>(values);
        sorted.Sort();
        if (sorted.Count == 0)
        {
            return new Spread(double.NaN, double.NaN, double.NaN);
        }

        int mid = sorted.Count / 2;
        double median = sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Spread(sorted[0], median, sorted[^1]);
    }

    public string Format(string format) => string.Create(
        CultureInfo.InvariantCulture,
        $"{Median.ToString(format, CultureInfo.InvariantCulture)} ({Min.ToString(format, CultureInfo.InvariantCulture)}–{Max.ToString(format, CultureInfo.InvariantCulture)})");
}
