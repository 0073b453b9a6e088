/*
 * ABI facts the MSG_ZEROCOPY path and the pinned buffer pool add on top of check_abi.c:
 * mmap flags (Interop.Mman.cs), EPOLLONESHOT (Interop.Epoll.cs), and the error-queue control
 * sizes the parser relies on, and the thread CPU clock (Interop.Time.cs). Format and checking: see abi_check.h.
 */
#include "abi_check.h"

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/errqueue.h>

int main(void)
{
    ABI_CONST(PROT_READ);
    ABI_CONST(PROT_WRITE);
    ABI_CONST(MAP_PRIVATE);
    ABI_CONST(MAP_ANONYMOUS);
    ABI_CONST(PROT_NONE);
    ABI_CONST(MAP_FIXED);
    ABI_CONST(MAP_NORESERVE);
    ABI_CONST(MADV_HUGEPAGE);
    ABI_CONST(EPOLLONESHOT);
    ABI_CONST(SO_EE_ORIGIN_ZEROCOPY);
    ABI_CONST(SO_EE_CODE_ZEROCOPY_COPIED);
    ABI_SIZEOF(sock_extended_err, struct sock_extended_err);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_origin);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_code);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_info);
    ABI_FIELD(sock_extended_err, struct sock_extended_err, ee_data);
    /* Interop.Time.cs: the crossover policy's per-thread CPU clock. */
    ABI_CONST(CLOCK_THREAD_CPUTIME_ID);
    ABI_SIZEOF(timespec, struct timespec);
    ABI_FIELD(timespec, struct timespec, tv_sec);
    ABI_FIELD(timespec, struct timespec, tv_nsec);
    return 0;
}
