#include "common.h"

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *host = env_or("LAB_HOST", "127.0.0.1");
    int port = atoi(env_or("LAB_PORT", "5000"));
    int bufsize = atoi(env_or("LAB_BUFFER_SIZE", "1024"));
    int timeout = atoi(env_or("LAB_TIMEOUT", "5"));
    const char *msg = argc > 1 ? argv[1] : "Hello Server";
    if (argc > 2) { fprintf(stderr, "usage: client [MESSAGE] (quote a message with spaces)\n"); return 2; }
    if (!*msg) { fprintf(stderr, "[CLIENT] Error: empty message\n"); return 2; }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "[CLIENT] Error: could not connect to %s:%d: %s (is the server running?)\n",
                host, port, errno == ECONNREFUSED ? "connection refused" : strerror(errno));
        return 1;
    }
    printf("[CLIENT] Connected to %s:%d\n", host, port);
    printf("[CLIENT] Sending: %s\n", msg);
    send(s, msg, strlen(msg), 0);
    struct timeval tv = {timeout, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char *buf = malloc(bufsize + 1);
    ssize_t n = recv(s, buf, bufsize, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        fprintf(stderr, "[CLIENT] Server did not respond in time\n");
        return 1;
    }
    if (n <= 0) {
        fprintf(stderr, "[CLIENT] Error: server closed the connection without replying\n");
        return 1;
    }
    buf[n] = 0;
    printf("[CLIENT] Received: %s\n", buf);
    close(s);
    printf("[CLIENT] Closed connection\n");
    return 0;
}
