/* helpdesk chat server */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
    char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv("LAB_PORT") ? atoi(getenv("LAB_PORT")) : 5000;
    FILE *log = NULL;
    for (int i = 1; i < argc - 1; i++)
        if (strcmp(argv[i], "--log") == 0) log = fopen(argv[i + 1], "a");

    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 5) < 0) {
        perror("bind");
        return 1;
    }
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    printf("[SERVER] Listening on %s:%d\n", host, ntohs(a.sin_port));
    fflush(stdout);

    for (;;) {
        struct sockaddr_in p;
        socklen_t pl = sizeof p;
        int c = accept(s, (struct sockaddr *)&p, &pl);
        if (c < 0) continue;
        char who[64];
        sprintf(who, "%s:%d", inet_ntoa(p.sin_addr), ntohs(p.sin_port));
        char ts[16];
        time_t t = time(NULL);
        strftime(ts, sizeof ts, "%H:%M:%S", localtime(&t));
        printf("[SERVER] @%s Connection from %s\n", ts, who);
        fflush(stdout);
        FILE *in = fdopen(c, "r");
        FILE *out = fdopen(dup(c), "w");
        char line[256];
        while (fgets(line, sizeof line, in)) {
            line[strcspn(line, "\r\n")] = 0;
            t = time(NULL);
            strftime(ts, sizeof ts, "%H:%M:%S", localtime(&t));
            printf("[SERVER] @%s %s Client: %s\n", ts, who, line);
            fflush(stdout);
            if (log) fprintf(log, "%s %s %s\n", ts, who, line);
            fprintf(out, "[ACK @%s] %s\n", ts, line);
        }
        fclose(out);
        fclose(in);
        printf("[SERVER] @%s %s Closed connection\n", ts, who);
        fflush(stdout);
    }
}
