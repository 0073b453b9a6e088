using ZeroCopy.Net.Platform.Portable;

namespace ZeroCopy.Net.Platform.Windows;

/// <summary>
/// Windows. Today: the portable copying path, reported honestly (<see cref="ZeroCopyCapabilities.None"/>).
/// </summary>
/// <remarks>
/// The kernel path to add here is TransmitFile (mswsock.h) with TRANSMIT_FILE_BUFFERS for headers
/// and trailers: a WindowsSocketSender in this folder overriding
/// <see cref="SocketSender.SendFileAsync(Microsoft.Win32.SafeHandles.SafeFileHandle, long, long?, System.Threading.CancellationToken)"/>,
/// with its imports under Interop/Windows. It cannot be tested on the Linux CI, so it is not shipped untested.
/// </remarks>
internal sealed class WindowsSendPlatform : PortableSendPlatform
{
    public WindowsSendPlatform()
        : base("TransmitFile is not implemented yet; Windows uses the portable copying path")
    {
    }

    public override string Name => "windows-portable";
}
