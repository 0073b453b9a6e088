// Does TCP_NODELAY on the responding socket cost a loopback request/response anything by itself?
// All C, no runtime: a server thread answers each 32-byte request with 1,224 bytes (a 200-byte
// header + 1 KiB body, as bench/run-headers-bench.sh does); the client counts exchanges per second.
// Build and run (alternating, so background load hits both alike):
//   gcc -O2 -o /tmp/nodelay_pingpong bench/ZeroCopy.Net.Bench.Headers/client/nodelay_pingpong.c -lpthread
//   for i in 1 2 3 4 5 6; do /tmp/nodelay_pingpong 0 1; /tmp/nodelay_pingpong 1 1; done
// Prints "<nodelay 0|1> <exchanges per second>".
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_BYTES 32
#define RESPONSE_BYTES 1224

static int listener;
static int nodelay;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int receive_exactly(int fd, char *buf, int len) {
    int got = 0;
    while (got < len) {
        int n = recv(fd, buf + got, len - got, 0);
        if (n <= 0) return -1;
        got += n;
    }
    return 0;
}

static void *serve(void *arg) {
    (void)arg;
    static char response[RESPONSE_BYTES];
    char request[REQUEST_BYTES];
    int fd = accept(listener, NULL, NULL);
    if (nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    while (receive_exactly(fd, request, REQUEST_BYTES) == 0) {
        send(fd, response, RESPONSE_BYTES, MSG_NOSIGNAL);
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s NODELAY(0|1) SECONDS\n", argv[0]);
        return 2;
    }
    nodelay = atoi(argv[1]);
    double seconds = atof(argv[2]);

    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("listen");
        return 2;
    }

    pthread_t server;
    pthread_create(&server, NULL, serve, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("connect");
        return 2;
    }

    char request[REQUEST_BYTES] = {0};
    char response[RESPONSE_BYTES];
    long exchanges = 0;
    double start = now();
    double end = start + seconds;
    while (now() < end) {
        send(fd, request, REQUEST_BYTES, 0);
        if (receive_exactly(fd, response, RESPONSE_BYTES) != 0) return 1;
        exchanges++;
    }
    printf("%d %.0f\n", nodelay, exchanges / (now() - start));
    close(fd);
    pthread_join(server, NULL);
    return 0;
}
