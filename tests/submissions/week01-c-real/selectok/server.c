#include "common.h"

/* A message from the network on the console: control characters escaped
 * (\n, \r, \t, \u{1b}), so that one event stays one line. */
static void print_escaped(const char *label, const char *text) {
    fputs(label, stdout);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n') fputs("\\n", stdout);
        else if (*p == '\r') fputs("\\r", stdout);
        else if (*p == '\t') fputs("\\t", stdout);
        else if (*p < 0x20 || *p == 0x7f) printf("\\u{%x}", *p);
        else putchar(*p);
    }
    putchar('\n');
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *host = env_or("LAB_HOST", "127.0.0.1");
    int port = atoi(env_or("LAB_PORT", "5000"));
    int bufsize = atoi(env_or("LAB_BUFFER_SIZE", "1024"));
    int timeout = atoi(env_or("LAB_TIMEOUT", "5"));
    int real;
    int ls = open_listener(host, port, &real);
    if (ls < 0) return 1;
    printf("[SERVER] Listening on %s:%d\n", host, real);
    struct sockaddr_in ca;
    socklen_t cl = sizeof ca;
    int c = accept(ls, (struct sockaddr *)&ca, &cl);
    close(ls);
    if (c < 0) { perror("[SERVER] Error: accept"); return 1; }
    char who[64];
    peer(&ca, who, sizeof who);
    printf("[SERVER] Connection from %s\n", who);
    struct timeval tv = {timeout, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char *buf = malloc(bufsize + 1);
    ssize_t n = recv(c, buf, bufsize, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        printf("[SERVER] Client %s sent nothing within %ds; closing\n", who, timeout);
        close(c);
        return 0;
    }
    if (n <= 0) {
        printf("[SERVER] Client %s closed without sending\n", who);
        close(c);
        return 0;
    }
    char reply[4200];
    size_t chars;
    if (!utf8_ok((unsigned char *)buf, n, &chars)) {
        printf("[SERVER] Rejected: invalid UTF-8 (%zd bytes)\n", n);
        strcpy(reply, "ERROR: Invalid UTF-8");
    } else {
        buf[n] = 0;
        char *m = buf;
        while (*m == ' ' || *m == '\t' || *m == '\r' || *m == '\n') m++;
        char *end = m + strlen(m);
        while (end > m && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) *--end = 0;
        utf8_ok((unsigned char *)m, strlen(m), &chars);
        print_escaped("[SERVER] Received: ", m);
        if (chars == 0) strcpy(reply, "ERROR: Empty message");
        else if (chars > 100) strcpy(reply, "ERROR: Message too long");
        else snprintf(reply, sizeof reply, "ACK: %s", m);
    }
    send(c, reply, strlen(reply), 0);
    print_escaped("[SERVER] Sent: ", reply);
    close(c);
    printf("[SERVER] Closed connection\n");
    return 0;
}
