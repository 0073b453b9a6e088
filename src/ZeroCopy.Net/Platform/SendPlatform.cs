using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ZeroCopy.Net.Platform.Bsd;
using ZeroCopy.Net.Platform.Linux;
using ZeroCopy.Net.Platform.Portable;
using ZeroCopy.Net.Platform.Windows;

namespace ZeroCopy.Net.Platform;

/// <summary>
/// Chooses the platform implementation once per process, from the OS and a capability probe;
/// no per-call feature probing. A NuGet package has no Linux TFM, so this happens at run time.
/// </summary>
internal abstract class SendPlatform
{
    private static readonly Lazy<SendPlatform> s_current = new(Select);

    /// <summary>The platform chosen for this process.</summary>
    public static SendPlatform Current => s_current.Value;

    /// <summary>
    /// Whether the pinned pool maps its slabs with anonymous mmap (64-bit Linux: a quarantined
    /// buffer can be unmapped alone, and slabs can be huge pages; see Buffers/PinnedMemory.cs) rather
    /// than aligned heap memory. Decided here, with every other OS decision, whatever path a socket uses.
    /// </summary>
    public static bool MapsPinnedMemory { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && IntPtr.Size == 8;

    /// <summary>The portable copying path, correct on every OS.</summary>
    public static SendPlatform Portable { get; } = new PortableSendPlatform();

    /// <summary>A short name for diagnostics: "linux", "portable", ...</summary>
    public abstract string Name { get; }

    /// <summary>What this platform can do in this process, before any per-socket probe.</summary>
    public abstract ZeroCopyCapabilities Capabilities { get; }

    /// <summary>Why a kernel path was not chosen, or <see langword="null"/>.</summary>
    public virtual string? FallbackReason => null;

    /// <summary>Creates the sender for one connected socket.</summary>
    public abstract SocketSender CreateSender(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics);

    private static SendPlatform Select()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return (SendPlatform?)LinuxSendPlatform.TryCreate(out string? reason) ?? new PortableSendPlatform(reason);
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return (SendPlatform?)WindowsSendPlatform.TryCreate(out string? reason) ?? new PortableSendPlatform(reason);
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX) || RuntimeInformation.IsOSPlatform(OSPlatform.Create("FREEBSD")))
        {
            return (SendPlatform?)BsdSendPlatform.TryCreate(out string? reason) ?? new PortableSendPlatform(reason);
        }

        return new PortableSendPlatform("no kernel path is implemented for this OS");
    }
}
