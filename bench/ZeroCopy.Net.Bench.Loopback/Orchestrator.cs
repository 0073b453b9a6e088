using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;

namespace ZeroCopy.Net.Bench.Loopback;

/// <summary>Creates the files, starts the receiver, runs every sample in a fresh sender process and prints the table.</summary>
internal static class Orchestrator
{
    private const string Baseline = "bcl-path";
    private const string CopyBaseline = "copy-loop";
    private const string HandleBaseline = "bcl-packets";

    public static async Task<int> RunAsync(string[] args)
    {
        Options options = Options.Parse(args);
        Directory.CreateDirectory(options.Directory);
        var files = new Dictionary<long, string>();
        foreach (long size in options.Sizes)
        {
            files[size] = CreateWarmFile(options.Directory, size);
        }

        string loadBefore = LoadAverage();
        using Process receiver = StartSelf([], ["receive"], redirectInput: true);
        string portLine = await receiver.StandardOutput.ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidOperationException("receiver printed nothing");
        int port = int.Parse(portLine["PORT ".Length..], CultureInfo.InvariantCulture);

        // results[size][method] = samples in round order (null where a sample failed)
        var results = options.Sizes.ToDictionary(s => s, _ => options.Methods.ToDictionary(m => m, _ => new List<Sample?>()));
        var failures = new List<string>();
        for (int round = 0; round < options.Rounds; round++)
        {
            foreach (long size in options.Sizes)
            {
                (int warmup, int measured) = SendsFor(size);
                // Rotate the order every round so no method always runs first (or right after the 1 GiB case).
                for (int k = 0; k < options.Methods.Length; k++)
                {
                    string method = options.Methods[(k + round) % options.Methods.Length];
                    (Sample? sample, string? error) = await RunSenderAsync(method, size, port, files[size], warmup, measured).ConfigureAwait(false);
                    results[size][method].Add(sample);
                    if (error is not null)
                    {
                        failures.Add($"round {round + 1}, {FormatSize(size)}, {method}: {error}");
                    }

                    Console.Error.WriteLine(sample is null
                        ? $"round {round + 1} {FormatSize(size),6} {method,-10} FAILED: {error}"
                        : string.Create(CultureInfo.InvariantCulture, $"round {round + 1} {FormatSize(size),6} {method,-10} {sample.GBps,6:F2} GB/s  cpu {sample.SenderCpuPerGB:F3} s/GB  alloc {sample.AllocatedPerSend,8:F1} B/send"));
                }
            }
        }

        var paired = new Dictionary<long, List<PairedBatch>>();
        foreach (long size in options.PairedCycles > 0 ? options.Sizes : [])
        {
            (int batch, int cycles) = PairedPlan(size, options.PairedCycles);
            string bclCopy = files[size] + ".bcl";
            File.Copy(files[size], bclCopy, overwrite: true);
            WarmPageCache(bclCopy);
            (List<PairedBatch> batches, string? error) = await RunPairedAsync(size, port, files[size], bclCopy, batch, cycles).ConfigureAwait(false);
            File.Delete(bclCopy);
            paired[size] = batches;
            if (error is not null)
            {
                failures.Add($"paired {FormatSize(size)}: {error}");
            }

            Console.Error.WriteLine($"paired {FormatSize(size),6}: {batches.Count} batches{(error is null ? string.Empty : " FAILED: " + error)}");
        }

        receiver.StandardInput.Close();
        if (!receiver.WaitForExit(5000))
        {
            receiver.Kill();
        }

        string report = Report(options, results, failures, loadBefore, LoadAverage()) + PairedReport(options, paired);
        Console.WriteLine(report);
        if (options.MarkdownPath is not null)
        {
            await File.WriteAllTextAsync(options.MarkdownPath, report).ConfigureAwait(false);
        }

        if (!options.KeepFiles)
        {
            Directory.Delete(options.Directory, recursive: true);
        }

        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>Many sends for small files (per-call overhead dominates), few for large ones; about 160 MB to 2 GiB a sample.</summary>
    private static (int Warmup, int Measured) SendsFor(long size) => size switch
    {
        <= 64 * 1024 => (2_000, 10_000),
        <= 64L * 1024 * 1024 => (50, (int)Math.Max(16, (1L << 30) / size)),
        _ => (1, 2),
    };

    private static async Task<(Sample? Sample, string? Error)> RunSenderAsync(string method, long size, int port, string path, int warmup, int measured)
    {
        using Process sender = StartSelf(
            method == "bcl-path-nolock" ? [("DOTNET_SYSTEM_IO_DISABLEFILELOCKING", "1")] : [],
            ["send", method, size.ToString(CultureInfo.InvariantCulture), port.ToString(CultureInfo.InvariantCulture), path,
             warmup.ToString(CultureInfo.InvariantCulture), measured.ToString(CultureInfo.InvariantCulture)],
            redirectInput: false);
        Task<string> stdout = sender.StandardOutput.ReadToEndAsync();
        Task<string> stderr = sender.StandardError.ReadToEndAsync();
        await sender.WaitForExitAsync().ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false);
        string errors = await stderr.ConfigureAwait(false);
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (sender.ExitCode != 0 || line is null)
        {
            string why = (errors + output).Trim();
            return (null, $"exit code {sender.ExitCode}: {(why.Length > 400 ? why[..400] + "..." : why)}");
        }

        return (Sample.Parse(line.TrimEnd('\r')), null);
    }

