// Closed-loop request/response client for the SendWithHeadersAsync benchmark, in C so the client
// costs the same and allocates nothing whatever the server does, and so the server's CPU time can be
// read apart from the client's.
//
// It connects once to each contender's port (the server, bench/ZeroCopy.Net.Bench.Headers --serve,
// listens on one port per contender), then takes turns: SLICE_MS of closed-loop exchanges on one
// connection (write a 32-byte request, read the whole response, record the latency), then the next,
// until each has had SECONDS. Background load therefore hits every contender alike.
//
// Per slice it reads the server process's CPU time from /proc/PID/task/*/schedstat (nanoseconds,
// every thread: the runtime's epoll and thread-pool threads included) and its own from
// CLOCK_PROCESS_CPUTIME_ID, so each contender gets server CPU µs per response: the number a busy
// server pays, without the wake-up latency of an idle VM in it.
//
// Usage: rr_client RESPONSE_BYTES on|off SECONDS SLICE_MS SERVER_PID name:port [name:port ...]
//   on|off: Nagle on the client's socket (on = TCP_NODELAY not set).
// Prints one markdown row per contender.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_BYTES 32
#define MAX_CONTENDERS 16
#define MAX_SAMPLES (8u << 20)

struct contender {
    const char *name;
    int fd;
    uint64_t *lat_ns;
    size_t n;
    uint64_t wall_ns;
    uint64_t server_cpu_ns;
    uint64_t client_cpu_ns;
    int closed; // the server stopped serving this contender (the BCL's SendFileAsync runs out of descriptors)
};

static uint64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// Sum of on-CPU time of every thread of PID, from the scheduler's own accounting (ns).
static uint64_t process_cpu_ns(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *dir = opendir(path);
    if (!dir) { perror("opendir /proc/PID/task"); exit(2); }
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.') continue;
        char stat[320];
        snprintf(stat, sizeof stat, "/proc/%d/task/%s/schedstat", pid, e->d_name);
        FILE *f = fopen(stat, "r");
        if (!f) continue; // the thread exited meanwhile
        unsigned long long run = 0;
        if (fscanf(f, "%llu", &run) == 1) total += run;
        fclose(f);
    }
    closedir(dir);
    return total;
}

static void exchange(struct contender *c, char *response, size_t response_bytes, uint64_t end_ns, int record) {
    static const char request[REQUEST_BYTES] = "GET /x HTTP/1.1\r\nHost: bench\r\n\r\n";
    while (!c->closed && now_ns(CLOCK_MONOTONIC) < end_ns) {
        uint64_t t0 = now_ns(CLOCK_MONOTONIC);
        if (write(c->fd, request, REQUEST_BYTES) != REQUEST_BYTES) { c->closed = 1; break; }
        size_t got = 0;
        while (got < response_bytes) {
            ssize_t n = read(c->fd, response + got, response_bytes - got);
            if (n <= 0) {
                fprintf(stderr, "# %s: read %zd (%s) after %zu responses; measured no further\n", c->name, n, n < 0 ? strerror(errno) : "server closed", c->n);
                c->closed = 1;
                return;
            }
            got += (size_t)n;
        }
        if (record && c->n < MAX_SAMPLES) c->lat_ns[c->n++] = now_ns(CLOCK_MONOTONIC) - t0;
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s RESPONSE_BYTES on|off SECONDS SLICE_MS SERVER_PID name:port...\n", argv[0]);
        return 2;
    }
    size_t response_bytes = strtoul(argv[1], NULL, 10);
    int nagle = strcmp(argv[2], "on") == 0;
    double seconds = atof(argv[3]);
    double slice_ms = atof(argv[4]);
    int server_pid = atoi(argv[5]);
    int count = argc - 6;
    if (count > MAX_CONTENDERS) { fprintf(stderr, "too many contenders\n"); return 2; }

    struct contender cs[MAX_CONTENDERS] = {0};
    for (int i = 0; i < count; i++) {
        char *spec = argv[6 + i];
        char *colon = strrchr(spec, ':');
        if (!colon) { fprintf(stderr, "bad contender %s\n", spec); return 2; }
        *colon = 0;
        cs[i].name = spec;
        cs[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        if (!nagle) setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(cs[i].fd, (struct sockaddr *)&sa, sizeof sa) != 0) { perror("connect"); return 2; }
        cs[i].lat_ns = malloc(MAX_SAMPLES * sizeof(uint64_t));
    }

    char *response = malloc(response_bytes);
    // Warm-up: the server's JIT reaches its optimised code, pools fill, TCP windows open.
    for (int i = 0; i < count; i++) exchange(&cs[i], response, response_bytes, now_ns(CLOCK_MONOTONIC) + 500000000u, 0);

    uint64_t slice_ns = (uint64_t)(slice_ms * 1e6);
    int slices = (int)(seconds * 1000.0 / slice_ms + 0.999);
    for (int s = 0; s < slices; s++) {
        for (int i = 0; i < count; i++) {
            if (cs[i].closed) continue;
            uint64_t server0 = process_cpu_ns(server_pid);
            uint64_t client0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
            uint64_t t0 = now_ns(CLOCK_MONOTONIC);
            exchange(&cs[i], response, response_bytes, t0 + slice_ns, 1);
            cs[i].wall_ns += now_ns(CLOCK_MONOTONIC) - t0;
            cs[i].client_cpu_ns += now_ns(CLOCK_PROCESS_CPUTIME_ID) - client0;
            uint64_t server1 = process_cpu_ns(server_pid);
            // A thread that exited during the slice takes its time out of the sum: count nothing then.
            cs[i].server_cpu_ns += server1 > server0 ? server1 - server0 : 0;
        }
    }

    for (int i = 0; i < count; i++) {
        struct contender *c = &cs[i];
        if (c->n == 0) { printf("| %s | 0 | - | - | - | - | 0 | 0 | 0 | - | - |\n", c->name); continue; }
        qsort(c->lat_ns, c->n, sizeof(uint64_t), cmp_u64);
#define PCT(q) (c->lat_ns[(size_t)((q) * (double)(c->n - 1))] / 1e3)
        size_t over10 = 0, over30 = 0;
        for (size_t k = 0; k < c->n; k++) {
            over10 += c->lat_ns[k] > 10000000u;
            over30 += c->lat_ns[k] > 30000000u;
        }
        printf("| %s | %.0f | %.0f | %.0f | %.0f | %.1f | %zu | %zu | %zu | %.2f | %.2f |\n",
               c->name, c->n / (c->wall_ns / 1e9), PCT(0.5), PCT(0.99), PCT(0.999),
               c->lat_ns[c->n - 1] / 1e6, over10, over30, c->n,
               c->server_cpu_ns / 1e3 / c->n, c->client_cpu_ns / 1e3 / c->n);
        close(c->fd);
    }
    return 0;
}
