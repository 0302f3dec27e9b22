/* select()-based helpdesk: several callers at once, each with its own buffer */
#include "common.h"

#define MAXC 32
#define MAXLINE 65536

static volatile sig_atomic_t stop = 0;
static void on_signal(int s) { (void)s; stop = 1; }

struct cl { int fd; char who[64]; char *buf; size_t len; double line_since; };

/* seconds, monotonic: the idle limit times each whole line */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void clock_now(char *out) {
    time_t t = time(NULL);
    strftime(out, 9, "%H:%M:%S", localtime(&t));
}

static FILE *logf_ = NULL;

/* A message as one log record: a backslash doubled and every control
   character escaped, so a message holding a line end cannot fake a
   second record. */
static void log_record(FILE *f, const char *m) {
    for (const unsigned char *p = (const unsigned char *)m; *p; p++) {
        switch (*p) {
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u{%x}", *p);
            else fputc(*p, f);
        }
    }
}

static void drop(struct cl *c, const char *why) {
    char t[9];
    clock_now(t);
    if (why) fprintf(stderr, "[SERVER] %s %s\n", c->who, why);
    close(c->fd);
    printf("[SERVER] @%s %s Closed connection\n", t, c->who);
    free(c->buf);
    c->fd = -1;
    c->buf = NULL;
    c->len = 0;
}

static void line(struct cl *c, char *l, size_t n) {
    if (n && l[n - 1] == '\r') n--;
    l[n] = 0;
    if (!utf8_ok((unsigned char *)l, n, NULL)) {
        send(c->fd, "[ERROR] Invalid UTF-8\n", 22, MSG_NOSIGNAL);
        return;
    }
    char t[9];
    clock_now(t);
    printf("[SERVER] @%s %s Client: %s\n", t, c->who, l);
    if (logf_) {
        char stamp[64];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
        fprintf(logf_, "%s %s ", stamp, c->who);
        log_record(logf_, l);
        fputc('\n', logf_);
        fflush(logf_);
        fsync(fileno(logf_));
    }
    char *ack = malloc(n + 32);
    int k = sprintf(ack, "[ACK @%s] %s\n", t, l);
    send(c->fd, ack, k, MSG_NOSIGNAL);
    free(ack);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    double idle = 120;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--log") && i + 1 < argc) {
            logf_ = fopen(argv[++i], "a");
            if (!logf_) { perror("[SERVER] Error: log"); return 1; }
        } else if (!strcmp(argv[i], "--idle-timeout") && i + 1 < argc) {
            idle = atof(argv[++i]);
            if (!(idle > 0 && idle < 86400)) {
                fprintf(stderr, "[SERVER] Error: --idle-timeout must be a positive number of seconds\n");
                return 2;
            }
        }
    const char *host = env_or("LAB_HOST", "127.0.0.1");
    int port = atoi(env_or("LAB_PORT", "5000"));
    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: select() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int real;
    int ls = open_listener(host, port, &real);
    if (ls < 0) return 1;
    printf("[SERVER] Listening on %s:%d\n", host, real);
    struct cl cs[MAXC];
    for (int i = 0; i < MAXC; i++) cs[i].fd = -1, cs[i].buf = NULL, cs[i].len = 0;
    while (!stop) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(ls, &r);
        int mx = ls;
        for (int i = 0; i < MAXC; i++)
            if (cs[i].fd >= 0) { FD_SET(cs[i].fd, &r); if (cs[i].fd > mx) mx = cs[i].fd; }
        struct timeval tick = {0, 200000}; /* look at the idle limits 5 times a second */
        if (select(mx + 1, &r, NULL, NULL, &tick) < 0) {
            if (errno == EINTR) continue;
            perror("select");
            break;
        }
        if (FD_ISSET(ls, &r)) {
            struct sockaddr_in ca;
            socklen_t l = sizeof ca;
            int fd = accept(ls, (struct sockaddr *)&ca, &l);
            int slot = -1;
            for (int i = 0; i < MAXC; i++) if (cs[i].fd < 0) { slot = i; break; }
            if (fd >= 0 && slot < 0) close(fd);
            else if (fd >= 0) {
                cs[slot].fd = fd;
                cs[slot].buf = malloc(MAXLINE + 4096);
                cs[slot].len = 0;
                cs[slot].line_since = now_s();
                peer(&ca, cs[slot].who, sizeof cs[slot].who);
                char t[9];
                clock_now(t);
                printf("[SERVER] @%s Connection from %s\n", t, cs[slot].who);
            }
        }
        for (int i = 0; i < MAXC; i++) {
            struct cl *c = &cs[i];
            if (c->fd < 0 || !FD_ISSET(c->fd, &r)) continue;
            ssize_t n = recv(c->fd, c->buf + c->len, 4096, 0);
            if (n <= 0) { drop(c, NULL); continue; }
            c->len += n;
            char *start = c->buf, *nl;
            while ((nl = memchr(start, '\n', c->buf + c->len - start))) {
                line(c, start, nl - start);
                start = nl + 1;
                c->line_since = now_s();
            }
            c->len -= start - c->buf;
            memmove(c->buf, start, c->len);
            if (c->len > MAXLINE) drop(c, "line longer than 64 KiB; closing");
        }
        for (int i = 0; i < MAXC; i++)
            if (cs[i].fd >= 0 && now_s() - cs[i].line_since >= idle)
                drop(&cs[i], "idle: no complete line in time; closing");
    }
    for (int i = 0; i < MAXC; i++) if (cs[i].fd >= 0) drop(&cs[i], NULL);
    close(ls);
    printf("[SERVER] Shutting down\n");
    return 0;
}
