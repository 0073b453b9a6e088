using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace ZeroCopy.Net.Tests.Diagnostics;

/// <summary>Sums every measurement of the library's meter by instrument and tag value (one tag per instrument here).</summary>
public sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();
    private readonly ConcurrentDictionary<string, long> _histogramCounts = new();
    private long _lastBytesInFlight;

    public MeterRecorder()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ZeroCopySocket.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "zerocopy.bytes_in_flight")
            {
                _lastBytesInFlight = value;
                return;
            }

            string key = Key(instrument.Name, tags);
            _sums.AddOrUpdate(key, value, (_, old) => old + value);
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            _histogramCounts.AddOrUpdate(instrument.Name, 1, (_, old) => old + 1));
        _listener.Start();
    }

    /// <summary>The sum of <paramref name="instrument"/> with tag value <paramref name="tagValue"/> (or without tags when null).</summary>
    public long Sum(string instrument, string? tagValue = null) => _sums.TryGetValue(instrument + "|" + tagValue, out long v) ? v : 0;

    public long HistogramCount(string instrument) => _histogramCounts.TryGetValue(instrument, out long v) ? v : 0;

    /// <summary>Polls the observable bytes-in-flight gauge now.</summary>
    public long BytesInFlight()
    {
        _listener.RecordObservableInstruments();
        return _lastBytesInFlight;
    }

    public void Dispose() => _listener.Dispose();

    private static string Key(string instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? value = null;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            value = tag.Value?.ToString();
        }

        return instrument + "|" + value;
    }
}
