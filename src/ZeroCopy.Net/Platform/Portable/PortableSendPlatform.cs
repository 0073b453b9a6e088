using System.Net.Sockets;

namespace ZeroCopy.Net.Platform.Portable;

/// <summary>The copying path: correct on every OS .NET runs on, zero-copy nowhere. Every byte it moves is counted as copied.</summary>
internal class PortableSendPlatform : SendPlatform
{
    private readonly string? _reason;

    public PortableSendPlatform(string? reason = null) => _reason = reason;

    public override string Name => "portable";

    public override ZeroCopyCapabilities Capabilities => ZeroCopyCapabilities.None;

    public override string? FallbackReason => _reason;

    public override SocketSender CreateSender(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics)
        => new PortableSocketSender(socket, statistics, settings.KeepNagle);
}
