/* server_threaded.c - extension D: one pthread per client
 * gcc -Wall -pthread -o server_threaded server_threaded.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

static int active = 0;
static int max_clients = 64;
static int timeout_s = 5;
static int bufsize = 1024;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct client { int fd; char name[64]; };

static void on_sigint(int sig) {
    (void)sig;
    printf("[SERVER] Shutting down\n");
    exit(0);
}

static void *serve(void *arg) {
    struct client *c = arg;
    struct timeval tv = { timeout_s, 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char *buf = calloc(bufsize + 1, 1);
    ssize_t n = recv(c->fd, buf, bufsize, 0);
    if (n <= 0) {
        if (n == 0) printf("[SERVER] Client %s closed without sending\n", c->name);
        else printf("[SERVER] Client %s sent nothing within %ds; closing\n", c->name, timeout_s);
        close(c->fd);
        printf("[SERVER] %s Closed connection\n", c->name);
    } else {
        char *s = buf, *e = buf + n;
        while (s < e && isspace((unsigned char)*s)) s++;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        *e = 0;
        printf("[SERVER] %s Received: %s\n", c->name, s);
        char reply[2048];
        if (*s == 0) strcpy(reply, "ERROR: Empty message");
        else if (strlen(s) > 100) strcpy(reply, "ERROR: Message too long");
        else snprintf(reply, sizeof reply, "ACK: %s", s);
        send(c->fd, reply, strlen(reply), 0);
        printf("[SERVER] %s Sent: %s\n", c->name, reply);
        printf("[SERVER] %s Closed connection\n", c->name);
    }
    pthread_mutex_lock(&lock);
    active--;
    pthread_mutex_unlock(&lock);
    free(buf);
    free(c);
    return NULL;
}

int main(void) {
    setbuf(stdout, NULL);  /* unbuffered: lines show up immediately */
    const char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv("LAB_PORT") ? atoi(getenv("LAB_PORT")) : 5000;
    if (getenv("LAB_TIMEOUT")) timeout_s = atoi(getenv("LAB_TIMEOUT"));
    if (getenv("LAB_MAX_CLIENTS")) max_clients = atoi(getenv("LAB_MAX_CLIENTS"));
    if (getenv("LAB_BUFFER_SIZE")) bufsize = atoi(getenv("LAB_BUFFER_SIZE"));

    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "[SERVER] Error: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
        return 1;
    }
    listen(lfd, 64);
    socklen_t al = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &al);
    printf("[SERVER] Listening on %s:%d\n", host, ntohs(a.sin_port));

    for (;;) {
        struct sockaddr_in ca;
        socklen_t cl = sizeof ca;
        int fd = accept(lfd, (struct sockaddr *)&ca, &cl);
        if (fd < 0) continue;
        struct client *c = malloc(sizeof *c);
        c->fd = fd;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &ca.sin_addr, ip, sizeof ip);
        snprintf(c->name, sizeof c->name, "%s:%d", ip, ntohs(ca.sin_port));

        pthread_mutex_lock(&lock);
        int full = active >= max_clients;
        if (!full) active++;
        pthread_mutex_unlock(&lock);
        if (full) {
            printf("[SERVER] %s refused: server busy (%d clients)\n", c->name, max_clients);
            send(fd, "ERROR: Server busy", 18, 0);
            close(fd);
            free(c);
            continue;
        }
        printf("[SERVER] Connection from %s\n", c->name);
        pthread_t t;
        pthread_create(&t, NULL, serve, c);
        pthread_detach(t);
    }
}
