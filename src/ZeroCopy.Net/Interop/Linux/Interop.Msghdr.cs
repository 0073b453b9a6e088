using System;
using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Linux
    {
        /// <summary>struct iovec (bits/types/struct_iovec.h), 16 bytes on 64-bit.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct iovec
        {
            internal void* iov_base;
            internal nuint iov_len;
        }

        /// <summary>struct msghdr (bits/socket.h), 56 bytes on 64-bit.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct msghdr
        {
            internal void* msg_name;
            internal uint msg_namelen;
            internal iovec* msg_iov;
            internal nuint msg_iovlen;
            internal void* msg_control;
            internal nuint msg_controllen;
            internal int msg_flags;
        }

        /// <summary>struct mmsghdr (bits/socket.h, _GNU_SOURCE), 64 bytes on 64-bit: one message of sendmmsg and the bytes the kernel sent of it.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct mmsghdr
        {
            internal msghdr msg_hdr;
            internal uint msg_len;
        }

        /// <summary>struct cmsghdr (bits/socket.h), 16 bytes on 64-bit; data follows at CMSG_ALIGN(sizeof(cmsghdr)).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct cmsghdr
        {
            internal nuint cmsg_len;
            internal int cmsg_level;
            internal int cmsg_type;
        }

        /// <summary>UIO_MAXIOV: the most iovec entries one sendmsg accepts.</summary>
        internal const int UIO_MAXIOV = 1024;

        /// <summary>CMSG_ALIGN: control data is aligned to sizeof(size_t).</summary>
        internal static nuint CMSG_ALIGN(nuint len) => (len + (nuint)(IntPtr.Size - 1)) & ~(nuint)(IntPtr.Size - 1);
    }
}
