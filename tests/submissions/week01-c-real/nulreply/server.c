// Lab 1 - TCP server in C
// build: gcc -Wall -o server server.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#define MAXLEN 100

static int getenv_int(const char *name, int def) {
    const char *v = getenv(name);
    return v && *v ? atoi(v) : def;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);   // line buffered even into a pipe

    const char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv_int("LAB_PORT", 5000);
    int bufsize = getenv_int("LAB_BUFFER_SIZE", 1024);
    int timeout = getenv_int("LAB_TIMEOUT", 5);

    int sfd = socket(AF_INET, SOCK_STREAM, 0);
    if (sfd < 0) { perror("socket"); return 1; }

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);

    if (bind(sfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "[SERVER] Error: cannot listen on %s:%d: %s\n", host, port,
                errno == EADDRINUSE ? "address already in use" : strerror(errno));
        return 1;
    }
    // allow quick restarts
    int yes = 1;
    setsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));

    if (listen(sfd, 5) < 0) { perror("listen"); return 1; }
    socklen_t alen = sizeof(addr);
    getsockname(sfd, (struct sockaddr *)&addr, &alen);
    printf("[SERVER] Listening on %s:%d\n", host, ntohs(addr.sin_port));

    struct sockaddr_in cli;
    socklen_t clen = sizeof(cli);
    int cfd = accept(sfd, (struct sockaddr *)&cli, &clen);
    if (cfd < 0) { perror("accept"); return 1; }
    char cip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &cli.sin_addr, cip, sizeof(cip));
    int cport = ntohs(cli.sin_port);
    printf("[SERVER] Connection from %s:%d\n", cip, cport);

    struct timeval tv = { timeout, 0 };
    setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    char *buf = calloc(bufsize + 1, 1);
    char reply[2048];
    ssize_t n = recv(cfd, buf, bufsize, 0);
    if (n < 0) {
        printf("[SERVER] Client %s:%d sent nothing within %ds; closing\n", cip, cport, timeout);
    } else if (n == 0) {
        printf("[SERVER] Client %s:%d closed without sending\n", cip, cport);
    } else {
        // trim
        char *start = buf;
        char *end = buf + n - 1;
        while (*start && isspace((unsigned char)*start)) start++;
        while (end > start && isspace((unsigned char)*end)) *end-- = '\0';

        // count characters (UTF-8 continuation bytes don't count)
        int chars = 0, bad = 0;
        for (unsigned char *p = (unsigned char *)start; *p; p++) {
            if ((*p & 0xC0) != 0x80) chars++;
            if (*p == 0xFF || *p == 0xFE) bad = 1;
        }
        if (bad) {
            printf("[SERVER] Rejected: invalid UTF-8 (%zd bytes)\n", n);
            strcpy(reply, "ERROR: Invalid UTF-8");
        } else {
            printf("[SERVER] Received: %s\n", start);
            if (chars == 0)
                strcpy(reply, "ERROR: Empty message");
            else if (chars > MAXLEN)
                strcpy(reply, "ERROR: Message too long");
            else
                snprintf(reply, sizeof(reply), "ACK: %s", start);
        }
        send(cfd, reply, strlen(reply) + 1, 0);   // +1: send the terminator too
        printf("[SERVER] Sent: %s\n", reply);
    }
    close(cfd);
    close(sfd);
    printf("[SERVER] Closed connection\n");
    free(buf);
    return 0;
}
