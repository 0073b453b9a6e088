using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    /// <summary>Windows mswsock.h: TransmitFile and its buffers.</summary>
    internal static unsafe partial class Mswsock
    {
        /// <summary>TransmitFile's nNumberOfBytesToWrite must be at most 2^31 - 2 (and 0 means "the whole file").</summary>
        internal const uint TRANSMITFILE_MAX_CHUNK = 0x7FFFFFFE;

        /// <summary>
        /// mswsock.h: <c>typedef struct _TRANSMIT_FILE_BUFFERS { LPVOID Head; DWORD HeadLength; LPVOID Tail; DWORD TailLength; }</c>.
        /// 64-bit: Head at 0, HeadLength at 8, Tail at 16, TailLength at 24; 32 bytes (each DWORD padded to 8).
        /// </summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct TRANSMIT_FILE_BUFFERS
        {
            /// <summary>Bytes sent before the file data.</summary>
            internal void* Head;

            /// <summary>Length of <see cref="Head"/>.</summary>
            internal uint HeadLength;

            /// <summary>Bytes sent after the file data.</summary>
            internal void* Tail;

            /// <summary>Length of <see cref="Tail"/>.</summary>
            internal uint TailLength;
        }

        // mswsock.h: BOOL PASCAL TransmitFile(SOCKET hSocket, HANDLE hFile, DWORD nNumberOfBytesToWrite,
        //   DWORD nNumberOfBytesPerSend, LPOVERLAPPED lpOverlapped, LPTRANSMIT_FILE_BUFFERS lpTransmitBuffers, DWORD dwReserved);
        // Exported by mswsock.dll (the BCL's Socket.SendFile imports it the same way). hFile NULL sends only the buffers.
        [DllImport(Libraries.Mswsock, SetLastError = true, ExactSpelling = true)]
        internal static extern int TransmitFile(nint hSocket, nint hFile, uint nNumberOfBytesToWrite, uint nNumberOfBytesPerSend, Kernel32.OVERLAPPED* lpOverlapped, TRANSMIT_FILE_BUFFERS* lpTransmitBuffers, uint dwReserved);
    }
}
