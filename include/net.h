/*
 * net.h: the socket chores every binary shares: listening, connecting,
 * non-blocking mode, and parsing "host:port" and numbers from options.
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

/* Listen on an IPv4 address and port; return the fd or -1 with errno. */
int net_listen(const char *address, uint16_t port, bool reuseport,
               int backlog);

/* Start a non-blocking connect; return the fd or -1 with errno.
 * The connection may still be in progress (EINPROGRESS is not an error). */
int net_connect(const struct sockaddr_in *addr);

int net_set_nonblocking(int fd);
void net_set_nodelay(int fd);

/* Resolve a dotted IPv4 address or "localhost". Return 0 or -1. */
int net_address(const char *host, uint16_t port, struct sockaddr_in *out);

/* Strict decimal parsing for options: the whole string, in range.
 * Return 0 or -1. */
int parse_u64(const char *text, uint64_t max, uint64_t *out);

/* Sizes with an optional K, M, G or T suffix (powers of 1024). */
int parse_size(const char *text, uint64_t *out);

#endif
