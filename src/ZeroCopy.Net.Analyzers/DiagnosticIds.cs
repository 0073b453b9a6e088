namespace ZeroCopy.Net.Analyzers;

/// <summary>The rule IDs (docs/analyzers.md has one section per ID).</summary>
internal static class DiagnosticIds
{
    public const string SendWholeFile = "ZC0001";
    public const string CopyFileToNetworkStream = "ZC0002";
    public const string SendFileWithBuffers = "ZC0003";
    public const string HeaderThenBody = "ZC0004";
    public const string PooledArraySend = "ZC0005";
    public const string PipeWriterOverNetworkStream = "ZC0006";
    public const string PinnedBufferUsedAfterSend = "ZC0010";
    public const string PinnedBufferMemorySent = "ZC0011";
    public const string CallerMemoryWrittenBeforeRelease = "ZC0012";
}
