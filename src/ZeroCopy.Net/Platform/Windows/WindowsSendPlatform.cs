using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static ZeroCopy.Net.Interop.Kernel32;
using static ZeroCopy.Net.Interop.Mswsock;
using static ZeroCopy.Net.Interop.Winsock2;

namespace ZeroCopy.Net.Platform.Windows;

/// <summary>
/// Windows: TransmitFile (mswsock.dll) with TRANSMIT_FILE_BUFFERS for file bodies and their
/// headers and trailers (<see cref="WindowsSocketSender"/>); memory bodies and pinned sends take
/// the portable path, counted as copied.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsSendPlatform : SendPlatform
{
    private WindowsSendPlatform()
    {
    }

    /// <inheritdoc/>
    public override string Name => "windows";

    /// <inheritdoc/>
    public override ZeroCopyCapabilities Capabilities => ZeroCopyCapabilities.KernelSendFile | ZeroCopyCapabilities.Cork;

    /// <summary>
    /// Probes, once per process, that the imports resolve and reject an invalid handle the way the
    /// documentation says (INVALID_SOCKET: WSAENOTSOCK, or ERROR_INVALID_HANDLE / WSAEINVAL depending
    /// on where it is rejected; a NULL handle: ERROR_INVALID_HANDLE).
    /// Returns null (and a reason) when TransmitFile cannot be used, so the process falls back to
    /// the portable path.
    /// </summary>
    public static unsafe WindowsSendPlatform? TryCreate(out string? reason)
    {
        if (IntPtr.Size != 8)
        {
            // The struct layouts in Interop/Windows are the 64-bit ABI's (see ForeignAbiTests).
            reason = "the Windows TransmitFile path supports 64-bit processes only";
            return null;
        }

        try
        {
            // Initialises Winsock in this process (WSAStartup) the way the BCL does, so the probe
            // sees "not a socket" rather than WSANOTINITIALISED.
            _ = Socket.OSSupportsIPv4;

            OVERLAPPED overlapped = default;
            int error = TransmitFile(INVALID_SOCKET, 0, 0, 0, &overlapped, null, 0) != 0 ? 0 : Marshal.GetLastWin32Error();
            if (!IsInvalidHandleError(error))
            {
                reason = $"TransmitFile probe did not fail with WSAENOTSOCK as expected (error {error})";
                return null;
            }

            uint bytes;
            uint flags;
            error = WSAGetOverlappedResult(INVALID_SOCKET, &overlapped, &bytes, 0, &flags) != 0 ? 0 : Marshal.GetLastWin32Error();
            if (!IsInvalidHandleError(error))
            {
                reason = $"WSAGetOverlappedResult probe did not fail with WSAENOTSOCK as expected (error {error})";
                return null;
            }

            error = CancelIoEx(0, null) != 0 ? 0 : Marshal.GetLastWin32Error();
            if (error != ERROR_INVALID_HANDLE)
            {
                reason = $"CancelIoEx probe did not fail with ERROR_INVALID_HANDLE as expected (error {error})";
                return null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"mswsock/ws2_32/kernel32 probe failed: {ex.Message}";
            return null;
        }

        reason = null;
        return new WindowsSendPlatform();
    }

    // What "not a socket" looks like from Winsock, depending on where the handle is rejected:
    // WSAENOTSOCK from the provider lookup, ERROR_INVALID_HANDLE from the kernel, WSAEINVAL from
    // argument checks. Anything else (or success) means the import is not the call we think it is.
    private static bool IsInvalidHandleError(int error) => error is WSAENOTSOCK or ERROR_INVALID_HANDLE or WSAEINVAL;

    /// <inheritdoc/>
    public override SocketSender CreateSender(Socket socket, SocketSettings settings, ZeroCopyStatistics statistics)
        => new WindowsSocketSender(socket, statistics, settings.KeepNagle);
}
