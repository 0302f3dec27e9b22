/*
 * Networks lab 1 - TCP client
 * compile: gcc -o client client.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

int main(int argc, char *argv[])
{
    char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv("LAB_PORT") ? atoi(getenv("LAB_PORT")) : 5000;
    int bufsize = getenv("LAB_BUFFER_SIZE") ? atoi(getenv("LAB_BUFFER_SIZE")) : 1024;
    int timeout = getenv("LAB_TIMEOUT") ? atoi(getenv("LAB_TIMEOUT")) : 5;
    char *message = "Hello Server";

    if (argc > 2) {
        fprintf(stderr, "usage: ./client \"message\"\n");
        return 2;
    }
    if (argc == 2)
        message = argv[1];
    if (strlen(message) == 0) {
        fprintf(stderr, "[CLIENT] Error: empty message\n");
        return 2;
    }

    setvbuf(stdout, NULL, _IOLBF, 0);

    /* extension C: give up if the server takes longer than LAB_TIMEOUT */
    alarm(timeout);

    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in server;
    memset(&server, 0, sizeof(server));
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    inet_pton(AF_INET, host, &server.sin_addr);

    if (connect(sock, (struct sockaddr *)&server, sizeof(server)) < 0) {
        if (errno == ECONNREFUSED)
            fprintf(stderr, "[CLIENT] Error: could not connect to %s:%d: connection refused (is the server running?)\n", host, port);
        else
            fprintf(stderr, "[CLIENT] Error: could not connect to %s:%d: %s\n", host, port, strerror(errno));
        return 1;
    }
    printf("[CLIENT] Connected to %s:%d\n", host, port);
    printf("[CLIENT] Sending: %s\n", message);
    send(sock, message, strlen(message), 0);

    char *buf = malloc(bufsize + 1);
    int n = recv(sock, buf, bufsize, 0);
    if (n < 0) {
        fprintf(stderr, "[CLIENT] Server did not respond in time\n");
        return 1;
    }
    if (n == 0) {
        fprintf(stderr, "[CLIENT] Server closed the connection without replying\n");
        return 1;
    }
    buf[n] = '\0';
    printf("[CLIENT] Received: %s\n", buf);
    close(sock);
    printf("[CLIENT] Closed connection\n");
    free(buf);
    return 0;
}
