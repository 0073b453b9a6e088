using System.Threading.Tasks;
using ZeroCopy.Net.Tests.Infrastructure;

namespace ZeroCopy.Net.Tests.ForeignPlatforms;

/// <summary>The Windows TransmitFile path over loopback. Runs on Windows only; skipped with the reason elsewhere.</summary>
public class TransmitFileLoopbackTests
{
    [WindowsFact]
    public Task WholeFileByPath() => ForeignKernelPathScenarios.WholeFileByPathAsync();

    [WindowsFact]
    public Task WindowOfAHandle() => ForeignKernelPathScenarios.WindowOfAHandleAsync();

    [WindowsFact]
    public Task HeadersFileAndTrailers() => ForeignKernelPathScenarios.HeadersFileAndTrailersAsync(300_000);

    [WindowsFact]
    public Task HeadersAndTrailersAroundAnEmptyWindow() => ForeignKernelPathScenarios.HeadersFileAndTrailersAsync(0);

    [WindowsFact]
    public Task MorePiecesThanIovMax() => ForeignKernelPathScenarios.MorePiecesThanIovMaxAsync();

    [WindowsFact]
    public Task SlowReader() => ForeignKernelPathScenarios.SlowReaderAsync();

    [WindowsFact]
    public Task CancelParkedSend() => ForeignKernelPathScenarios.CancelParkedSendAsync();

    [WindowsFact]
    public Task DisposeDuringParkedSend() => ForeignKernelPathScenarios.DisposeDuringParkedSendAsync();
}
