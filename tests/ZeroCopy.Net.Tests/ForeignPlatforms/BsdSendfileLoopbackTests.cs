using System.Threading.Tasks;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.ForeignPlatforms;

/// <summary>The FreeBSD/macOS sendfile path over loopback. Runs on FreeBSD and macOS only; skipped with the reason elsewhere.</summary>
public class BsdSendfileLoopbackTests
{
    [BsdFact]
    public Task WholeFileByPath() => ForeignKernelPathScenarios.WholeFileByPathAsync();

    [BsdFact]
    public Task WindowOfAHandle() => ForeignKernelPathScenarios.WindowOfAHandleAsync();

    [BsdFact]
    public Task HeadersFileAndTrailers() => ForeignKernelPathScenarios.HeadersFileAndTrailersAsync(300_000);

    [BsdFact]
    public Task HeadersAndTrailersAroundAnEmptyWindow() => ForeignKernelPathScenarios.HeadersFileAndTrailersAsync(0);

    [BsdFact]
    public Task MorePiecesThanIovMax() => ForeignKernelPathScenarios.MorePiecesThanIovMaxAsync();

    [BsdFact]
    public Task SlowReader() => ForeignKernelPathScenarios.SlowReaderAsync();

    [BsdFact]
    public Task CancelParkedSend() => ForeignKernelPathScenarios.CancelParkedSendAsync();

    [BsdFact]
    public Task DisposeDuringParkedSend() => ForeignKernelPathScenarios.DisposeDuringParkedSendAsync();
}
