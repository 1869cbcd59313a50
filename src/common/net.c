#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_address(const char *host, uint16_t port, struct sockaddr_in *out)
{
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    out->sin_port = htons(port);

    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (strcmp(host, "*") == 0)
        host = "0.0.0.0";
    return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

int net_listen(const char *address, uint16_t port, bool reuseport,
               int backlog)
{
    struct sockaddr_in addr;
    int one = 1;
    int fd;

    if (net_address(address, port, &addr) < 0) {
        errno = EINVAL;
        return -1;
    }

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
        goto fail;

    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fd, backlog) < 0)
        goto fail;
    return fd;

fail:
    {
        int saved = errno;

        close(fd);
        errno = saved;
    }
    return -1;
}

int net_connect(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;

    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 &&
        errno != EINPROGRESS) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    net_set_nodelay(fd);
    return fd;
}

int net_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void net_set_nodelay(int fd)
{
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int parse_u64(const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long value;

    if (text == NULL || *text < '0' || *text > '9')
        return -1;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > max)
        return -1;

    *out = value;
    return 0;
}

int parse_size(const char *text, uint64_t *out)
{
    char number[32];
    size_t len = strlen(text);
    unsigned shift = 0;
    uint64_t value;

    if (len == 0 || len >= sizeof(number))
        return -1;

    memcpy(number, text, len + 1);
    switch (number[len - 1]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: break;
    }
    if (shift)
        number[--len] = '\0';

    if (parse_u64(number, UINT64_MAX >> shift, &value) < 0)
        return -1;

    *out = value << shift;
    return 0;
}
