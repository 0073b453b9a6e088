using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;
using System.Threading.Tasks;

namespace ZeroCopy.Net.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Sums the ZeroCopy.Net.AspNetCore meter's counters of one host (the meter comes from that host's
/// <see cref="IMeterFactory"/>, so servers of tests running in parallel never mix).
/// Keys: "sendfile.responses", "sendfile.bytes", "fallbacks:REASON".
/// </summary>
public sealed class MetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public MetricsCapture(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ZeroCopyWebHostBuilderExtensions.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name.Replace("zerocopy.aspnetcore.", string.Empty, StringComparison.Ordinal);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "reason")
                {
                    key += ":" + tag.Value;
                }
            }

            _sums.AddOrUpdate(key, value, (_, old) => old + value);
        });
        _listener.Start();
    }

    public long this[string key] => _sums.TryGetValue(key, out long v) ? v : 0;

    public long TotalFallbacks
    {
        get
        {
            long total = 0;
            foreach (KeyValuePair<string, long> kv in _sums)
            {
                if (kv.Key.StartsWith("fallbacks", StringComparison.Ordinal))
                {
                    total += kv.Value;
                }
            }

            return total;
        }
    }

    public string Describe() => string.Join(", ", _sums);

    /// <summary>Waits (up to a generous bound) for a count recorded after the response left, e.g. by middleware unwinding.</summary>
    public async Task<long> WaitForAsync(string key, long atLeast)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (this[key] < atLeast && !deadline.IsCancellationRequested)
        {
            await Task.Delay(10);
        }

        return this[key];
    }

    public void Dispose() => _listener.Dispose();
}
