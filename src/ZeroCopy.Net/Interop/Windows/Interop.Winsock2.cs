using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    /// <summary>Windows winsock2.h: the overlapped-result call and the error codes the TransmitFile path tests for.</summary>
    internal static unsafe partial class Winsock2
    {
        // winerror.h / winsock2.h
        internal const int WSA_OPERATION_ABORTED = 995;
        internal const int WSA_IO_INCOMPLETE = 996;
        internal const int WSA_IO_PENDING = 997;
        internal const int WSAEINVAL = 10022;
        internal const int WSAENOTSOCK = 10038;

        /// <summary>INVALID_SOCKET ((SOCKET)(~0)).</summary>
        internal static readonly nint INVALID_SOCKET = -1;

        // winsock2.h: BOOL WSAAPI WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
        //   LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags);
        [DllImport(Libraries.Ws2_32, SetLastError = true, ExactSpelling = true)]
        internal static extern int WSAGetOverlappedResult(nint s, Kernel32.OVERLAPPED* lpOverlapped, uint* lpcbTransfer, int fWait, uint* lpdwFlags);
    }
}
