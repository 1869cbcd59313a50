/*
 * bench_run.h: one run (one repeat) of the load client, from opening the
 * connections to the merged counters, as the main thread sees it.
 */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "bench_options.h"
#include "bench_request.h"

struct bench_result {
    unsigned repeat;                 /* 1-based */
    unsigned connections;            /* asked for */
    unsigned established;            /* opened at the start of the run */
    unsigned threads;                /* used: never more than connections */
    double seconds;                  /* first request sent to last answer */
    uint64_t unfinished;             /* operations never begun */
    bool time_limit_hit;
    double cpu_user_s;               /* this process, counted phase only */
    double cpu_sys_s;
    struct bench_stats stats;        /* the counted phase */
    struct bench_stats warmup;
};

/* Run once. *next_id is the number of the next blob id, carried from run
 * to run so that ids never repeat within an invocation. Return 0, or -1
 * when the run could not start (threads, memory); errors of the server
 * are in the result, not in the return value. */
int bench_run(const struct bench_options *o, const struct bench_plan *plan,
              unsigned repeat, uint64_t *next_id, struct bench_result *out);

/* Whether every operation of the run succeeded. */
bool bench_result_ok(const struct bench_result *r);

/* Successful operations and correct answers per second of the run. */
double bench_result_ops_per_s(const struct bench_result *r);
double bench_result_requests_per_s(const struct bench_result *r);

#endif
