/* common.h - shared helpers for the week 1 C programs */
#ifndef COMMON_H
#define COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct config {
    char host[256];
    int port;
    int buffer_size;
    int timeout;
    int max_clients;
};

static long env_int(const char *prefix, const char *name, long def, long lo, long hi, const char *why)
{
    const char *raw = getenv(name);
    char *end;
    long v;
    if (raw == NULL)
        return def;
    errno = 0;
    v = strtol(raw, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (end == raw || *end != '\0' || errno != 0 || v < lo || v > hi) {
        fprintf(stderr, "%s Error: %s=\"%s\": %s\n", prefix, name, raw, why);
        exit(2);
    }
    return v;
}

static void load_config(struct config *c, const char *prefix)
{
    const char *h = getenv("LAB_HOST");
    snprintf(c->host, sizeof c->host, "%s", h ? h : "127.0.0.1");
    c->port = (int)env_int(prefix, "LAB_PORT", 5000, 0, 65535, "not a port number (0 to 65535)");
    c->buffer_size = (int)env_int(prefix, "LAB_BUFFER_SIZE", 1024, 1, 16777216, "not a buffer size");
    c->timeout = (int)env_int(prefix, "LAB_TIMEOUT", 5, 1, 86400, "not a whole number of seconds");
    c->max_clients = (int)env_int(prefix, "LAB_MAX_CLIENTS", 64, 1, 100000, "not a number of clients");
}

/* trim spaces, tabs, CR and LF around s, in place; returns the new start */
static char *trim(char *s)
{
    char *e;
    while (*s && isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static void fmt_addr(const struct sockaddr_in *a, char *out, size_t n)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(out, n, "%s:%d", ip, ntohs(a->sin_port));
}

#endif
