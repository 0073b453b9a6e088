namespace ZeroCopy.Net;

/// <summary>
/// All native imports of the library. One file per C header, C names kept (the Tmds.LibC model),
/// blittable signatures only. Every struct and constant here is checked against the C headers by
/// tests/native/check_abi.c.
/// </summary>
internal static partial class Interop
{
    internal static class Libraries
    {
        // glibc's soname. "libc" alone probes libc.so, which on glibc systems is a linker script.
        internal const string Libc = "libc.so.6";
    }
}
