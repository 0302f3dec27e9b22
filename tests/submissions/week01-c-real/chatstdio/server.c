/* one-shot server */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

int main(void) {
    char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv("LAB_PORT") ? atoi(getenv("LAB_PORT")) : 5000;
    int timeout = getenv("LAB_TIMEOUT") ? atoi(getenv("LAB_TIMEOUT")) : 5;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "[SERVER] Error: cannot listen on %s:%d: address already in use\n", host, port);
        exit(1);
    }
    listen(s, 1);
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    printf("[SERVER] Listening on %s:%d\n", host, ntohs(a.sin_port));
    fflush(stdout);
    struct sockaddr_in p;
    socklen_t pl = sizeof p;
    int c = accept(s, (struct sockaddr *)&p, &pl);
    char who[64];
    sprintf(who, "%s:%d", inet_ntoa(p.sin_addr), ntohs(p.sin_port));
    printf("[SERVER] Connection from %s\n", who);
    fflush(stdout);
    struct timeval tv = {timeout, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[1025];
    int n = recv(c, buf, 1024, 0);
    if (n <= 0) {
        printf("[SERVER] Client %s closed without sending\n", who);
        fflush(stdout);
        close(c);
        return 0;
    }
    buf[n] = 0;
    /* trim */
    char *m = buf;
    while (*m == ' ' || *m == '\n' || *m == '\r' || *m == '\t') m++;
    char *e = m + strlen(m);
    while (e > m && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\t')) *--e = 0;
    printf("[SERVER] Received: %s\n", m);
    char reply[1100];
    if (*m == 0) strcpy(reply, "ERROR: Empty message");
    else if (strlen(m) > 100) strcpy(reply, "ERROR: Message too long");
    else sprintf(reply, "ACK: %s", m);
    write(c, reply, strlen(reply));
    printf("[SERVER] Sent: %s\n", reply);
    close(c);
    printf("[SERVER] Closed connection\n");
    return 0;
}
