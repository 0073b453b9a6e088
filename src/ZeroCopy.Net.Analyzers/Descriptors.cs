using Microsoft.CodeAnalysis;

namespace ZeroCopy.Net.Analyzers;

/// <summary>The ZC diagnostics. Each help link is the rule's section of docs/analyzers.md.</summary>
internal static class Descriptors
{
    private const string HelpBase = "https://github.com/zerocopy-net/ZeroCopy.Net/blob/main/docs/analyzers.md#";
    private const string Migration = "ZeroCopy.Migration";
    private const string Ownership = "ZeroCopy.Ownership";

    public static readonly DiagnosticDescriptor SendWholeFile = Create(
        DiagnosticIds.SendWholeFile,
        "Send a whole file with SendFileZeroCopyAsync",
        "{0} sends a whole file through a user buffer: use SendFileZeroCopyAsync({1}), which sends it from the page cache with sendfile(2)",
        Migration,
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor CopyFileToNetworkStream = Create(
        DiagnosticIds.CopyFileToNetworkStream,
        "Send a FileStream with SendFileZeroCopyAsync instead of copying it into a NetworkStream",
        "{0} copies a FileStream into a NetworkStream through a buffer: send it with SendFileZeroCopyAsync on the stream's socket",
        Migration,
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor SendFileWithBuffers = Create(
        DiagnosticIds.SendFileWithBuffers,
        "Use SendWithHeadersAsync instead of Socket.SendFile with pre- and post-buffers",
        "{0} with pre/post buffers keeps a file descriptor and an advisory lock per call on Linux until a GC, and stalls with Nagle on: use ZeroCopySocket.SendWithHeadersAsync with SendBody.FromFile",
        Migration,
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor HeaderThenBody = Create(
        DiagnosticIds.HeaderThenBody,
        "Send a header and its body in one SendWithHeadersAsync",
        "A header send followed by a body send on '{0}' meets the peer's delayed ACK with Nagle on (~40 ms) or sends a tiny packet without it: send both with one SendWithHeadersAsync",
        Migration,
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor PooledArraySend = Create(
        DiagnosticIds.PooledArraySend,
        "Send large generated buffers with RentBuffer and SendPinnedAsync",
        "'{0}' is rented from ArrayPool, filled and sent ({1}): a PinnedBuffer from ZeroCopySocket.RentBuffer sent with SendPinnedAsync can go out with MSG_ZEROCOPY (32 KiB and more)",
        Migration,
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor PipeWriterOverNetworkStream = Create(
        DiagnosticIds.PipeWriterOverNetworkStream,
        "Write protocol messages with ZeroCopySocket.CreatePipeWriter",
        "PipeWriter.Create over a NetworkStream copies every flush into the socket: ZeroCopySocket.CreatePipeWriter() hands out pinned pool memory and flushes it with SendPinnedAsync",
        Migration,
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor PinnedBufferUsedAfterSend = Create(
        DiagnosticIds.PinnedBufferUsedAfterSend,
        "Do not use a PinnedBuffer after a send took it",
        "'{0}' is used after {1} took ownership of it: the handle no longer gives access (it throws, or does nothing); rent a new buffer",
        Ownership,
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor PinnedBufferMemorySent = Create(
        DiagnosticIds.PinnedBufferMemorySent,
        "Pass the PinnedBuffer, not its Memory, to SendPinnedAsync",
        "SendPinnedAsync('{0}.Memory') sends a pool buffer as caller memory: the buffer is not handed over and can be written or returned while the kernel still reads it; call SendPinnedAsync({0}, length)",
        Ownership,
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor CallerMemoryWrittenBeforeRelease = Create(
        DiagnosticIds.CallerMemoryWrittenBeforeRelease,
        "Do not write memory passed to SendPinnedAsync before WhenReleased",
        "'{0}' was passed to SendPinnedAsync and is written before the release's WhenReleased was awaited: the kernel may still be reading it; await WhenReleased first",
        Ownership,
        DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());
}
