/*
 * Networks lab 1 - TCP server
 * compile: gcc -o server server.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define MAX_LEN 100

static int env_int(const char *name, int def)
{
    char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return def;
    return atoi(v);
}

int main(void)
{
    char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = env_int("LAB_PORT", 5000);
    int bufsize = env_int("LAB_BUFFER_SIZE", 1024);
    int timeout = env_int("LAB_TIMEOUT", 5);

    setbuf(stdout, NULL); /* no buffering, the TA said the grader needs this */

    int server_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (server_fd < 0) {
        perror("socket");
        return 1;
    }
    int opt = 1;
    setsockopt(server_fd, SOL_SOCKET, SO_REUSEADDR, &opt, sizeof(opt));

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);

    if (bind(server_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "[SERVER] Error: cannot listen on %s:%d: address already in use\n", host, port);
        return 1;
    }
    if (listen(server_fd, 5) < 0) {
        perror("listen");
        return 1;
    }
    socklen_t alen = sizeof(addr);
    getsockname(server_fd, (struct sockaddr *)&addr, &alen);
    printf("[SERVER] Listening on %s:%d\n", host, ntohs(addr.sin_port));

    struct sockaddr_in client;
    socklen_t clen = sizeof(client);
    int conn = accept(server_fd, (struct sockaddr *)&client, &clen);
    if (conn < 0) {
        perror("accept");
        return 1;
    }
    printf("[SERVER] Connection from %s:%d\n", inet_ntoa(client.sin_addr), client.sin_port);

    struct timeval tv;
    tv.tv_sec = timeout;
    tv.tv_usec = 0;
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    char *buffer = malloc(bufsize + 1);
    int n = recv(conn, buffer, bufsize, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            printf("[SERVER] Client %s:%d sent nothing within %ds; closing\n",
                   inet_ntoa(client.sin_addr), client.sin_port, timeout);
        else
            perror("recv");
    } else if (n == 0) {
        printf("[SERVER] Client %s:%d closed without sending\n", inet_ntoa(client.sin_addr), client.sin_port);
    } else {
        buffer[n] = '\0';
        /* remove the newline that nc adds */
        while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r'))
            buffer[--n] = '\0';
        printf("[SERVER] Received: %s\n", buffer);

        char reply[2048];
        if (strlen(buffer) == 0)
            strcpy(reply, "ERROR: Empty message");
        else if (strlen(buffer) > MAX_LEN)
            strcpy(reply, "ERROR: Message too long");
        else
            snprintf(reply, sizeof(reply), "ACK: %s", buffer);

        send(conn, reply, strlen(reply), 0);
        printf("[SERVER] Sent: %s\n", reply);
    }
    close(conn);
    printf("[SERVER] Closed connection\n");
    close(server_fd);
    free(buffer);
    return 0;
}
