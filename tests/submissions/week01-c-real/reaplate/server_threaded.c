/* server_threaded.c - one process per client (fork), at most LAB_MAX_CLIENTS
 * (reaps finished children after the busy test: a place comes back late) */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void serve_client(int cfd, const char *who, const struct config *cfg)
{
    char *buf = malloc(cfg->buffer_size + 1);
    char reply[256];
    char *msg;
    struct timeval tv = { cfg->timeout, 0 };
    ssize_t n;

    setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    n = recv(cfd, buf, cfg->buffer_size, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        printf("[SERVER] Client %s sent nothing within %ds; closing\n", who, cfg->timeout);
    } else if (n == 0) {
        printf("[SERVER] Client %s closed without sending\n", who);
    } else if (n < 0) {
        printf("[SERVER] %s Error: %s\n", who, strerror(errno));
    } else {
        buf[n] = '\0';
        msg = trim(buf);
        if (strlen(msg) == 0)
            strcpy(reply, "ERROR: Empty message");
        else if (strlen(msg) > 100)
            strcpy(reply, "ERROR: Message too long");
        else
            snprintf(reply, sizeof reply, "ACK: %s", msg);
        printf("[SERVER] %s Received: %s\n", who, msg);
        send(cfd, reply, strlen(reply), 0);
        printf("[SERVER] %s Sent: %s\n", who, reply);
    }
    close(cfd);
    printf("[SERVER] %s Closed connection\n", who);
    free(buf);
}

int main(void)
{
    struct config cfg;
    struct sockaddr_in addr, peer;
    struct sigaction sa;
    socklen_t len;
    char who[64];
    int lfd, cfd, one = 1, active = 0;
    pid_t pid;

    setvbuf(stdout, NULL, _IOLBF, 0);
    load_config(&cfg, "[SERVER]");

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = 0; /* accept() returns EINTR: the loop sees the stop */
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

    while (!stop_requested) {
        len = sizeof peer;
        cfd = accept(lfd, (struct sockaddr *)&peer, &len);
        if (cfd < 0) {
            if (errno == EINTR)
                continue;
            perror("accept");
            continue;
        }
        fmt_addr(&peer, who, sizeof who);
        if (active >= cfg.max_clients) {
            const char *busy = "ERROR: Server busy";
            send(cfd, busy, strlen(busy), 0);
            close(cfd);
            printf("[SERVER] %s refused: server busy (%d clients)\n", who, cfg.max_clients);
        } else {
            printf("[SERVER] Connection from %s\n", who);
            pid = fork();
            if (pid == 0) {
                close(lfd);
                serve_client(cfd, who, &cfg);
                _exit(0);
            } else if (pid > 0) {
                close(cfd);
                active++;
            } else {
                perror("fork");
                close(cfd);
            }
        }
        /* reap the children that are done and give their places back */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            active--;
    }
    printf("[SERVER] Shutting down\n");
    close(lfd);
    while (wait(NULL) > 0)
        ;
    return 0;
}
