/* Lab 1 server in C. printf everywhere, timeout of 5 s like the sheet. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(void) {
    const char *host = getenv("LAB_HOST") ? getenv("LAB_HOST") : "127.0.0.1";
    int port = getenv("LAB_PORT") ? atoi(getenv("LAB_PORT")) : 5000;
    int bufsize = getenv("LAB_BUFFER_SIZE") ? atoi(getenv("LAB_BUFFER_SIZE")) : 1024;

    int s = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("bind");
        return 1;
    }
    listen(s, 5);
    printf("[SERVER] Listening on %s:%d\n", host, port);

    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int c = accept(s, (struct sockaddr *)&peer, &len);
    char who[64];
    snprintf(who, sizeof who, "%s:%d", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
    printf("[SERVER] Connection from %s\n", who);

    struct timeval tv = {5, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char *buf = malloc(bufsize + 1);
    ssize_t n = recv(c, buf, bufsize, 0);
    if (n < 0) {
        printf("[SERVER] Client sent nothing, giving up\n");
        close(c);
        close(s);
        return 0;
    }
    if (n == 0) {
        printf("[SERVER] Client closed without sending\n");
        close(c);
        close(s);
        return 0;
    }
    buf[n] = '\0';
    printf("[SERVER] Recieved: %s\n", buf);

    /* strip spaces at both ends */
    char *start = buf;
    while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r') start++;
    char *end = start + strlen(start);
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) end--;
    *end = '\0';

    char reply[2048];
    if (strlen(start) == 0)
        snprintf(reply, sizeof reply, "ERROR: Empty message");
    else if (strlen(start) > 100)
        snprintf(reply, sizeof reply, "ERROR: Message too long");
    else
        snprintf(reply, sizeof reply, "ACK: %s", start);
    send(c, reply, strlen(reply), 0);
    printf("[SERVER] Sent: %s\n", reply);
    close(c);
    printf("[SERVER] Closed connection\n");
    close(s);
    free(buf);
    return 0;
}
