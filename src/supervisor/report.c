/*
 * What the supervisor tells scripts once everything listens: the ready
 * line, and the ready file that adds every child's PID, so that a script
 * can wait for the service and then measure each process's CPU time.
 */
#include "supervisor.h"

#include <stdarg.h>
#include <stdio.h>

struct text {
    char *buf;
    size_t size;
    size_t len;
    bool overflow;
};

static void text_add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->overflow)
        return;

    va_start(ap, fmt);
    n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
    va_end(ap);

    if (n < 0 || (size_t)n >= t->size - t->len) {
        t->overflow = true;
        return;
    }
    t->len += (size_t)n;
}

static int text_end(const struct text *t)
{
    return t->overflow ? -1 : (int)t->len;
}

uint16_t supervisor_server_port(const struct supervisor_options *o,
                                unsigned index)
{
    if (o->front == SUPERVISOR_FRONT_REUSEPORT)
        return o->port;
    return (uint16_t)(o->base_port + index);
}

static void add_ready_line(struct text *t, const struct supervisor_options *o,
                           const pid_t *server_pids, pid_t haproxy_pid)
{
    bool haproxy = o->front == SUPERVISOR_FRONT_HAPROXY;

    text_add(t, "ready: %u server%s on %s:", o->procs,
             o->procs == 1 ? "" : "s", o->listen_address);

    if (o->front == SUPERVISOR_FRONT_REUSEPORT)
        text_add(t, "%u with SO_REUSEPORT", o->port);
    else if (o->procs == 1)
        text_add(t, "%u", o->base_port);
    else
        text_add(t, "%u-%u", o->base_port,
                 supervisor_server_port(o, o->procs - 1));

    if (haproxy)
        text_add(t, ", haproxy%s on %s:%u",
                 o->haproxy_variant == SUPERVISOR_HAPROXY_TCP ? " (tcp)" : "",
                 o->listen_address, o->port);

    text_add(t, " (pid%s", o->procs == 1 ? "" : "s");
    for (unsigned i = 0; i < o->procs; i++)
        text_add(t, " %ld", (long)server_pids[i]);
    if (haproxy)
        text_add(t, ", haproxy %ld", (long)haproxy_pid);
    text_add(t, ")");
}

int supervisor_ready_line(char *buf, size_t size,
                          const struct supervisor_options *o,
                          const pid_t *server_pids, pid_t haproxy_pid)
{
    struct text t = { buf, size, 0, size == 0 };

    add_ready_line(&t, o, server_pids, haproxy_pid);
    return text_end(&t);
}

int supervisor_ready_text(char *buf, size_t size,
                          const struct supervisor_options *o,
                          const pid_t *server_pids, pid_t haproxy_pid)
{
    struct text t = { buf, size, 0, size == 0 };

    add_ready_line(&t, o, server_pids, haproxy_pid);
    text_add(&t, "\n");

    for (unsigned i = 0; i < o->procs; i++)
        text_add(&t, "server %u %ld\n", supervisor_server_port(o, i),
                 (long)server_pids[i]);
    if (o->front == SUPERVISOR_FRONT_HAPROXY)
        text_add(&t, "haproxy %u %ld\n", o->port, (long)haproxy_pid);

    return text_end(&t);
}
