/* chat_server.c - helpdesk chat: one caller at a time, select() loop, --log FILE */
#include "common.h"
#include <sys/select.h>

#define MAX_LINE 65536

static config_t cfg;
static int log_fd = -1;
static long idle_timeout = 120;

static void clock_hms(char *out, size_t n) {
    time_t t = time(NULL); struct tm tm; localtime_r(&t, &tm);
    strftime(out, n, "%H:%M:%S", &tm);
}

static void rfc3339(char *out, size_t n) {
    time_t t = time(NULL); struct tm tm; localtime_r(&t, &tm);
    char z[8];
    strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(z, sizeof z, "%z", &tm);          /* +0200 */
    size_t l = strlen(out);
    snprintf(out + l, n - l, "%c%c%c:%c%c", z[0], z[1], z[2], z[3], z[4]);
}

static int is_blank(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) if (!isspace(p[i])) return 0;
    return 1;
}

/* handle one complete line (without its \n). returns -1 if the session must end */
static int handle_line(int cfd, const char *peer, unsigned char *line, size_t n) {
    if (!utf8_valid(line, n)) {
        static const char e[] = "[ERROR] Invalid UTF-8\n";
        return send_all(cfd, e, sizeof e - 1);
    }
    if (is_blank(line, n)) {
        static const char e[] = "[ERROR] Empty message\n";
        return send_all(cfd, e, sizeof e - 1);
    }
    char hms[16]; clock_hms(hms, sizeof hms);
    char *esc = escape_text(line, n, 0);
    printf("[SERVER] @%s %s Client: %s\n", hms, peer, esc);
    free(esc);
    if (log_fd >= 0) {
        char ts[64]; rfc3339(ts, sizeof ts);
        char *lesc = escape_text(line, n, 1);
        size_t len = strlen(ts) + strlen(peer) + strlen(lesc) + 4;
        char *rec = malloc(len);
        int rl = snprintf(rec, len, "%s %s %s\n", ts, peer, lesc);
        const char *p = rec; size_t left = (size_t)rl;
        while (left > 0) {
            ssize_t w = write(log_fd, p, left);
            if (w < 0) { if (errno == EINTR) continue; fprintf(stderr, "[SERVER] Error: writing the log: %s\n", strerror(errno)); break; }
            p += w; left -= (size_t)w;
        }
        fdatasync(log_fd);
        free(rec); free(lesc);
    }
    size_t alen = n + 32;
    char *ack = malloc(alen);
    int al = snprintf(ack, alen, "[ACK @%s] ", hms);
    memcpy(ack + al, line, n);
    ack[al + n] = '\n';
    int rc = send_all(cfd, ack, (size_t)al + n + 1);
    free(ack);
    return rc;
}

/* process complete lines in buf; moves leftover to front. returns -1 on send failure */
static int drain_lines(int cfd, const char *peer, unsigned char *buf, size_t *len, int *lines) {
    size_t start = 0;
    for (;;) {
        unsigned char *nl = (unsigned char *)strchr((char *)buf + start, '\n'); /* BUG: buf not NUL-terminated */
        if (!nl) break;
        size_t l = (size_t)(nl - (buf + start));
        (*lines)++;
        if (handle_line(cfd, peer, buf + start, l) != 0) return -1;
        start += l + 1;
    }
    memmove(buf, buf + start, *len - start);
    *len -= start;
    return 0;
}

