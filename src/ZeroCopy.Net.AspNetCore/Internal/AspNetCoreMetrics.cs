using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace ZeroCopy.Net.AspNetCore.Internal;

/// <summary>
/// The package's instruments, on a meter from the host's <see cref="IMeterFactory"/> (so each host, and each test
/// server, has its own): responses whose file went out with sendfile(2), their bytes, and responses that went
/// through Kestrel's own path, by reason.
/// </summary>
internal sealed class AspNetCoreMetrics
{
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _sendFileResponses;
    private readonly Counter<long> _sendFileBytes;

    public AspNetCoreMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(ZeroCopyWebHostBuilderExtensions.MeterName);
        _fallbacks = meter.CreateCounter<long>(
            "zerocopy.aspnetcore.fallbacks",
            unit: "{response}",
            description: "Responses whose SendFileAsync (or whose compressed body) went through Kestrel's own copying path, by reason.");
        _sendFileResponses = meter.CreateCounter<long>(
            "zerocopy.aspnetcore.sendfile.responses",
            unit: "{response}",
            description: "Responses whose file body the transport sent with sendfile(2) (small bodies gathered with the headers into one send).");
        _sendFileBytes = meter.CreateCounter<long>(
            "zerocopy.aspnetcore.sendfile.bytes",
            unit: "By",
            description: "File body bytes the transport sent itself instead of copying them through Kestrel's response pipe.");
    }

    public void Fallback(string reason) => _fallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void SentFile(long bytes)
    {
        _sendFileResponses.Add(1);
        _sendFileBytes.Add(bytes);
    }
}
