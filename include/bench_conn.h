/*
 * bench_conn.h: one keep-alive connection of the load client.
 *
 * A connection carries one operation at a time, one request at a time
 * (no pipelining: that is how the original client and wrk measure). It
 * connects when it has something to send, writes the request from the
 * plan's buffers, feeds the answer to a bench_reply, and tells its worker
 * when the operation is over. Every request and connect has a deadline;
 * a failure closes the connection, and the next operation opens another.
 */
#ifndef BENCH_CONN_H
#define BENCH_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "bench_reply.h"
#include "bench_request.h"
#include "reactor.h"

/* Large enough for a head at HTTP_MAX_HEAD_BYTES and then some: one read
 * takes the whole answer to a 10 KiB GET. */
#define BENCH_CONN_BUFFER (32 * 1024)

/* After a failed connect, wait this long before the next one, so a dead
 * server costs a few failures a second per connection, not a spin. */
#define BENCH_RECONNECT_DELAY_MS 10

struct bench_worker;

enum bench_conn_state {
    BENCH_CONN_CLOSED,               /* no socket; connects on demand */
    BENCH_CONN_CONNECTING,
    BENCH_CONN_IDLE,                 /* connected, nothing in flight */
    BENCH_CONN_BUSY,                 /* a request out, its answer awaited */
    BENCH_CONN_BACKOFF,              /* waiting to connect again */
    BENCH_CONN_DEAD,                 /* never connected: left out */
};

struct bench_conn {
    struct reactor_io io;
    struct reactor_timer timer;      /* deadline, or end of the backoff */
    struct bench_worker *worker;
    enum bench_conn_state state;

    bool opening;                    /* the first connect of the run */
    bool has_op;
    bool reused;                     /* answered on this socket before */
    bool retried;                    /* this request was sent again */
    uint64_t op;                     /* the operation's number (its id) */
    unsigned step;
    int64_t due_ns;                  /* open loop: when the op was due */
    int64_t start_ns;                /* latency is counted from here */
    unsigned serial;                 /* changes with every request */

    uint64_t sent;
    uint64_t received;               /* bytes of this request's answer */
    struct bench_request request;
    struct bench_reply reply;

    size_t buffered;
    char buf[BENCH_CONN_BUFFER];
};

void bench_conn_init(struct bench_conn *c, struct bench_worker *w);

/* The run's first connect; the worker hears of it through
 * bench_worker_opened(). */
void bench_conn_open(struct bench_conn *c);

/* Carry operation number `op`: its first request now (connecting first
 * if needed). due_ns is when it was due in an open loop, else 0. */
void bench_conn_start(struct bench_conn *c, uint64_t op, int64_t due_ns);

/* The run's time is up: whatever is in flight fails as a timeout. */
void bench_conn_abort(struct bench_conn *c);

/* End of a phase or of the run. */
void bench_conn_cancel_backoff(struct bench_conn *c);
void bench_conn_close(struct bench_conn *c);

static inline bool bench_conn_usable(const struct bench_conn *c)
{
    return c->state == BENCH_CONN_IDLE || c->state == BENCH_CONN_CLOSED;
}

#endif
