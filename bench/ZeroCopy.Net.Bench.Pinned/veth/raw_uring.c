/*
 * The io_uring ceiling beside raw_udp.c's MSG_ZEROCOPY one: the same workload (connected UDP with
 * UDP_SEGMENT=1400 to an address the rig drops at the device, a 512 MiB working set rotated so the
 * data is cold, the optional 64-byte stamp per 4 KiB page) sent with IORING_OP_SEND_ZC from the
 * working set registered once as fixed buffers (IORING_REGISTER_BUFFERS), queue depth 8: up to 8
 * sends in flight, submitted together, completions (request CQE + notification CQE) reaped from the
 * ring. Also IORING_OP_SEND (copy) at the same depth, and SEND_ZC without registration, so the
 * table shows what registration buys. Built with liburing (Debian liburing-dev): the C ceiling
 * only; the library itself makes the raw syscalls.
 *
 *   [SIZES=8192,65536] raw_uring <dst-ip> <port> <seconds> <rounds> <huge:0|1> <stamp:0|1> [depth, default 8 [sockets, default 1]]
 *
 * Depth 1 is one request per io_uring_enter, the shape of a library call that waits for its
 * request CQE before the next send: it separates what registration buys from what batching buys.
 *
 * sockets=N: N connected sockets (each with SO_SNDBUF and UDP_SEGMENT) sharing the one ring,
 * filled round-robin from this one thread: consecutive SQEs go to consecutive sockets. The depth
 * counts requests in flight on the ring, not per socket, so depth 8 with 16 sockets has at most 8
 * sends outstanding in all: the ring is the unit a program (or the library's io_uring engine)
 * submits through (the library's engine is one ring per process, IoUringEngine.cs), and a fixed per-ring depth keeps io_uring_enter calls per send comparable.
 * SIZES (environment, comma-separated bytes) replaces the default 8192,16384,32768,65536, so
 * run.sh can pass the harness's --sizes.
 *
 * Prints one line per measurement, plus CPU seconds per GB, io_uring_enter calls per send and the
 * socket count (the last field is new with issue 12; parsers reading the earlier fields are unaffected):
 *   raw-uring-<send|sendzc|sendzc-fixed>-<4k|huge>-d<depth> <size> <round> <GB/s> cpu_s_per_gb=<x> enters_per_send=<y> sockets=<N>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define WORKING_SET (512ul << 20)
#define MAX_SOCKETS 1024
#define MAX_SIZES 32
static int depth = 8; /* requests in flight per io_uring_enter: argv[7], default 8 */

enum mode { MODE_SEND, MODE_SENDZC, MODE_SENDZC_FIXED };
static const char *mode_names[] = { "send", "sendzc", "sendzc-fixed" };

static int stamp = 1;
static long enters;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

/* Reaps every CQE ready; returns bytes sent by request CQEs; updates requests/notifications outstanding. */
static long reap(struct io_uring *ring, int *requests, int *notifs)
{
    long sent = 0;
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(ring, head, cqe) {
        n++;
        if (cqe->flags & IORING_CQE_F_NOTIF) {
            (*notifs)--;
            continue;
        }
        (*requests)--;
        if (cqe->flags & IORING_CQE_F_MORE)
            (*notifs)++;
        if (cqe->res < 0 && cqe->res != -EAGAIN && cqe->res != -ENOBUFS) {
            fprintf(stderr, "send: %s\n", strerror(-cqe->res));
            exit(1);
        }
        if (cqe->res > 0)
            sent += cqe->res;
    }
    io_uring_cq_advance(ring, n);
    return sent;
}

