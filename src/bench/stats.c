/*
 * Names of actions and failures, and the per-thread counters.
 *
 * Each thread counts into its own bench_stats with plain increments; the
 * run merges them once at the end, so the hot path shares no cache line
 * between threads.
 */
#include "bench.h"

#include <stddef.h>
#include <string.h>

static const char *const action_names[BENCH_ACTIONS] = {
    [BENCH_BASELINE] = "baseline",
    [BENCH_LIST] = "list",
    [BENCH_PUT] = "put",
    [BENCH_GET] = "get",
    [BENCH_FLAG] = "flag",
    [BENCH_DELETE] = "delete",
};

static const char *const error_names[BENCH_ERRORS] = {
    [BENCH_ERR_CONNECT] = "connect",
    [BENCH_ERR_TIMEOUT] = "timeout",
    [BENCH_ERR_RESET] = "reset",
    [BENCH_ERR_STATUS] = "status",
    [BENCH_ERR_FRAMING] = "framing",
    [BENCH_ERR_BODY] = "body",
};

const char *bench_action_name(enum bench_action action)
{
    return action < BENCH_ACTIONS ? action_names[action] : "?";
}

unsigned bench_action_steps(enum bench_action action)
{
    return action == BENCH_GET || action == BENCH_FLAG ||
           action == BENCH_DELETE ? 2 : 1;
}

const char *bench_error_name(enum bench_error error)
{
    return error < BENCH_ERRORS ? error_names[error] : "?";
}

void bench_stats_init(struct bench_stats *s)
{
    memset(s, 0, offsetof(struct bench_stats, latency_us));
    histogram_init(&s->latency_us);
}

void bench_stats_merge(struct bench_stats *into,
                       const struct bench_stats *from)
{
    into->ops_ok += from->ops_ok;
    into->ops_failed += from->ops_failed;
    into->requests += from->requests;
    into->connects += from->connects;
    if (into->connect_errno == 0)
        into->connect_errno = from->connect_errno;
    into->retries += from->retries;
    into->bytes_sent += from->bytes_sent;
    into->bytes_received += from->bytes_received;
    for (int i = 0; i < BENCH_ERRORS; i++)
        into->errors[i] += from->errors[i];
    for (int i = 0; i < BENCH_STATUS_CODES; i++)
        into->unexpected_status[i] += from->unexpected_status[i];

    if (from->first_send_ns != 0 &&
        (into->first_send_ns == 0 || from->first_send_ns < into->first_send_ns))
        into->first_send_ns = from->first_send_ns;
    if (from->last_done_ns > into->last_done_ns)
        into->last_done_ns = from->last_done_ns;

    histogram_merge(&into->latency_us, &from->latency_us);
}

uint64_t bench_stats_errors(const struct bench_stats *s)
{
    uint64_t total = 0;

    for (int i = 0; i < BENCH_ERRORS; i++)
        total += s->errors[i];
    return total;
}
