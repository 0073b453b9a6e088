using static ZeroCopy.Net.Interop.Linux;

namespace ZeroCopy.Net.Platform.Linux;

/// <summary>What one error-queue entry was.</summary>
internal enum ErrorQueueEntry
{
    /// <summary>No sock_extended_err in the control data.</summary>
    None,

    /// <summary>A MSG_ZEROCOPY completion: an inclusive range of send sequence numbers.</summary>
    ZeroCopyCompletion,

    /// <summary>Something else on the queue (an ICMP error, a timestamp): not a completion.</summary>
    Other,
}

/// <summary>
/// Reads the control data of one recvmsg(MSG_ERRQUEUE): the cmsg at SOL_IP/IP_RECVERR (AF_INET
/// sockets) or SOL_IPV6/IPV6_RECVERR (AF_INET6, which includes .NET's dual-mode sockets) holding a
/// <see cref="sock_extended_err"/>. Only ee_origin == SO_EE_ORIGIN_ZEROCOPY makes it a completion;
/// for those, ee_info is the first and ee_data the last sequence number (inclusive), and ee_code
/// SO_EE_CODE_ZEROCOPY_COPIED says the kernel copied after all. Pure: no syscalls, so tests feed it
/// hand-built buffers.
/// </summary>
internal static unsafe class ErrorQueueParser
{
    private static readonly nuint s_headerSpace = CMSG_ALIGN((nuint)sizeof(cmsghdr));

    public static ErrorQueueEntry Parse(byte* control, nuint controlLength, out uint lo, out uint hi, out bool copied)
    {
        lo = hi = 0;
        copied = false;
        ErrorQueueEntry result = ErrorQueueEntry.None;
        nuint offset = 0;

        // CMSG_FIRSTHDR / CMSG_NXTHDR, with every length checked against the buffer.
        while (offset + (nuint)sizeof(cmsghdr) <= controlLength)
        {
            cmsghdr* header = (cmsghdr*)(control + offset);
            nuint length = header->cmsg_len;
            if (length < (nuint)sizeof(cmsghdr) || length > controlLength - offset)
            {
                break;
            }

            bool isRecvErr = (header->cmsg_level == SOL_IP && header->cmsg_type == IP_RECVERR)
                || (header->cmsg_level == SOL_IPV6 && header->cmsg_type == IPV6_RECVERR);
            if (isRecvErr && length >= s_headerSpace + (nuint)sizeof(sock_extended_err))
            {
                sock_extended_err* error = (sock_extended_err*)(control + offset + s_headerSpace);
                if (error->ee_origin == SO_EE_ORIGIN_ZEROCOPY)
                {
                    lo = error->ee_info;
                    hi = error->ee_data;
                    copied = error->ee_code == SO_EE_CODE_ZEROCOPY_COPIED;
                    return ErrorQueueEntry.ZeroCopyCompletion;
                }

                result = ErrorQueueEntry.Other;
            }
            else if (result == ErrorQueueEntry.None)
            {
                result = ErrorQueueEntry.Other;
            }

            offset += CMSG_ALIGN(length);
        }

        return result;
    }
}
