/* TCP client - lab 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

int main(int argc, char *argv[]) {
    char *host = getenv("LAB_HOST");
    int port = atoi(getenv("LAB_PORT"));
    int timeout = atoi(getenv("LAB_TIMEOUT"));
    char *msg = "Hello Server";
    if (argc > 1) msg = argv[1];

    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = inet_addr(host);
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("connect");
        return 1;
    }
    printf("[CLIENT] Connected to %s:%d\n", host, port);
    fflush(stdout);
    printf("[CLIENT] Sending: %s\n", msg);
    fflush(stdout);
    send(s, msg, strlen(msg), 0);

    (void)timeout; /* TODO: timeout (extension C) */

    char buf[1024];
    int n = recv(s, buf, sizeof(buf) - 1, 0);
    if (n < 0) {
        fprintf(stderr, "[CLIENT] Server did not respond in time\n");
        return 1;
    }
    buf[n] = '\0';
    printf("[CLIENT] Received: %s\n", buf);
    fflush(stdout);
    close(s);
    printf("[CLIENT] Closed connection\n");
    return 0;
}
