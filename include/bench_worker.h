/*
 * bench_worker.h: one thread of the load client, with its own epoll loop,
 * its share of the connections and its own counters.
 *
 * Threads share only what they must: the plan (read-only), the counter
 * from which they claim operations (one atomic add per operation), and a
 * rendezvous with the main thread between phases: opening connections,
 * warm-up, the counted run, and the end.
 */
#ifndef BENCH_WORKER_H
#define BENCH_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "bench_conn.h"
#include "bench_options.h"
#include "bench_request.h"
#include "reactor.h"

enum bench_command {
    BENCH_CMD_WARMUP,
    BENCH_CMD_MEASURE,
    BENCH_CMD_QUIT,
};

struct bench_phase {
    enum bench_command command;
    uint64_t amount;                 /* operations; UINT64_MAX: no limit */
    uint64_t id_base;                /* blob number of operation 0 */
    int64_t stop_ns;                 /* --duration: none begun after */
};

struct bench_shared {
    const struct bench_options *options;
    const struct bench_plan *plan;
    int64_t timeout_ns;
    int64_t limit_ns;                /* --time-limit as a clock time, or 0 */
    struct bench_phase phase;        /* set by the main thread only */
    uint64_t next_op;                /* claimed with an atomic add */

    /* The rendezvous: workers arrive, the main thread releases. */
    pthread_mutex_t lock;
    pthread_cond_t to_main;
    pthread_cond_t to_workers;
    unsigned workers;
    unsigned arrived;
    unsigned generation;
};

struct bench_worker {
    struct bench_shared *shared;
    pthread_t thread;
    struct reactor reactor;

    struct bench_conn *conns;
    size_t conn_count;
    struct bench_conn **idle;        /* open loop: connections free now */
    size_t idle_count;
    size_t opening;                  /* first connects not settled yet */
    size_t established;
    size_t active;                   /* connections carrying an operation */

    bool exhausted;                  /* no new operation in this phase */
    bool limit_hit;
    double rate;                     /* open loop: this thread's share */
    int64_t interval_ns;             /* between two operations due */
    int64_t phase_start_ns;
    uint64_t scheduled;              /* open loop: operations sent so far */
    struct reactor_io schedule_io;   /* open loop: a periodic timerfd */
    bool ticking;
    struct reactor_timer stop_timer;
    struct reactor_timer limit_timer;

    struct bench_stats *stats;       /* counted or warmup, by phase */
    struct bench_stats counted;
    struct bench_stats warmup;
    uint64_t progress_ops;           /* atomic stores, for the progress */
    uint64_t progress_errors;        /* line the main thread prints */
};

int bench_shared_init(struct bench_shared *s, const struct bench_options *o,
                      const struct bench_plan *plan, unsigned workers);
void bench_shared_free(struct bench_shared *s);

/* Workers arrive and wait to be released; the main thread collects them
 * (calling tick about once a second while it waits) and releases them. */
void bench_sync_arrive(struct bench_shared *s);
void bench_sync_collect(struct bench_shared *s, void (*tick)(void *),
                        void *arg);
void bench_sync_release(struct bench_shared *s);

int bench_worker_init(struct bench_worker *w, struct bench_shared *s,
                      size_t conn_count);
void bench_worker_free(struct bench_worker *w);
void *bench_worker_main(void *arg);

/* From the connections. */
void bench_worker_opened(struct bench_worker *w, struct bench_conn *c,
                         bool ok);
void bench_worker_op_end(struct bench_worker *w, struct bench_conn *c,
                         bool ok);
void bench_worker_conn_free(struct bench_worker *w, struct bench_conn *c);

#endif
