/* Lab 1 client in C. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv("LAB_PORT") ? atoi(getenv("LAB_PORT")) : 5000;
    const char *msg = argc > 1 ? argv[1] : "Hello Server";
    if (msg[0] == '\0') {
        fprintf(stderr, "[CLIENT] Error: empty message\n");
        return 2;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        fprintf(stderr, "[CLIENT] Error: could not connect to %s:%d: connection refused (is the server running?)\n", host, port);
        return 1;
    }
    printf("[CLIENT] Connected to %s:%d\n", host, port);
    printf("[CLIENT] Sending: %s\n", msg);
    send(s, msg, strlen(msg), 0);
    struct timeval tv = {5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[1025];
    ssize_t n = recv(s, buf, 1024, 0);
    if (n < 0) {
        printf("[CLIENT] Server did not respond in time\n");
        close(s);
        return 0;
    }
    if (n == 0) {
        fprintf(stderr, "[CLIENT] Error: the server closed without replying\n");
        return 1;
    }
    buf[n] = '\0';
    printf("[CLIENT] Received: %s\n", buf);
    close(s);
    printf("[CLIENT] Closed connection\n");
    return 0;
}
