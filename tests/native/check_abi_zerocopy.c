/* ABI facts the MSG_ZEROCOPY path relies on, printed from the real headers as "NAME VALUE" lines.
 * tests/ZeroCopy.Net.Tests/Pinned/ZeroCopyAbiTests.cs compiles this with gcc, runs it and compares
 * every line with the C# constants and struct layouts in src/ZeroCopy.Net/Interop/Linux. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <linux/udp.h>
#include <errno.h>
#include <limits.h>

#define P(name, value) printf("%s %ld\n", name, (long)(value))

int main(void)
{
    P("MSG_ZEROCOPY", MSG_ZEROCOPY);
    P("MSG_ERRQUEUE", MSG_ERRQUEUE);
    P("MSG_DONTWAIT", MSG_DONTWAIT);
    P("MSG_NOSIGNAL", MSG_NOSIGNAL);
    P("MSG_CTRUNC", MSG_CTRUNC);
    P("SOL_SOCKET", SOL_SOCKET);
    P("SO_ZEROCOPY", SO_ZEROCOPY);
    P("SOL_IP", SOL_IP);
    P("IP_RECVERR", IP_RECVERR);
    P("SOL_IPV6", SOL_IPV6);
    P("IPV6_RECVERR", IPV6_RECVERR);
    P("SOL_UDP", IPPROTO_UDP); /* SOL_UDP is IPPROTO_UDP (udp(7)) */
    P("UDP_SEGMENT", UDP_SEGMENT);
    P("SO_EE_ORIGIN_ZEROCOPY", SO_EE_ORIGIN_ZEROCOPY);
    P("SO_EE_CODE_ZEROCOPY_COPIED", SO_EE_CODE_ZEROCOPY_COPIED);
    P("ENOBUFS", ENOBUFS);
    P("EAGAIN", EAGAIN);
    P("PROT_READ", PROT_READ);
    P("PROT_WRITE", PROT_WRITE);
    P("MAP_PRIVATE", MAP_PRIVATE);
    P("MAP_ANONYMOUS", MAP_ANONYMOUS);
    P("UIO_MAXIOV", IOV_MAX);
    P("sizeof(sock_extended_err)", sizeof(struct sock_extended_err));
    P("offsetof(sock_extended_err.ee_origin)", offsetof(struct sock_extended_err, ee_origin));
    P("offsetof(sock_extended_err.ee_code)", offsetof(struct sock_extended_err, ee_code));
    P("offsetof(sock_extended_err.ee_info)", offsetof(struct sock_extended_err, ee_info));
    P("offsetof(sock_extended_err.ee_data)", offsetof(struct sock_extended_err, ee_data));
    P("sizeof(msghdr)", sizeof(struct msghdr));
    P("offsetof(msghdr.msg_iov)", offsetof(struct msghdr, msg_iov));
    P("offsetof(msghdr.msg_iovlen)", offsetof(struct msghdr, msg_iovlen));
    P("offsetof(msghdr.msg_control)", offsetof(struct msghdr, msg_control));
    P("offsetof(msghdr.msg_controllen)", offsetof(struct msghdr, msg_controllen));
    P("offsetof(msghdr.msg_flags)", offsetof(struct msghdr, msg_flags));
    P("sizeof(cmsghdr)", sizeof(struct cmsghdr));
    P("CMSG_LEN(0)", CMSG_LEN(0));
    P("CMSG_SPACE(sizeof(sock_extended_err))", CMSG_SPACE(sizeof(struct sock_extended_err)));
    P("sizeof(iovec)", sizeof(struct iovec));
    return 0;
}
