/* TCP server - lab 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

int main() {
    char *host = getenv("LAB_HOST");
    int port = atoi(getenv("LAB_PORT"));
    char buf[1024];
    int server_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = inet_addr(host);
    if (bind(server_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        printf("[SERVER] Error: cannot listen on %s:%d: address already in use\n", host, port);
        return 1;
    }
    listen(server_fd, 1);
    socklen_t len = sizeof(addr);
    getsockname(server_fd, (struct sockaddr *)&addr, &len);
    printf("[SERVER] Listening on port %d\n", ntohs(addr.sin_port));

    struct sockaddr_in client;
    socklen_t clen = sizeof(client);
    int c = accept(server_fd, (struct sockaddr *)&client, &clen);
    printf("[SERVER] Connection from %s:%d\n", inet_ntoa(client.sin_addr), ntohs(client.sin_port));
    int n = recv(c, buf, sizeof(buf) - 1, 0);
    buf[n] = '\0';
    printf("[SERVER] Received: %s\n", buf);
    char reply[1100];
    if (strlen(buf) == 0)
        strcpy(reply, "ERROR: Empty message\n");
    else if (strlen(buf) > 100)
        strcpy(reply, "ERROR: Message too long\n");
    else
        sprintf(reply, "ACK: %s\n", buf);
    send(c, reply, strlen(reply), 0);
    printf("[SERVER] Sent: %s", reply);
    close(c);
    printf("[SERVER] Closed connection\n");
    close(server_fd);
    return 0;
}
