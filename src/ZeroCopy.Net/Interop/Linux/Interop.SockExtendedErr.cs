using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        // linux/errqueue.h
        internal const byte SO_EE_ORIGIN_ZEROCOPY = 5;
        internal const byte SO_EE_CODE_ZEROCOPY_COPIED = 1;

        /// <summary>struct sock_extended_err (linux/errqueue.h), 16 bytes. For zero-copy completions
        /// only ee_origin, ee_code, ee_info (first sequence number) and ee_data (last) are defined.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct sock_extended_err
        {
            internal uint ee_errno;
            internal byte ee_origin;
            internal byte ee_type;
            internal byte ee_code;
            internal byte ee_pad;
            internal uint ee_info;
            internal uint ee_data;
        }
    }
}
