using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    /// <summary>Windows kernel32 imports (fileapi.h, ioapiset.h, handleapi.h) and the OVERLAPPED they share with Winsock.</summary>
    internal static unsafe partial class Kernel32
    {
        // winerror.h
        internal const int ERROR_FILE_NOT_FOUND = 2;
        internal const int ERROR_PATH_NOT_FOUND = 3;
        internal const int ERROR_ACCESS_DENIED = 5;
        internal const int ERROR_INVALID_HANDLE = 6;
        internal const int ERROR_SHARING_VIOLATION = 32;
        internal const int ERROR_NOT_FOUND = 1168;

        // ntstatus.h: what Internal holds while the operation is in flight.
        internal const nuint STATUS_PENDING = 0x103;

        // winnt.h / fileapi.h
        internal const uint GENERIC_READ = 0x80000000;
        internal const uint FILE_SHARE_READ = 0x1;
        internal const uint FILE_SHARE_WRITE = 0x2;
        internal const uint FILE_SHARE_DELETE = 0x4;
        internal const uint OPEN_EXISTING = 3;
        internal const uint FILE_ATTRIBUTE_NORMAL = 0x80;
        internal const uint FILE_FLAG_SEQUENTIAL_SCAN = 0x08000000;
        internal const uint FILE_TYPE_DISK = 0x1;

        /// <summary>INVALID_HANDLE_VALUE ((HANDLE)-1), what CreateFileW returns on failure.</summary>
        internal static readonly nint INVALID_HANDLE_VALUE = -1;

        /// <summary>
        /// minwinbase.h: <c>typedef struct _OVERLAPPED { ULONG_PTR Internal; ULONG_PTR InternalHigh;
        /// union { struct { DWORD Offset; DWORD OffsetHigh; }; PVOID Pointer; }; HANDLE hEvent; } OVERLAPPED;</c>
        /// 64-bit: Internal at 0, InternalHigh at 8, Offset at 16, OffsetHigh at 20, hEvent at 24; 32 bytes.
        /// (WSAOVERLAPPED in winsock2.h is the same struct.)
        /// </summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct OVERLAPPED
        {
            /// <summary>The NTSTATUS of the operation; STATUS_PENDING while it is in flight.</summary>
            internal nuint Internal;

            /// <summary>Bytes transferred, once complete.</summary>
            internal nuint InternalHigh;

            /// <summary>Low 32 bits of the file offset TransmitFile starts reading at.</summary>
            internal uint Offset;

            /// <summary>High 32 bits of the file offset.</summary>
            internal uint OffsetHigh;

            /// <summary>The event signalled on completion; with its low-order bit set, no completion packet is queued to the handle's port.</summary>
            internal nint hEvent;
        }

        // fileapi.h: HANDLE CreateFileW(LPCWSTR, DWORD, DWORD, LPSECURITY_ATTRIBUTES, DWORD, DWORD, HANDLE);
        [DllImport(Libraries.Kernel32, SetLastError = true, ExactSpelling = true)]
        internal static extern nint CreateFileW(char* lpFileName, uint dwDesiredAccess, uint dwShareMode, void* lpSecurityAttributes, uint dwCreationDisposition, uint dwFlagsAndAttributes, nint hTemplateFile);

        // fileapi.h: BOOL GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize);
        [DllImport(Libraries.Kernel32, SetLastError = true, ExactSpelling = true)]
        internal static extern int GetFileSizeEx(nint hFile, long* lpFileSize);

        // fileapi.h: DWORD GetFileType(HANDLE hFile);
        [DllImport(Libraries.Kernel32, SetLastError = true, ExactSpelling = true)]
        internal static extern uint GetFileType(nint hFile);

        // handleapi.h: BOOL CloseHandle(HANDLE hObject);
        [DllImport(Libraries.Kernel32, SetLastError = true, ExactSpelling = true)]
        internal static extern int CloseHandle(nint hObject);

        // ioapiset.h: BOOL CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
        [DllImport(Libraries.Kernel32, SetLastError = true, ExactSpelling = true)]
        internal static extern int CancelIoEx(nint hFile, OVERLAPPED* lpOverlapped);
    }
}
