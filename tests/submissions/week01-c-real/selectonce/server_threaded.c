/* server_threaded.c - a thread per client; the accept loop wakes every
 * second to look at the stop flag (select() with a timeout).
 * MISTAKE(exits-early): the fd_set is filled once, before the loop. When a
 * second passes with no client, select() returns 0 and leaves the set
 * empty; from then on it waits on nothing, and accept() is never called
 * again: the next clients wait in the backlog, unanswered. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/select.h>

static struct config cfg;
static int active = 0;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop_requested = 0;

struct client {
    int fd;
    char who[64];
};

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void *serve_client(void *arg)
{
    struct client *c = arg;
    char *buf = malloc(cfg.buffer_size + 1);
    char reply[256];
    char *msg;
    struct timeval tv = { cfg.timeout, 0 };
    ssize_t n;

    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    n = recv(c->fd, buf, cfg.buffer_size, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        printf("[SERVER] Client %s sent nothing within %ds; closing\n", c->who, cfg.timeout);
    } else if (n == 0) {
        printf("[SERVER] Client %s closed without sending\n", c->who);
    } else if (n < 0) {
        printf("[SERVER] %s Error: %s\n", c->who, strerror(errno));
    } else {
        buf[n] = '\0';
        msg = trim(buf);
        if (strlen(msg) == 0)
            strcpy(reply, "ERROR: Empty message");
        else if (strlen(msg) > 100)
            strcpy(reply, "ERROR: Message too long");
        else
            snprintf(reply, sizeof reply, "ACK: %s", msg);
        printf("[SERVER] %s Received: %s\n", c->who, msg);
        send(c->fd, reply, strlen(reply), MSG_NOSIGNAL);
        printf("[SERVER] %s Sent: %s\n", c->who, reply);
    }
    close(c->fd);
    printf("[SERVER] %s Closed connection\n", c->who);
    pthread_mutex_lock(&lock);
    active--;
    pthread_mutex_unlock(&lock);
    free(buf);
    free(c);
    return NULL;
}

int main(void)
{
    struct sockaddr_in addr, peer;
    struct sigaction sa;
    socklen_t len;
    int lfd, cfd, one = 1, busy, left;
    fd_set ready;
    struct timeval tick;
    pthread_t t;
    struct client *c;

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    load_config(&cfg, "[SERVER]");

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(cfg.port);
    inet_pton(AF_INET, cfg.host, &addr.sin_addr);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 16) < 0) {
        fprintf(stderr, "[SERVER] Error: cannot listen on %s:%d: %s\n", cfg.host, cfg.port,
                errno == EADDRINUSE ? "address already in use" : strerror(errno));
        return 1;
    }
    len = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &len);
    printf("[SERVER] Listening on %s:%d\n", cfg.host, ntohs(addr.sin_port));

    FD_ZERO(&ready); /* MISTAKE(exits-early): filled once, outside the loop */
    FD_SET(lfd, &ready);
    while (!stop_requested) {
        tick.tv_sec = 1; /* the timeout is reset every time, the set is not */
        tick.tv_usec = 0;
        if (select(lfd + 1, &ready, NULL, NULL, &tick) <= 0)
            continue; /* a second with no client, or a signal */
        len = sizeof peer;
        cfd = accept(lfd, (struct sockaddr *)&peer, &len);
        if (cfd < 0)
            continue;
        c = malloc(sizeof *c);
        c->fd = cfd;
        fmt_addr(&peer, c->who, sizeof c->who);
        pthread_mutex_lock(&lock);
        busy = active >= cfg.max_clients;
        if (!busy)
            active++;
        pthread_mutex_unlock(&lock);
        if (busy) {
            send(cfd, "ERROR: Server busy", 18, MSG_NOSIGNAL);
            close(cfd);
            printf("[SERVER] %s refused: server busy (%d clients)\n", c->who, cfg.max_clients);
            free(c);
            continue;
        }
        printf("[SERVER] Connection from %s\n", c->who);
        pthread_create(&t, NULL, serve_client, c);
        pthread_detach(t);
    }
    printf("[SERVER] Shutting down\n");
    close(lfd);
    /* let the clients being served finish, for at most LAB_TIMEOUT + 1 s */
    for (int i = 0; i < (cfg.timeout + 1) * 10; i++) {
        pthread_mutex_lock(&lock);
        left = active;
        pthread_mutex_unlock(&lock);
        if (left == 0)
            break;
        usleep(100000);
    }
    return 0;
}
