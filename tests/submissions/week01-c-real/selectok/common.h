#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *def) {
    const char *v = getenv(name);
    return (v && *v) ? v : def;
}

/* 1 if buf[0..n) is valid UTF-8; *chars gets the number of characters */
static int utf8_ok(const unsigned char *s, size_t n, size_t *chars) {
    size_t i = 0, c = 0;
    while (i < n) {
        unsigned char b = s[i];
        int len;
        if (b < 0x80) len = 1;
        else if ((b & 0xE0) == 0xC0 && b >= 0xC2) len = 2;
        else if ((b & 0xF0) == 0xE0) len = 3;
        else if ((b & 0xF8) == 0xF0 && b <= 0xF4) len = 4;
        else return 0;
        if (i + len > n) return 0;
        for (int k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        /* no overlong forms, no surrogates, nothing past U+10FFFF */
        if (b == 0xE0 && s[i + 1] < 0xA0) return 0;
        if (b == 0xED && s[i + 1] > 0x9F) return 0;
        if (b == 0xF0 && s[i + 1] < 0x90) return 0;
        if (b == 0xF4 && s[i + 1] > 0x8F) return 0;
        i += len;
        c++;
    }
    if (chars) *chars = c;
    return 1;
}

static void peer(struct sockaddr_in *a, char *out, size_t n) {
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(out, n, "%s:%d", ip, ntohs(a->sin_port));
}

static int open_listener(const char *host, int port, int *real_port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0) {
        int e = errno;
        fprintf(stderr, "[SERVER] Error: cannot listen on %s:%d: %s\n", host, port,
                e == EADDRINUSE ? "address already in use" : strerror(e));
        close(s);
        return -1;
    }
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    *real_port = ntohs(a.sin_port);
    return s;
}
