/* common.h - shared helpers for the week01 C programs */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <ctype.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>

typedef struct {
    char host[256];
    long port;
    long buffer_size;
    long timeout;
    long max_clients;
} config_t;

static const char *g_prefix = "[SERVER]";

static char *trim_ws(char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

static int parse_long(const char *s, long *out) {
    if (!*s) return -1;
    for (const char *p = s; *p; p++) if (!isdigit((unsigned char)*p)) return -1;
    if (strlen(s) > 12) return -1;
    *out = strtol(s, NULL, 10);
    return 0;
}

static void config_error(const char *var, const char *val, const char *why) {
    fprintf(stderr, "%s Error: %s=\"%s\": %s\n", g_prefix, var, val, why);
    exit(2);
}

static void read_num(const char *var, long def, long lo, long hi, const char *why, long *out) {
    const char *raw = getenv(var);
    if (!raw) { *out = def; return; }
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", raw);
    char *t = trim_ws(tmp);
    long v;
    if (strlen(raw) >= sizeof tmp || parse_long(t, &v) != 0 || v < lo || v > hi)
        config_error(var, raw, why);
    *out = v;
}

static void config_load(config_t *c) {
    const char *h = getenv("LAB_HOST");
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s", h ? h : "127.0.0.1");
    char *t = trim_ws(tmp);
    size_t n = strlen(t);
    if (n >= 2 && t[0] == '[' && t[n - 1] == ']') { t[n - 1] = 0; t++; }
    if (!*t) config_error("LAB_HOST", h, "not an IP address or a host name");
    snprintf(c->host, sizeof c->host, "%s", t);
    read_num("LAB_PORT", 5000, 0, 65535, "not a port number (0 to 65535)", &c->port);
    read_num("LAB_BUFFER_SIZE", 1024, 1, 16777216, "not a buffer size (1 to 16777216)", &c->buffer_size);
    read_num("LAB_TIMEOUT", 5, 1, 86400, "not a whole number of seconds (1 to 86400)", &c->timeout);
    read_num("LAB_MAX_CLIENTS", 64, 1, 100000, "not a number of clients (1 to 100000)", &c->max_clients);
}

/* resolve host/port; returns getaddrinfo list or exits */
static struct addrinfo *resolve(const config_t *c, int passive) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (passive) hints.ai_flags = AI_PASSIVE;
    char port[16];
    snprintf(port, sizeof port, "%ld", c->port);
    int rc = getaddrinfo(c->host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "%s Error: LAB_HOST=\"%s\": cannot resolve: %s\n", g_prefix, c->host, gai_strerror(rc));
        exit(2);
    }
    return res;
}

static void format_addr(const struct sockaddr *sa, char *out, size_t outlen) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(out, outlen, "%s:%u", ip, ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(out, outlen, "[%s]:%u", ip, ntohs(s6->sin6_port));
    } else {
        snprintf(out, outlen, "?");
    }
}

/* length of a valid UTF-8 sequence at p (n bytes left), 0 if invalid */
static size_t utf8_seq(const unsigned char *p, size_t n) {
    unsigned char b = p[0];
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        if (n < 3) return 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
        if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (n < 4) return 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
        if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        return 4;
    }
    return 0;
}

static int utf8_valid(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static size_t utf8_chars(const unsigned char *p, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) if ((p[i] & 0xC0) != 0x80) c++;
    return c;
}

/* escape control characters; if backslash, also escape '\\'. Returns malloc'd string */
static char *escape_text(const unsigned char *p, size_t n, int backslash) {
    char *out = malloc(n * 8 + 1);
    size_t o = 0, i = 0;
    while (i < n) {
        unsigned char b = p[i];
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0) { o += sprintf(out + o, "\\x%02x", b); i++; continue; }
        if (k == 1) {
            if (b == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
            else if (b == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
            else if (b == '\t') { out[o++] = '\\'; out[o++] = 't'; }
            else if (b < 0x20 || b == 0x7f) o += sprintf(out + o, "\\u{%x}", b);
            else if (b == '\\' && backslash) { out[o++] = '\\'; out[o++] = '\\'; }
            else out[o++] = (char)b;
        } else if (k == 2 && b == 0xC2 && p[i + 1] < 0xA0) {
            o += sprintf(out + o, "\\u{%x}", p[i + 1]);
        } else {
            memcpy(out + o, p + i, k); o += k;
        }
        i += k;
    }
    out[o] = 0;
    return out;
}

static int send_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w; n -= (size_t)w;
    }
    return 0;
}

static void set_rcv_timeout(int fd, long secs) {
    struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* create listening socket on config host/port; prints error and exits on failure */
static int listen_on(const config_t *c, char *shown, size_t shownlen) {
    struct addrinfo *res = resolve(c, 1), *ai;
    int fd = -1, err = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) { err = errno; continue; }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) break;
        err = errno;
        close(fd); fd = -1;
    }
    if (fd < 0) {
        char addr[300];
        if (res) format_addr(res->ai_addr, addr, sizeof addr);
        else snprintf(addr, sizeof addr, "%s:%ld", c->host, c->port);
        const char *why = err == EADDRINUSE ? "address already in use" : strerror(err);
        fprintf(stderr, "%s Error: cannot listen on %s: %s\n", g_prefix, addr, why);
        freeaddrinfo(res);
        exit(1);
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss; socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    format_addr((struct sockaddr *)&ss, shown, shownlen);
    return fd;
}

/* one-shot message rules (extension B). reply is malloc'd; *console is malloc'd line body */
static char *make_reply(unsigned char *buf, size_t n, int *invalid) {
    *invalid = 0;
    if (!utf8_valid(buf, n)) { *invalid = 1; return strdup("ERROR: Invalid UTF-8"); }
    size_t s = 0, e = n;
    while (s < e && isspace(buf[s])) s++;
    while (e > s && isspace(buf[e - 1])) e--;
    if (e == s) return strdup("ERROR: Empty message");
    if (utf8_chars(buf + s, e - s) > 100) return strdup("ERROR: Message too long");
    char *r = malloc(e - s + 6);
    memcpy(r, "ACK: ", 5);
    memcpy(r + 5, buf + s, e - s);
    r[e - s + 5] = 0;
    return r;
}

/* self-pipe for signals */
static int g_sigpipe[2] = { -1, -1 };
static volatile sig_atomic_t g_signals = 0;
static void on_signal(int sig) {
    int saved = errno;
    g_signals++;
    unsigned char b = (unsigned char)sig;
    if (write(g_sigpipe[1], &b, 1) < 0) { /* ignore */ }
    errno = saved;
}
static void install_signals(void) {
    if (pipe2(g_sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) { perror("pipe"); exit(1); }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
