/*
 * supervisor.h: N blobs-server processes, and haproxy in front of them if
 * asked, run as one service.
 *
 * The supervisor starts each child with a readiness pipe, prints one
 * "ready:" line once every child listens, restarts a child that dies with
 * a growing back-off, gives up on one that cannot start, and stops them
 * all on SIGTERM or SIGINT. SIGHUP restarts the servers one at a time.
 */
#ifndef SUPERVISOR_H
#define SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SUPERVISOR_MAX_PROCS 64
#define SUPERVISOR_MAX_SERVER_ARGS 32

/* Exit statuses: 1 when it gave up or could not start, 2 for bad usage. */
#define SUPERVISOR_EXIT_FAILURE 1
#define SUPERVISOR_EXIT_USAGE 2

enum supervisor_front {
    SUPERVISOR_FRONT_NONE,          /* the N ports, base-port upward */
    SUPERVISOR_FRONT_HAPROXY,       /* haproxy on --port, over the N ports */
    SUPERVISOR_FRONT_REUSEPORT,     /* all N on --port, SO_REUSEPORT */
};

enum supervisor_haproxy_variant {
    SUPERVISOR_HAPROXY_HTTP,        /* requests balanced, health checks */
    SUPERVISOR_HAPROXY_TCP,         /* the original's connection balancing */
};

struct supervisor_options {
    unsigned procs;
    uint16_t base_port;
    uint16_t port;                  /* the front's port */
    const char *listen_address;
    const char *dir;
    const char *server;             /* NULL: blobs-server beside us */
    const char *server_args[SUPERVISOR_MAX_SERVER_ARGS];
    size_t server_arg_count;
    enum supervisor_front front;
    enum supervisor_haproxy_variant haproxy_variant;
    const char *haproxy;            /* the haproxy binary */
    const char *haproxy_generator;  /* NULL: tools/gen-haproxy, searched */
    const char *ready_file;         /* NULL: none */
    int64_t grace_ns;               /* from SIGTERM to SIGKILL */
    int64_t start_timeout_ns;       /* from exec to listening */
    unsigned start_attempts;        /* failed starts in a row to give up */
};

void supervisor_options_init(struct supervisor_options *o);

/* Parse the command line into o (initialised first). Return 0, 1 when
 * --help was asked, or -1 with a one-line reason in err. */
int supervisor_options_parse(struct supervisor_options *o, int argc,
                             char **argv, char *err, size_t err_size);

const char *supervisor_usage(void);

/* Seconds with up to 9 decimals ("10", "0.25") into ns, at most max_ns.
 * Return 0 or -1. */
int supervisor_parse_seconds(const char *text, int64_t max_ns, int64_t *out);

/* How long to wait before the next start of a child that has died
 * `deaths` times in a row: doubling from 100 ms, at most 5 s. */
int64_t supervisor_backoff_ns(unsigned deaths);

/* The one-line announcement, e.g. "ready: 2 servers on
 * 127.0.0.1:8001-8002, haproxy on 127.0.0.1:8000 (pids 11 12, haproxy
 * 13)", without a newline. haproxy_pid is ignored without that front.
 * Return its length, or -1 if it does not fit. */
int supervisor_ready_line(char *buf, size_t size,
                          const struct supervisor_options *o,
                          const pid_t *server_pids, pid_t haproxy_pid);

/* The ready file: the ready line, then one "server PORT PID" line per
 * server and "haproxy PORT PID" for haproxy. Same return as above. */
int supervisor_ready_text(char *buf, size_t size,
                          const struct supervisor_options *o,
                          const pid_t *server_pids, pid_t haproxy_pid);

/* The port server number `index` (from 0) listens on. */
uint16_t supervisor_server_port(const struct supervisor_options *o,
                                unsigned index);

/* Run until stopped or given up; return the exit status. */
int supervisor_run(const struct supervisor_options *o);

#endif