static double measure(struct io_uring *ring, const int *fds, int nfds, char *mem, int size, enum mode mode, double seconds, long *sequence, double *cpu_per_gb, double *enters_per_send)
{
    int slot = size > 65000 ? 65536 : size;
    if (size > 65000)
        size = 65000; /* UDP's limit is 65507: the "64 KiB" row sends 65000-byte datagrams */
    long slots = (long)(WORKING_SET / (size_t)slot);
    long sent = 0, sends = 0;
    int requests = 0, notifs = 0, next = 0;
    long enters_before = enters;
    double cpu_start = cpu_now();
    double start = now(), end = start + seconds;
    while (now() < end) {
        /* Fill the queue to `depth` requests, then one io_uring_enter submits them and waits for one CQE. */
        while (requests < depth && notifs < 4 * depth) {
            long seq = (*sequence)++;
            char *p = mem + (seq % slots) * slot;
            for (int page = 0; stamp && page < size; page += 4096) {
                memcpy(p + page, &seq, sizeof seq);
                memset(p + page + 8, (char)seq, 56);
            }
            int fd = fds[next];
            next = next + 1 == nfds ? 0 : next + 1;
            struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
            if (mode == MODE_SEND)
                io_uring_prep_send(sqe, fd, p, (size_t)size, 0);
            else if (mode == MODE_SENDZC)
                io_uring_prep_send_zc(sqe, fd, p, (size_t)size, 0, 0);
            else
                io_uring_prep_send_zc_fixed(sqe, fd, p, (size_t)size, 0, 0, 0);
            requests++;
            sends++;
        }
        enters++;
        if (io_uring_submit_and_wait(ring, 1) < 0) {
            perror("io_uring_submit_and_wait");
            exit(1);
        }
        sent += reap(ring, &requests, &notifs);
    }
    double elapsed = now() - start;
    while (requests > 0 || notifs > 0) {
        enters++;
        io_uring_submit_and_wait(ring, 1);
        reap(ring, &requests, &notifs); /* bytes after the deadline are not counted */
    }
    double cpu = cpu_now() - cpu_start;
    *cpu_per_gb = sent > 0 ? cpu / ((double)sent / 1e9) : 0;
    *enters_per_send = sends > 0 ? (double)(enters - enters_before) / (double)sends : 0;
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
    if (argc < 7 || argc > 9) {
        fprintf(stderr, "usage: [SIZES=8192,65536] %s <dst-ip> <port> <seconds> <rounds> <huge:0|1> <stamp:0|1> [depth [sockets]]\n", argv[0]);
        return 2;
    }
    stamp = atoi(argv[6]);
    if (argc >= 8 && (depth = atoi(argv[7])) < 1)
        depth = 1;
    int nfds = argc == 9 ? atoi(argv[8]) : 1;
    if (nfds < 1 || nfds > MAX_SOCKETS) {
        fprintf(stderr, "sockets must be 1..%d\n", MAX_SOCKETS);
        return 2;
    }
    int sizes[MAX_SIZES];
    int nsizes = parse_sizes(sizes);
    double seconds = atof(argv[3]);
    int rounds = atoi(argv[4]);
    int huge = atoi(argv[5]);

    char *mem = mmap(NULL, WORKING_SET, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    if (huge)
        madvise(mem, WORKING_SET, MADV_HUGEPAGE);
    memset(mem, 1, WORKING_SET);

    struct io_uring ring;
    int rc = io_uring_queue_init(64, &ring, 0);
    if (rc < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-rc));
        return 1;
    }
    /* One fixed buffer covering the whole working set (a buffer may be up to 1 GiB). Charged to
     * RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK (the rig runs as root). */
    struct iovec whole = { .iov_base = mem, .iov_len = WORKING_SET };
    rc = io_uring_register_buffers(&ring, &whole, 1);
    if (rc < 0) {
        fprintf(stderr, "io_uring_register_buffers: %s (ulimit -l?)\n", strerror(-rc));
        return 1;
    }

    static int fds[MAX_SOCKETS];
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &dst.sin_addr);
    for (int i = 0; i < nfds; i++) {
        int fd = fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
        int segment = 1400, sndbuf = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment);
        if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
            perror("connect");
            return 1;
        }
    }

    long sequence = 0;
    double cpu, per;
    for (int s = 0; s < nsizes; s++) {
        for (int m = MODE_SEND; m <= MODE_SENDZC_FIXED; m++)
            measure(&ring, fds, nfds, mem, sizes[s], (enum mode)m, 0.2, &sequence, &cpu, &per); /* warm-up, not reported */
        for (int round = 1; round <= rounds; round++) {
            for (int m = MODE_SEND; m <= MODE_SENDZC_FIXED; m++) {
                double gbps = measure(&ring, fds, nfds, mem, sizes[s], (enum mode)m, seconds, &sequence, &cpu, &per);
                printf("raw-uring-%s-%s-d%d %d %d %.2f cpu_s_per_gb=%.3f enters_per_send=%.3f sockets=%d\n", mode_names[m], huge ? "huge" : "4k", depth, sizes[s], round, gbps, cpu, per, nfds);
                fflush(stdout);
            }
        }
    }
    io_uring_queue_exit(&ring);
    return 0;
}
