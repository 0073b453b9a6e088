/*
 * The ceiling: what plain C reaches on the veth rig, so the managed numbers have a reference taken
 * in the same run. Same workload as bench/ZeroCopy.Net.Bench.Pinned in udp mode: connected UDP with
 * UDP_SEGMENT=1400 to an address whose packets the rig drops at the device, a 512 MiB working set
 * rotated so the data is cold, a 64-byte stamp written into every 4 KiB page before each send, the
 * error queue drained every DRAIN_EVERY (8) zero-copy sends on each socket (and on ENOBUFS, which
 * then resends without the flag).
 *
 *   [SIZES=8192,65536] raw_udp <dst-ip> <port> <seconds> <rounds> <huge:0|1> <stamp:0|1> [sockets, default 1]
 *
 * huge=1 backs the working set with transparent huge pages (MADV_HUGEPAGE), as PinnedBufferPool's
 * slabs are; huge=0 is plain 4 KiB pages, as a .NET byte[] is. stamp=0 sends the bytes as they lie
 * (the managed harness's --write none). SIZES (environment, comma-separated bytes) replaces the
 * default 8192,16384,32768,65536, so run.sh can pass the harness's --sizes.
 *
 * Drain schedule: DRAIN_EVERY defaults to 8 because the library drains every 8 zero-copy sends per
 * socket (DrainEverySends in ZeroCopyChannel.cs); the ceiling must pay the same completion cost per
 * send, or the comparison measures the schedule rather than the library. Build with
 * -DDRAIN_EVERY=4 to reproduce runs made before issue 12 (they drained every 4).
 *
 * sockets=N: N connected sockets (each with SO_SNDBUF, UDP_SEGMENT and SO_ZEROCOPY), driven
 * round-robin from this one thread, one send per socket in turn; each socket counts its own sends
 * for the drain schedule, as the library does per ZeroCopySocket. One thread, because the C
 * ceiling is about the kernel's per-send cost, not about how a program spreads sockets over cores
 * (the managed harness runs one task per socket). Throughput is all sockets' bytes / wall time.
 *
 * Prints one line per measurement (the trailing field is new with issue 12; parsers reading the
 * first four fields are unaffected):
 *   raw-<copy|zerocopy>-<4k|huge> <size> <round> <GB/s> sockets=<N>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define WORKING_SET (512ul << 20)
#define MAX_SOCKETS 1024
#define MAX_SIZES 32

/* Zero-copy sends per socket between error-queue drains: the library's DrainEverySends (see above). */
#ifndef DRAIN_EVERY
#define DRAIN_EVERY 8
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Reads every queued completion; returns how many sends they covered. */
static long drain(int fd)
{
    long covered = 0;
    char control[256];
    for (;;) {
        struct msghdr msg = {0};
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return covered;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        if (cm == NULL)
            continue;
        struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(cm);
        if (ee->ee_origin == SO_EE_ORIGIN_ZEROCOPY)
            covered += (long)(ee->ee_data - ee->ee_info) + 1;
    }
}

static int stamp = 1;

static double measure(const int *fds, int nfds, char *mem, int size, int zerocopy, double seconds, long *sequence)
{
    int slot = size > 65000 ? 65536 : size;
    if (size > 65000)
        size = 65000; /* UDP's limit is 65507: the "64 KiB" row sends 65000-byte datagrams */
    long slots = (long)(WORKING_SET / (size_t)slot);
    long sent = 0;
    static long calls[MAX_SOCKETS]; /* zero-copy sends per socket since its last drain */
    int next = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        for (int k = 0; k < 64; k++) {
            long seq = (*sequence)++;
            int i = next;
            next = next + 1 == nfds ? 0 : next + 1;
            int fd = fds[i];
            char *p = mem + (seq % slots) * slot;
            for (int page = 0; stamp && page < size; page += 4096) {
                memcpy(p + page, &seq, sizeof seq);
                memset(p + page + 8, (char)seq, 56);
            }
            ssize_t n = send(fd, p, (size_t)size, zerocopy ? MSG_ZEROCOPY : 0);
            if (n < 0 && errno == ENOBUFS) {
                drain(fd); /* the schedule's count runs on, as the library's does */
                n = send(fd, p, (size_t)size, 0);
            } else if (n >= 0 && zerocopy && ++calls[i] >= DRAIN_EVERY) {
                drain(fd);
                calls[i] = 0;
            }
            if (n < 0 && errno != EAGAIN) {
                perror("send");
                exit(1);
            }
            if (n > 0)
                sent += n;
        }
    }
    double elapsed = now() - start;
    for (int i = 0; zerocopy && i < nfds; i++) {
        drain(fds[i]);
        calls[i] = 0;
    }
    return (double)sent / elapsed / 1e9;
}

/* SIZES=8192,65536 (environment) or the harness's defaults; returns how many. */
static int parse_sizes(int *sizes)
{
    const char *env = getenv("SIZES");
    if (env == NULL || *env == '\0')
        env = "8192,16384,32768,65536";
    int n = 0;
    for (const char *p = env; *p != '\0' && n < MAX_SIZES;) {
        char *endp;
        long v = strtol(p, &endp, 10);
        if (endp == p || v <= 0) {
            fprintf(stderr, "SIZES: bad list '%s' (comma-separated byte counts)\n", env);
            exit(2);
        }
        sizes[n++] = (int)v;
        p = *endp == ',' ? endp + 1 : endp;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: [SIZES=8192,65536] %s <dst-ip> <port> <seconds> <rounds> <huge:0|1> <stamp:0|1> [sockets]\n", argv[0]);
        return 2;
    }
    stamp = atoi(argv[6]);
    double seconds = atof(argv[3]);
    int rounds = atoi(argv[4]);
    int huge = atoi(argv[5]);
    int nfds = argc == 8 ? atoi(argv[7]) : 1;
    if (nfds < 1 || nfds > MAX_SOCKETS) {
        fprintf(stderr, "sockets must be 1..%d\n", MAX_SOCKETS);
        return 2;
    }
    int sizes[MAX_SIZES];
    int nsizes = parse_sizes(sizes);

    char *mem = mmap(NULL, WORKING_SET, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    if (huge)
        madvise(mem, WORKING_SET, MADV_HUGEPAGE);
    memset(mem, 1, WORKING_SET);

    static int fds[MAX_SOCKETS];
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &dst.sin_addr);
    for (int i = 0; i < nfds; i++) {
        int fd = fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        int one = 1, segment = 1400, sndbuf = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment);
        if (setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof one) != 0) {
            perror("SO_ZEROCOPY");
            return 1;
        }
        if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
            perror("connect");
            return 1;
        }
    }

    long sequence = 0;
    for (int s = 0; s < nsizes; s++) {
        measure(fds, nfds, mem, sizes[s], 0, 0.3, &sequence); /* warm-up, not reported */
        measure(fds, nfds, mem, sizes[s], 1, 0.3, &sequence);
        for (int round = 1; round <= rounds; round++) {
            for (int zerocopy = 0; zerocopy <= 1; zerocopy++) {
                double gbps = measure(fds, nfds, mem, sizes[s], zerocopy, seconds, &sequence);
                printf("raw-%s-%s %d %d %.2f sockets=%d\n", zerocopy ? "zerocopy" : "copy", huge ? "huge" : "4k", sizes[s], round, gbps, nfds);
                fflush(stdout);
            }
        }
    }
    return 0;
}
