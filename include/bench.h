/*
 * bench.h: what every part of ./blobs-bench shares: the actions of the
 * original study, the kinds of failure it counts, and the counters one
 * thread keeps while it runs.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "histogram.h"

#define BENCH_VERSION "0.1.0"

enum bench_action {
    BENCH_BASELINE,                  /* GET / */
    BENCH_LIST,                      /* GET /blobs/<user>/ */
    BENCH_PUT,                       /* PUT a fresh blob */
    BENCH_GET,                       /* PUT, then GET it back */
    BENCH_FLAG,                      /* PUT, then POST ["PROCESSING"] */
    BENCH_DELETE,                    /* PUT, then DELETE it */
    BENCH_ACTIONS
};

/* Each failure counts once, under the first thing that went wrong: a
 * request's (most of them), or a connection's (a failed connect, bytes
 * on an idle connection). */
enum bench_error {
    BENCH_ERR_CONNECT,               /* no connection (refused, timed out) */
    BENCH_ERR_TIMEOUT,               /* no complete answer by the deadline */
    BENCH_ERR_RESET,                 /* closed or reset before the answer
                                        was complete */
    BENCH_ERR_STATUS,                /* not the status the API promises */
    BENCH_ERR_FRAMING,               /* not valid HTTP, no length, bytes
                                        after the answer */
    BENCH_ERR_BODY,                  /* wrong length or wrong bytes */
    BENCH_ERRORS
};

/* Status codes are counted when unexpected, to name them in the report. */
#define BENCH_STATUS_CODES 600

struct bench_stats {
    uint64_t ops_ok;
    uint64_t ops_failed;
    uint64_t requests;               /* answered correctly */
    uint64_t errors[BENCH_ERRORS];
    uint64_t connects;               /* connections established */
    int connect_errno;               /* why the first failed connect did */
    uint64_t retries;                /* requests sent again after the
                                        server closed a kept connection */
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t unexpected_status[BENCH_STATUS_CODES];
    int64_t first_send_ns;           /* 0 until the first request */
    int64_t last_done_ns;
    struct histogram latency_us;     /* correctly answered requests */
};

const char *bench_action_name(enum bench_action action);
/* Requests per operation: 1 or 2. */
unsigned bench_action_steps(enum bench_action action);
const char *bench_error_name(enum bench_error error);

void bench_stats_init(struct bench_stats *s);
void bench_stats_merge(struct bench_stats *into,
                       const struct bench_stats *from);
uint64_t bench_stats_errors(const struct bench_stats *s);

#endif
