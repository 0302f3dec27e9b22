/* threaded echo-ack server (extension D) */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct job { int fd; struct sockaddr_in addr; };

static void *serve(void *arg) {
    struct job *j = arg;
    char who[64], buf[1024], reply[1100];
    snprintf(who, sizeof who, "%s:%d", inet_ntoa(j->addr.sin_addr), ntohs(j->addr.sin_port));
    int n = recv(j->fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
        buf[n] = 0;
        printf("[SERVER] %s Received: %s\n", who, buf);
        snprintf(reply, sizeof reply, "ACK: %s", buf);
        send(j->fd, reply, strlen(reply), 0);
        printf("[SERVER] %s Sent: %s\n", who, reply);
    }
    close(j->fd);
    printf("[SERVER] %s Closed connection\n", who);
    free(j);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    int port = atoi(getenv("LAB_PORT") ? getenv("LAB_PORT") : "5000");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = INADDR_ANY;
    a.sin_port = htons(port);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); return 1; }
    listen(s, 16);
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    printf("[SERVER] Listening on %s:%d\n", inet_ntoa(a.sin_addr), ntohs(a.sin_port));
    for (;;) {
        struct job *j = malloc(sizeof *j);
        socklen_t cl = sizeof j->addr;
        j->fd = accept(s, (struct sockaddr *)&j->addr, &cl);
        printf("[SERVER] Connection from %s:%d\n", inet_ntoa(j->addr.sin_addr), ntohs(j->addr.sin_port));
        pthread_t t;
        pthread_create(&t, NULL, serve, j);
        pthread_detach(t);
    }
}