static void session(int lfd, int cfd, const char *peer) {
    (void)lfd;
    size_t cap = MAX_LINE + (size_t)cfg.buffer_size + 1;
    unsigned char *buf = calloc(1, cap);
    size_t len = 0;
    struct timespec line_start; clock_gettime(CLOCK_MONOTONIC, &line_start);
    char hms[16];
    for (;;) {
        struct timespec now; clock_gettime(CLOCK_MONOTONIC, &now);
        double waited = (now.tv_sec - line_start.tv_sec) + (now.tv_nsec - line_start.tv_nsec) / 1e9;
        double left = (double)idle_timeout - waited;
        if (left <= 0) {
            clock_hms(hms, sizeof hms);
            printf("[SERVER] @%s %s idle for %lds: no complete line (%zu bytes of one so far); closing\n", hms, peer, idle_timeout, len);
            break;
        }
        fd_set rd; FD_ZERO(&rd);
        FD_SET(cfd, &rd); FD_SET(g_sigpipe[0], &rd);
        int maxfd = cfd > g_sigpipe[0] ? cfd : g_sigpipe[0];
        struct timeval tv = { (time_t)left, (suseconds_t)((left - (long)left) * 1e6) };
        int r = select(maxfd + 1, &rd, NULL, NULL, &tv);
        if (r < 0) { if (errno == EINTR) continue; break; }
        if (r == 0) continue;
        if (FD_ISSET(g_sigpipe[0], &rd)) {
            /* answer what already came, then close the session */
            for (;;) {
                ssize_t n = recv(cfd, buf + len, cap - len - 1 > (size_t)cfg.buffer_size ? (size_t)cfg.buffer_size : cap - len - 1, MSG_DONTWAIT);
                if (n <= 0) break;
                len += (size_t)n;
                int lines = 0;
                if (drain_lines(cfd, peer, buf, &len, &lines) != 0) break;
                if (len > MAX_LINE) break;
            }
            break;
        }
        if (!FD_ISSET(cfd, &rd)) continue;
        ssize_t n = recv(cfd, buf + len, (size_t)cfg.buffer_size, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            clock_hms(hms, sizeof hms);
            printf("[SERVER] @%s %s connection lost: %s\n", hms, peer, strerror(errno));
            break;
        }
        if (n == 0) break;
        len += (size_t)n;
        int lines = 0;
        if (drain_lines(cfd, peer, buf, &len, &lines) != 0) {
            clock_hms(hms, sizeof hms);
            printf("[SERVER] @%s %s connection lost while replying\n", hms, peer);
            break;
        }
        if (lines > 0) clock_gettime(CLOCK_MONOTONIC, &line_start);
        if (len > MAX_LINE) {
            clock_hms(hms, sizeof hms);
            printf("[SERVER] @%s %s line longer than %d bytes without a newline; closing\n", hms, peer, MAX_LINE);
            break;
        }
    }
    close(cfd);
    clock_hms(hms, sizeof hms);
    printf("[SERVER] @%s %s Closed connection\n", hms, peer);
    free(buf);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *log_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) log_path = argv[++i];
        else if (strncmp(argv[i], "--log=", 6) == 0) log_path = argv[i] + 6;
        else if (strcmp(argv[i], "--idle-timeout") == 0 && i + 1 < argc) {
            char *end; idle_timeout = strtol(argv[++i], &end, 10);
            if (*end || idle_timeout < 1) { fprintf(stderr, "[SERVER] Error: --idle-timeout \"%s\": not a whole number of seconds\n", argv[i]); return 2; }
        } else { fprintf(stderr, "[SERVER] Error: unexpected argument '%s'\n", argv[i]); return 2; }
    }
    config_load(&cfg);
    install_signals();
    if (log_path) {
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) { fprintf(stderr, "[SERVER] Error: cannot open log %s: %s\n", log_path, strerror(errno)); return 1; }
    }
    char shown[300];
    int lfd = listen_on(&cfg, shown, sizeof shown);
    printf("[SERVER] Listening on %s\n", shown);
    while (!g_signals) {
        fd_set rd; FD_ZERO(&rd);
        FD_SET(lfd, &rd); FD_SET(g_sigpipe[0], &rd);
        int maxfd = lfd > g_sigpipe[0] ? lfd : g_sigpipe[0];
        int r = select(maxfd + 1, &rd, NULL, NULL, NULL);
        if (r < 0) { if (errno == EINTR) continue; perror("select"); return 1; }
        if (FD_ISSET(g_sigpipe[0], &rd)) break;
        if (!FD_ISSET(lfd, &rd)) continue;
        struct sockaddr_storage ss; socklen_t sl = sizeof ss;
        int cfd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
        if (cfd < 0) continue;
        char peer[300];
        format_addr((struct sockaddr *)&ss, peer, sizeof peer);
        char hms[16]; clock_hms(hms, sizeof hms);
        printf("[SERVER] @%s Connection from %s\n", hms, peer);
        session(lfd, cfd, peer);
    }
    close(lfd);
    if (log_fd >= 0) close(log_fd);
    printf("[SERVER] Shutting down\n");
    return 0;
}
