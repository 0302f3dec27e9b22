/* threaded server (extension D): one pthread per client */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *handle_client(void *arg) {
    int client = *(int *)arg; /* the socket accept() gave us */
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    char who[64], buf[1024], reply[1100];
    getpeername(client, (struct sockaddr *)&peer, &len);
    snprintf(who, sizeof who, "%s:%d", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
    printf("[SERVER] Connection from %s\n", who);
    int n = recv(client, buf, sizeof buf - 1, 0);
    if (n > 0) {
        buf[n] = 0;
        printf("[SERVER] %s Received: %s\n", who, buf);
        snprintf(reply, sizeof reply, "ACK: %s", buf);
        send(client, reply, strlen(reply), 0);
        printf("[SERVER] %s Sent: %s\n", who, reply);
    }
    close(client);
    printf("[SERVER] %s Closed connection\n", who);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = atoi(getenv("LAB_PORT") ? getenv("LAB_PORT") : "5000");
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, host, &addr.sin_addr);
    addr.sin_port = htons(port);
    if (bind(server, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("bind");
        return 1;
    }
    listen(server, 16);
    socklen_t len = sizeof addr;
    getsockname(server, (struct sockaddr *)&addr, &len);
    printf("[SERVER] Listening on %s:%d\n", host, ntohs(addr.sin_port));
    for (;;) {
        int client = accept(server, NULL, NULL);
        if (client < 0)
            continue;
        pthread_t t;
        pthread_create(&t, NULL, handle_client, &client);
        pthread_detach(t);
    }
}
