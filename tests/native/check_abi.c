/*
 * ABI check for the interop the SendFile foundation uses: every constant and struct in
 * src/ZeroCopy.Net/Interop/Linux/Interop.{Errno,Epoll,Fcntl,Msghdr,Sendfile,Sendmsg,
 * SockExtendedErr,Socket,Statx}.cs, checked against the installed headers. See abi_check.h for
 * the output format. Other capabilities add their own check_abi_<topic>.c next to this file.
 */
#include "abi_check.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <linux/errqueue.h>

/* The Linux path is enabled for 64-bit processes only (LinuxSendPlatform checks IntPtr.Size). */
static_assert(sizeof(void *) == 8, "the interop assumes a 64-bit ABI");
static_assert(sizeof(off_t) == 8, "sendfile's off_t* is declared as long* in C#");
static_assert(sizeof(ssize_t) == 8 && sizeof(size_t) == 8, "ssize_t/size_t are nint/nuint in C#");
static_assert(sizeof(socklen_t) == 4, "socklen_t is uint in C#");

static void errnos(void)
{
    ABI_VALUE("Errno.SUCCESS", 0);
    ABI_ERRNO(EPERM);
    ABI_ERRNO(ENOENT);
    ABI_ERRNO(EINTR);
    ABI_ERRNO(EIO);
    ABI_ERRNO(EBADF);
    ABI_ERRNO(EAGAIN);
    ABI_ERRNO(ENOMEM);
    ABI_ERRNO(EACCES);
    ABI_ERRNO(EFAULT);
    ABI_ERRNO(EEXIST);
    ABI_ERRNO(ENODEV);
    ABI_ERRNO(ENOTDIR);
    ABI_ERRNO(EISDIR);
    ABI_ERRNO(EINVAL);
    ABI_ERRNO(ENFILE);
    ABI_ERRNO(EMFILE);
    ABI_ERRNO(ENOSPC);
    ABI_ERRNO(ESPIPE);
    ABI_ERRNO(EPIPE);
    ABI_ERRNO(ENOSYS);
    ABI_ERRNO(ELOOP);
    ABI_ERRNO(EOVERFLOW);
    ABI_ERRNO(ENOTSOCK);
    ABI_ERRNO(EDESTADDRREQ);
    ABI_ERRNO(EMSGSIZE);
    ABI_ERRNO(EPROTOTYPE);
    ABI_ERRNO(ENOPROTOOPT);
    ABI_ERRNO(EOPNOTSUPP);
    ABI_ERRNO(EAFNOSUPPORT);
    ABI_ERRNO(ENETDOWN);
    ABI_ERRNO(ENETUNREACH);
    ABI_ERRNO(ECONNABORTED);
    ABI_ERRNO(ECONNRESET);
    ABI_ERRNO(ENOBUFS);
    ABI_ERRNO(EISCONN);
    ABI_ERRNO(ENOTCONN);
    ABI_ERRNO(ESHUTDOWN);
    ABI_ERRNO(ETIMEDOUT);
    ABI_ERRNO(ECONNREFUSED);
    ABI_ERRNO(EHOSTUNREACH);
}

static void epoll(void)
{
    ABI_CONST(EPOLL_CLOEXEC);
    ABI_CONST(EPOLL_CTL_ADD);
    ABI_CONST(EPOLL_CTL_DEL);
    ABI_CONST(EPOLL_CTL_MOD);
    ABI_CONST(EPOLLIN);
    ABI_CONST(EPOLLOUT);
    ABI_CONST(EPOLLERR);
    ABI_CONST(EPOLLHUP);
    ABI_CONST(EPOLLRDHUP);
    ABI_VALUE("EPOLLET", (unsigned int)EPOLLET);
    /* Packed on x86-64 (12 bytes, data at 4), natural alignment elsewhere (16, data at 8). */
    ABI_VALUE("EpollEventSize", sizeof(struct epoll_event));
    ABI_VALUE("EpollEventDataOffset", offsetof(struct epoll_event, data));
}

