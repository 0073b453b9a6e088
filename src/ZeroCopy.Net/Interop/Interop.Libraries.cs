namespace ZeroCopy.Net;

/// <summary>
/// All native imports of the library. One file per C header, C names kept (the Tmds.LibC model),
/// blittable signatures only. Every struct and constant here is checked against the C headers by
/// tests/native/check_abi.c (Linux), or by
/// tests/ZeroCopy.Net.Tests/Native/ForeignAbiTests.cs against the sizes documented from the Windows and BSD headers.
/// </summary>
internal static partial class Interop
{
    internal static class Libraries
    {
        // glibc's soname. "libc" alone probes libc.so, which on glibc systems is a linker script.
        internal const string Libc = "libc.so.6";

        // Windows: the DLLs that export TransmitFile, the Winsock calls and the kernel32 calls.
        internal const string Mswsock = "mswsock.dll";
        internal const string Ws2_32 = "ws2_32.dll";
        internal const string Kernel32 = "kernel32.dll";

        // FreeBSD's libc soname ("libc.so" is a linker script there too) and macOS's libSystem,
        // which re-exports libc's system calls.
        internal const string FreeBsdLibc = "libc.so.7";
        internal const string MacLibSystem = "/usr/lib/libSystem.dylib";
    }
}
