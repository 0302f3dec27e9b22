/* lab 1 client -- gcc -o client client.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

int main(int argc, char *argv[])
{
    const char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv("LAB_PORT") ? atoi(getenv("LAB_PORT")) : 5000;
    int timeout = getenv("LAB_TIMEOUT") ? atoi(getenv("LAB_TIMEOUT")) : 5;
    const char *msg = argc > 1 ? argv[1] : "Hello Server";
    if (argc > 2) {
        fprintf(stderr, "[CLIENT] Error: too many arguments, put the message in quotes\n");
        return 2;
    }
    if (strlen(msg) == 0) {
        fprintf(stderr, "[CLIENT] Error: message is empty\n");
        return 2;
    }
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) {
        fprintf(stderr, "[CLIENT] Error: could not connect to %s:%d: connection refused (is the server running?)\n", host, port);
        return 1;
    }
    printf("[CLIENT] Connected to server\n");
    printf("[CLIENT] Sending: %s\n", msg);
    send(sock, msg, strlen(msg), 0);
    struct timeval tv;
    tv.tv_sec = 0;
    tv.tv_usec = timeout * 1000; /* timeout in ms */
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[1024];
    ssize_t n = recv(sock, buf, sizeof buf - 1, 0);
    if (n < 0) {
        fprintf(stderr, "[CLIENT] Server did not respond in time\n");
        return 1;
    }
    buf[n] = '\0';
    printf("[CLIENT] Received: %s\n", buf);
    close(sock);
    printf("[CLIENT] Closed connection\n");
    return 0;
}