static void fcntl_and_stat(void)
{
    ABI_CONST(O_RDONLY);
    ABI_CONST(O_WRONLY);
    ABI_CONST(O_ACCMODE);
    ABI_CONST(O_NONBLOCK);
    ABI_CONST(O_CLOEXEC);
    ABI_CONST(F_GETFL);
    ABI_CONST(F_SETFL);
    ABI_CONST(AT_FDCWD);
    ABI_CONST(AT_EMPTY_PATH);
    ABI_CONST(STATX_TYPE);
    ABI_CONST(STATX_INO);
    ABI_CONST(STATX_SIZE);
    ABI_CONST(S_IFMT);
    ABI_CONST(S_IFREG);
    ABI_CONST(S_IFDIR);
    ABI_CONST(S_IFIFO);
    ABI_CONST(S_IFCHR);
    ABI_CONST(S_IFBLK);
    ABI_CONST(S_IFSOCK);
    ABI_SIZEOF(statx_t, struct statx);
    ABI_FIELD(statx_t, struct statx, stx_mask);
    ABI_FIELD(statx_t, struct statx, stx_mode);
    ABI_FIELD(statx_t, struct statx, stx_ino);
    ABI_FIELD(statx_t, struct statx, stx_size);
}

static void sendfile_and_msghdr(void)
{
    /* MAX_RW_COUNT (include/linux/fs.h): INT_MAX rounded down to a page. Not in the uapi
       headers, so computed the kernel's way. */
    ABI_VALUE("SENDFILE_MAX_CHUNK", INT_MAX & ~(sysconf(_SC_PAGESIZE) - 1));
    ABI_VALUE("UIO_MAXIOV", IOV_MAX);

    ABI_SIZEOF(iovec, struct iovec);
    ABI_FIELD(iovec, struct iovec, iov_base);
    ABI_FIELD(iovec, struct iovec, iov_len);

    ABI_SIZEOF(msghdr, struct msghdr);
    ABI_FIELD(msghdr, struct msghdr, msg_name);
    ABI_FIELD(msghdr, struct msghdr, msg_namelen);
    ABI_FIELD(msghdr, struct msghdr, msg_iov);
    ABI_FIELD(msghdr, struct msghdr, msg_iovlen);
    ABI_FIELD(msghdr, struct msghdr, msg_control);
    ABI_FIELD(msghdr, struct msghdr, msg_controllen);
    ABI_FIELD(msghdr, struct msghdr, msg_flags);

    ABI_SIZEOF(mmsghdr, struct mmsghdr);
    ABI_FIELD(mmsghdr, struct mmsghdr, msg_hdr);
    ABI_FIELD(mmsghdr, struct mmsghdr, msg_len);

    ABI_SIZEOF(cmsghdr, struct cmsghdr);
    ABI_FIELD(cmsghdr, struct cmsghdr, cmsg_len);
    ABI_FIELD(cmsghdr, struct cmsghdr, cmsg_level);
    ABI_FIELD(cmsghdr, struct cmsghdr, cmsg_type);

    /* CMSG_ALIGN over a range of lengths (the C# helper is a method, compared value by value). */
    for (size_t n = 0; n <= 40; n++)
    {
        char label[32];
        snprintf(label, sizeof label, "CMSG_ALIGN(%zu)", n);
        ABI_VALUE(label, CMSG_ALIGN(n));
    }
}

static void sock_extended_err(void)
{
    ABI_CONST(SO_EE_ORIGIN_ZEROCOPY);
    ABI_CONST(SO_EE_CODE_ZEROCOPY_COPIED);
    ABI_SIZEOF(sock_extended_err, struct sock_extended_err);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_errno);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_origin);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_type);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_code);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_pad);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_info);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_data);
}

static void sockets(void)
{
    ABI_CONST(SOL_SOCKET);
    ABI_CONST(SO_TYPE);
    ABI_CONST(SO_ERROR);
    ABI_CONST(SO_ZEROCOPY);
    ABI_CONST(SOL_IP);
    ABI_CONST(IP_RECVERR);
    ABI_CONST(SOL_IPV6);
    ABI_CONST(IPV6_RECVERR);
    ABI_CONST(IPPROTO_TCP);
    ABI_CONST(TCP_NODELAY);
    ABI_CONST(TCP_CORK);
    ABI_CONST(SOL_UDP);
    ABI_CONST(UDP_SEGMENT);
    ABI_CONST(SOCK_STREAM);
    ABI_CONST(SOCK_DGRAM);
    ABI_CONST(MSG_CTRUNC);
    ABI_CONST(MSG_DONTWAIT);
    ABI_CONST(MSG_ERRQUEUE);
    ABI_CONST(MSG_NOSIGNAL);
    ABI_CONST(MSG_MORE);
    ABI_CONST(MSG_ZEROCOPY);
}

int main(void)
{
    errnos();
    epoll();
    fcntl_and_stat();
    sendfile_and_msghdr();
    sock_extended_err();
    sockets();
    return 0;
}