    private static readonly string[] s_pairedMethods = ["zc-handle", "zc-path", "bcl-path"];

    /// <summary>Batches of about 0.1–0.5 s; at 16 KiB the BCL's leaked descriptors cap the total at 15,000 calls.</summary>
    private static (int Batch, int Cycles) PairedPlan(long size, int cycles) => size switch
    {
        <= 64 * 1024 => (1_000, Math.Min(cycles, 13)),
        <= 64L * 1024 * 1024 => ((int)Math.Max(1, (256L << 20) / size), cycles),
        _ => (1, cycles),
    };

    private static async Task<(List<PairedBatch> Batches, string? Error)> RunPairedAsync(long size, int port, string path, string bclPath, int batch, int cycles)
    {
        using Process child = StartSelf(
            [],
            ["paired", string.Join(',', s_pairedMethods), size.ToString(CultureInfo.InvariantCulture), port.ToString(CultureInfo.InvariantCulture), path,
             batch.ToString(CultureInfo.InvariantCulture), cycles.ToString(CultureInfo.InvariantCulture), bclPath],
            redirectInput: false);
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync().ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false);
        string errors = await stderr.ConfigureAwait(false);
        var batches = output.Split('\n').Where(l => l.StartsWith("PAIRED ", StringComparison.Ordinal)).Select(l => PairedBatch.Parse(l.TrimEnd('\r'))).ToList();
        return (batches, child.ExitCode == 0 ? null : $"exit code {child.ExitCode}: {errors.Trim()}");
    }

    private static string PairedReport(Options options, Dictionary<long, List<PairedBatch>> paired)
    {
        if (paired.Count == 0)
        {
            return string.Empty;
        }

        CultureInfo ci = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine();
        md.AppendLine("Paired, one process and one connection per size, batches of each method back to back, order rotated every cycle:");
        md.AppendLine();
        md.AppendLine("| size | batch × cycles | zc-handle ÷ BCL throughput | zc-path ÷ BCL throughput | zc-handle ÷ BCL CPU/GB | zc-path ÷ BCL CPU/GB | alloc B/send zc-handle / zc-path / BCL (median) |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (long size in options.Sizes)
        {
            if (!paired.TryGetValue(size, out List<PairedBatch>? batches) || batches.Count == 0)
            {
                continue;
            }

            var byCycle = batches.GroupBy(b => b.Cycle).Where(g => g.Count() == s_pairedMethods.Length).Select(g => g.ToDictionary(b => b.Method)).ToList();
            Spread Throughput(string m) => Spread.Of(byCycle.Select(c => c["bcl-path"].Seconds / c[m].Seconds));
            Spread Cpu(string m) => Spread.Of(byCycle.Select(c => c[m].Cpu / c["bcl-path"].Cpu));
            string Alloc(string m) => Spread.Of(batches.Where(b => b.Method == m).Select(b => (double)b.Allocated / b.Sends)).Median.ToString("F1", ci);
            md.AppendLine(ci,
                $"| {FormatSize(size)} | {batches[0].Sends} × {byCycle.Count} | {Throughput("zc-handle").Format("F3")} | {Throughput("zc-path").Format("F3")} " +
                $"| {Cpu("zc-handle").Format("F3")} | {Cpu("zc-path").Format("F3")} | {Alloc("zc-handle")} / {Alloc("zc-path")} / {Alloc("bcl-path")} |");
        }

        md.AppendLine();
        md.AppendLine("Throughput ratio > 1: the library is faster; CPU ratio < 1: the library spends less sender CPU per byte. Medians of per-cycle ratios (min–max).");
        return md.ToString();
    }

    private sealed record PairedBatch(string Method, int Cycle, long Bytes, int Sends, double Seconds, double Cpu, long Allocated)
    {
        public static PairedBatch Parse(string line)
        {
            var v = line["PAIRED ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            CultureInfo ci = CultureInfo.InvariantCulture;
            return new PairedBatch(v["method"], int.Parse(v["cycle"], ci), long.Parse(v["bytes"], ci), int.Parse(v["sends"], ci),
                double.Parse(v["seconds"], ci), double.Parse(v["cpu"], ci), long.Parse(v["allocated"], ci));
        }
    }

    private static Process StartSelf((string Name, string Value)[] environment, string[] arguments, bool redirectInput)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = !redirectInput,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Orchestrator).Assembly.Location);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A sample lives well under a second: let the JIT promote hot methods at once instead of
        // after its default 100 ms quiet period, so every method is measured at tier 1.
        start.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start " + self);
    }

    private static string CreateWarmFile(string directory, long size)
    {
        string path = Path.Combine(directory, $"payload-{size}.bin");
        byte[] block = new byte[(int)Math.Min(size, 1 << 20)];
        new Random(42).NextBytes(block);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 0))
        {
            for (long written = 0; written < size; written += block.Length)
            {
                file.Write(block, 0, (int)Math.Min(block.Length, size - written));
            }

            // Written back now, so writeback does not run during the samples; the pages stay cached.
            file.Flush(flushToDisk: true);
        }

        WarmPageCache(path);
        return path;
    }

    /// <summary>Reads the file once: the page cache is warm for every method alike.</summary>
    private static void WarmPageCache(string path)
    {
        using var file = File.OpenRead(path);
        byte[] buffer = new byte[1 << 20];
        while (file.Read(buffer, 0, buffer.Length) > 0)
        {
        }
    }

    private static string Report(Options options, Dictionary<long, Dictionary<string, List<Sample?>>> results, List<string> failures, string loadBefore, string loadAfter)
    {
        var md = new StringBuilder();
        CultureInfo ci = CultureInfo.InvariantCulture;
        md.AppendLine(ci, $"Machine: {Environment.ProcessorCount} CPUs, {CpuModel()}, Linux {KernelRelease()}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}");
        md.AppendLine(ci, $"Run: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {options.Rounds} rounds, each sample a fresh sender process; load average before: {loadBefore}, after: {loadAfter}");
        if (options.Rounds == 0)
        {
            return md.ToString();
        }

        md.AppendLine();
        md.AppendLine("| size | method | GB/s median (min–max) | vs BCL path | vs BCL packets | vs copy loop | sender CPU s/GB | receiver CPU s/GB | alloc B/send | sendfile calls/send | EAGAIN waits/send | fds left open on the file |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (long size in options.Sizes)
        {
            foreach (string method in options.Methods)
            {
                List<Sample> ok = results[size][method].Where(s => s is not null).Select(s => s!).ToList();
                if (ok.Count == 0)
                {
                    md.AppendLine(ci, $"| {FormatSize(size)} | {method} | failed | | | | | | | | | |");
                    continue;
                }

                double sends = ok[0].Sends;
                md.AppendLine(ci,
                    $"| {FormatSize(size)} | {method} | {Spread.Of(ok.Select(s => s.GBps)).Format("F2")} | {Ratio(results[size], method, Baseline)} | {Ratio(results[size], method, HandleBaseline)} | {Ratio(results[size], method, CopyBaseline)} " +
                    $"| {Spread.Of(ok.Select(s => s.SenderCpuPerGB)).Format("F3")} | {Spread.Of(ok.Select(s => s.ReceiverCpuPerGB)).Median.ToString("F3", ci)} " +
                    $"| {Spread.Of(ok.Select(s => s.AllocatedPerSend)).Format("F1")} | {Spread.Of(ok.Select(s => s.SendfileCalls / sends)).Median.ToString("F2", ci)} " +
                    $"| {Spread.Of(ok.Select(s => s.EagainWaits / sends)).Median.ToString("F2", ci)} | {Spread.Of(ok.Select(s => (double)(s.FdsAfter - s.FdsBefore))).Format("F0")} |");
            }
        }

        md.AppendLine();
        md.AppendLine("GB = 10^9 bytes, from the first send of a sample until the receiver acknowledged its last byte. Ratios are medians of per-round ratios " +
                      "(samples of one round run back to back), with their min–max. CPU is user+system time of the sender process; the receiver runs in its own process. " +
                      "sendfile calls and EAGAIN waits are the library's own counters (0 for the other methods). fds: descriptors the sender process still held on the payload file after the measured sends, minus before.");
        foreach (long size in options.Sizes)
        {
            (_, int measured) = SendsFor(size);
            md.AppendLine(ci, $"- {FormatSize(size)}: {measured} measured sends per sample after {SendsFor(size).Warmup} warm-up sends.");
        }

        if (failures.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Failed samples:");
            foreach (string failure in failures)
            {
                md.AppendLine(ci, $"- {failure}");
            }
        }

        return md.ToString();
    }

    /// <summary>Median over rounds of (this method's GB/s / the baseline's GB/s in the same round).</summary>
    private static string Ratio(Dictionary<string, List<Sample?>> bySize, string method, string baseline)
    {
        if (method == baseline || !bySize.TryGetValue(baseline, out List<Sample?>? baseSamples))
        {
            return "—";
        }

        List<Sample?> mine = bySize[method];
        var ratios = new List<double>();
        for (int i = 0; i < Math.Min(mine.Count, baseSamples.Count); i++)
        {
            if (mine[i] is Sample a && baseSamples[i] is Sample b)
            {
                ratios.Add(a.GBps / b.GBps);
            }
        }

        return ratios.Count == 0 ? "n/a" : Spread.Of(ratios).Format("F2");
    }

    internal static string FormatSize(long size) =>
        size >= 1L << 30 && size % (1L << 30) == 0 ? $"{size >> 30} GiB"
        : size >= 1 << 20 && size % (1 << 20) == 0 ? $"{size >> 20} MiB"
        : size >= 1 << 10 && size % (1 << 10) == 0 ? $"{size >> 10} KiB"
        : $"{size} B";

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string KernelRelease() =>
        File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : RuntimeInformation.OSDescription;

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed record Options(long[] Sizes, string[] Methods, int Rounds, string? MarkdownPath, string Directory, bool KeepFiles, int PairedCycles)
    {
        public static Options Parse(string[] args)
        {
            long[] sizes = [16 * 1024, 1024 * 1024, 1L << 30];
            string[] methods = SendMethod.All;
            int rounds = 5;
            string? markdown = null;
            string directory = Path.Combine(Path.GetTempPath(), $"zc-bench-{Environment.ProcessId}");
            bool keep = false;
            int pairedCycles = 15;
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--sizes": sizes = args[++i].Split(',').Select(ParseSize).ToArray(); break;
                    case "--methods": methods = args[++i].Split(','); break;
                    case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--markdown": markdown = args[++i]; break;
                    case "--dir": directory = args[++i]; break;
                    case "--keep-files": keep = true; break;
                    case "--paired-cycles": pairedCycles = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"unknown option '{args[i]}'; options: --sizes 16K,1M,1G --methods {string.Join(',', SendMethod.All)} --rounds N (0: paired only) --paired-cycles N (0: none) --markdown FILE --dir DIR --keep-files");
                }
            }

            return new Options(sizes, methods, rounds, markdown, directory, keep, pairedCycles);
        }

        private static long ParseSize(string text)
        {
            char unit = char.ToUpperInvariant(text[^1]);
            long multiplier = unit switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
            return long.Parse(multiplier == 1 ? text : text[..^1], CultureInfo.InvariantCulture) * multiplier;
        }
    }
}
