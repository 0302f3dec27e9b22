#include "common.h"

static int s;
static char pend[8192];
static size_t plen = 0;

static int one(const char *m) {
    char out[4200];
    int k = snprintf(out, sizeof out, "%s\n", m);
    send(s, out, k, MSG_NOSIGNAL);
    for (;;) {
        char *nl = memchr(pend, '\n', plen);
        if (nl) {
            *nl = 0;
            if (nl > pend && nl[-1] == '\r') nl[-1] = 0;
            printf("[CLIENT] %s\n", pend);
            size_t used = nl + 1 - pend;
            memmove(pend, nl + 1, plen - used);
            plen -= used;
            return 1;
        }
        ssize_t n = recv(s, pend + plen, sizeof pend - plen - 1, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fprintf(stderr, "[CLIENT] Server did not respond in time\n");
            return 0;
        }
        if (n <= 0) {
            fprintf(stderr, "[CLIENT] Error: the server closed the connection without replying\n");
            return 0;
        }
        plen += n;
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *host = env_or("LAB_HOST", "127.0.0.1");
    int port = atoi(env_or("LAB_PORT", "5000"));
    int timeout = atoi(env_or("LAB_TIMEOUT", "5"));
    int inter = argc > 1 && !strcmp(argv[1], "-i");
    if (argc == 1 && isatty(0)) inter = 1;
    s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "[CLIENT] Error: could not connect to %s:%d: %s\n", host, port, strerror(errno));
        return 1;
    }
    struct timeval tv = {timeout, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    printf("[CLIENT] Connected to %s:%d\n", host, port);
    if (inter) {
        char l[4096];
        for (;;) {
            printf("Enter message to send: ");
            fflush(stdout);
            if (!fgets(l, sizeof l, stdin)) break;
            l[strcspn(l, "\r\n")] = 0;
            if (!*l) continue;
            if (!one(l)) return 1;
        }
        printf("\n");
    } else if (argc > 1) {
        for (int i = 1; i < argc; i++) if (!one(argv[i])) return 1;
    } else {
        const char *d[] = {"Hello, can you help?", "I have a problem with my account", "Thank you, goodbye"};
        for (int i = 0; i < 3; i++) if (!one(d[i])) return 1;
    }
    close(s);
    printf("[CLIENT] Closed connection\n");
    return 0;
}
