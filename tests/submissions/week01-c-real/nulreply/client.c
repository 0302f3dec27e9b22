// Lab 1 - TCP client in C
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

int main(int argc, char *argv[]) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv("LAB_PORT") ? atoi(getenv("LAB_PORT")) : 5000;
    int timeout = getenv("LAB_TIMEOUT") ? atoi(getenv("LAB_TIMEOUT")) : 5;
    const char *msg = argc > 1 ? argv[1] : "Hello Server";

    if (argc > 2) {
        fprintf(stderr, "usage: %s [\"MESSAGE\"]\n", argv[0]);
        return 2;
    }
    if (strlen(msg) == 0) {
        fprintf(stderr, "[CLIENT] Error: empty message\n");
        return 2;
    }

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in srv = {0};
    srv.sin_family = AF_INET;
    srv.sin_port = htons(port);
    inet_pton(AF_INET, host, &srv.sin_addr);
    if (connect(fd, (struct sockaddr *)&srv, sizeof srv) < 0) {
        fprintf(stderr, "[CLIENT] Error: could not connect to %s:%d: %s (is the server running?)\n",
                host, port, errno == ECONNREFUSED ? "connection refused" : strerror(errno));
        return 1;
    }
    printf("[CLIENT] Connected to %s:%d\n", host, port);

    struct timeval tv = { timeout, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    printf("[CLIENT] Sending: %s\n", msg);
    send(fd, msg, strlen(msg) + 1, 0);   // include '\0' so the server knows where it ends

    char buf[1025];
    ssize_t n = recv(fd, buf, 1024, 0);
    if (n < 0) {
        fprintf(stderr, "[CLIENT] Server did not respond in time\n");
        close(fd);
        return 1;
    }
    if (n == 0) {
        fprintf(stderr, "[CLIENT] Error: server closed the connection without replying\n");
        close(fd);
        return 1;
    }
    buf[n] = '\0';
    printf("[CLIENT] Received: %s\n", buf);
    close(fd);
    printf("[CLIENT] Closed connection\n");
    return 0;
}
