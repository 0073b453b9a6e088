using System.Runtime.InteropServices;

namespace ZeroCopy.Net;

internal static partial class Interop
{
    internal static partial class Bsd
    {
        // netinet/in.h, netinet/tcp.h: the same values on FreeBSD and macOS.
        internal const int IPPROTO_TCP = 6;
        internal const int TCP_NODELAY = 1;

        /// <summary>TCP_NOPUSH (4 on both): hold partial segments until it is cleared or a full segment forms; the BSD cork.</summary>
        internal const int TCP_NOPUSH = 4;

        /// <summary>
        /// struct sf_hdtr (FreeBSD sys/socket.h, macOS sys/socket.h):
        /// <c>{ struct iovec *headers; int hdr_cnt; struct iovec *trailers; int trl_cnt; }</c>.
        /// 64-bit: headers at 0, hdr_cnt at 8, trailers at 16, trl_cnt at 24; 32 bytes (each int padded to 8).
        /// </summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct sf_hdtr
        {
            internal iovec* headers;
            internal int hdr_cnt;
            internal iovec* trailers;
            internal int trl_cnt;
        }

        /// <summary>FreeBSD libc.so.7 imports of sys/socket.h.</summary>
        internal static unsafe partial class FreeBsd
        {
            // int sendfile(int fd, int s, off_t offset, size_t nbytes, struct sf_hdtr *hdtr, off_t *sbytes, int flags);
            // nbytes counts file bytes only (0: to end of file); *sbytes gets every byte sent, headers and
            // trailers included, also when it fails with EAGAIN or EINTR on a non-blocking socket.
            [DllImport(Libraries.FreeBsdLibc, SetLastError = true)]
            internal static extern int sendfile(int fd, int s, long offset, nuint nbytes, sf_hdtr* hdtr, long* sbytes, int flags);

            // int setsockopt(int s, int level, int optname, const void *optval, socklen_t optlen);
            [DllImport(Libraries.FreeBsdLibc, SetLastError = true)]
            internal static extern int setsockopt(int s, int level, int optname, void* optval, uint optlen);
        }

        /// <summary>macOS libSystem imports of sys/socket.h.</summary>
        internal static unsafe partial class MacOS
        {
            // int sendfile(int fd, int s, off_t offset, off_t *len, struct sf_hdtr *hdtr, int flags);
            // *len on input: header bytes plus file bytes (0: to end of file); trailers are always sent in
            // full. On return: every byte sent, headers and trailers included, also with EAGAIN or EINTR.
            [DllImport(Libraries.MacLibSystem, SetLastError = true)]
            internal static extern int sendfile(int fd, int s, long offset, long* len, sf_hdtr* hdtr, int flags);

            // int setsockopt(int socket, int level, int option_name, const void *option_value, socklen_t option_len);
            [DllImport(Libraries.MacLibSystem, SetLastError = true)]
            internal static extern int setsockopt(int s, int level, int optname, void* optval, uint optlen);
        }
    }
}
