/*
 * One run, driven from the main thread.
 *
 * The main thread does no I/O of its own: it starts the workers, steps
 * them through the phases (open, warm up, measure, quit) at rendezvous
 * points, reads the CPU clock around the counted phase only, and prints
 * the progress line while it waits.
 */
#include "bench_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_worker.h"
#include "log.h"

struct progress {
    const struct bench_options *options;
    struct bench_worker *workers;
    unsigned worker_count;
    unsigned repeat;
    const char *phase;
    int64_t start_ns;
};

static void progress_tick(void *arg)
{
    struct progress *p = arg;
    uint64_t ops = 0, failed = 0;
    double elapsed = (double)(clock_now_ns() - p->start_ns) / NS_PER_SEC;

    for (unsigned i = 0; i < p->worker_count; i++) {
        ops += __atomic_load_n(&p->workers[i].progress_ops, __ATOMIC_RELAXED);
        failed += __atomic_load_n(&p->workers[i].progress_errors,
                                  __ATOMIC_RELAXED);
    }

    fprintf(stderr, "\rblobs-bench: run %u/%u%s %6.1f s %10llu ops "
            "%6llu failed %9.0f ops/s\033[K", p->repeat,
            p->options->repeats, p->phase, elapsed, (unsigned long long)ops,
            (unsigned long long)failed, elapsed > 0 ? (double)ops / elapsed
                                                    : 0.0);
}

static bool progress_wanted(const struct bench_options *o)
{
    return o->progress == 1 || (o->progress == -1 && isatty(STDERR_FILENO));
}

static double timeval_seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Step every worker through one phase and wait for all of them. */
static void run_phase(struct bench_shared *s, struct progress *p,
                      const char *name, const struct bench_phase *phase)
{
    s->phase = *phase;
    s->next_op = 0;
    p->phase = name;
    p->start_ns = clock_now_ns();
    for (unsigned i = 0; i < p->worker_count; i++) {
        __atomic_store_n(&p->workers[i].progress_ops, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&p->workers[i].progress_errors, 0,
                         __ATOMIC_RELAXED);
    }

    bench_sync_release(s);
    bench_sync_collect(s, progress_wanted(p->options) ? progress_tick
                                                      : NULL, p);
    if (progress_wanted(p->options))
        fputs("\r\033[K", stderr);
}

/* Spread the connections over the threads, none lost to rounding: the
 * first (connections % threads) threads take one more. */
static size_t connections_of(const struct bench_options *o,
                             unsigned threads, unsigned i)
{
    return o->connections / threads + (i < o->connections % threads);
}

static void collect_result(const struct bench_options *o,
                           struct bench_worker *workers, unsigned count,
                           struct bench_result *out)
{
    uint64_t done;

    for (unsigned i = 0; i < count; i++) {
        bench_stats_merge(&out->stats, &workers[i].counted);
        bench_stats_merge(&out->warmup, &workers[i].warmup);
        out->established += (unsigned)workers[i].established;
        out->time_limit_hit |= workers[i].limit_hit;
    }

    if (out->stats.first_send_ns != 0)
        out->seconds = (double)(out->stats.last_done_ns -
                                out->stats.first_send_ns) / NS_PER_SEC;

    done = out->stats.ops_ok + out->stats.ops_failed;
    if (o->duration_s == 0 && done < o->amount)
        out->unfinished = o->amount - done;
}

int bench_run(const struct bench_options *o, const struct bench_plan *plan,
              unsigned repeat, uint64_t *next_id, struct bench_result *out)
{
    unsigned threads = o->threads < o->connections ? o->threads
                                                   : o->connections;
    struct bench_worker *workers;
    struct bench_shared shared;
    struct progress progress;
    struct rusage before, after;
    unsigned ready = 0;
    unsigned started = 0;
    unsigned established = 0;
    int result = -1;

    memset(out, 0, offsetof(struct bench_result, stats));
    bench_stats_init(&out->stats);
    bench_stats_init(&out->warmup);
    out->repeat = repeat;
    out->connections = o->connections;
    out->threads = threads;

    workers = calloc(threads, sizeof(*workers));
    if (workers == NULL || bench_shared_init(&shared, o, plan, threads) < 0) {
        free(workers);
        return -1;
    }
    progress = (struct progress){ o, workers, threads, repeat, "", 0 };

    for (; ready < threads; ready++) {
        if (bench_worker_init(&workers[ready], &shared,
                              connections_of(o, threads, ready)) < 0) {
            log_error("cannot set up thread %u: out of memory or fds",
                      ready);
            goto out;
        }
    }

    if (o->time_limit_s > 0)
        shared.limit_ns = clock_now_ns() +
                          (int64_t)(o->time_limit_s * NS_PER_SEC);

    for (; started < threads; started++) {
        if (pthread_create(&workers[started].thread, NULL,
                           bench_worker_main, &workers[started]) != 0) {
            log_error("cannot start thread %u", started);
            break;
        }
    }
    shared.workers = started;
    bench_sync_collect(&shared, NULL, NULL);
    if (started < threads)
        goto quit;

    /* Each thread's share of an open loop's rate follows the connections
     * it really has. */
    for (unsigned i = 0; i < threads; i++)
        established += (unsigned)workers[i].established;
    for (unsigned i = 0; i < threads && established > 0; i++)
        workers[i].rate = o->rate * (double)workers[i].established /
                          established;

    if (o->warmup > 0) {
        struct bench_phase warmup = { BENCH_CMD_WARMUP, o->warmup,
                                      *next_id, 0 };

        run_phase(&shared, &progress, " warm-up", &warmup);
        *next_id += shared.next_op;
    }

    {
        struct bench_phase measure = {
            BENCH_CMD_MEASURE, o->amount ? o->amount : UINT64_MAX,
            *next_id, 0,
        };

        if (o->duration_s > 0)
            measure.stop_ns = clock_now_ns() +
                              (int64_t)(o->duration_s * NS_PER_SEC);
        getrusage(RUSAGE_SELF, &before);
        run_phase(&shared, &progress, "", &measure);
        getrusage(RUSAGE_SELF, &after);
        *next_id += shared.next_op;
    }

    out->cpu_user_s = timeval_seconds(after.ru_utime) -
                      timeval_seconds(before.ru_utime);
    out->cpu_sys_s = timeval_seconds(after.ru_stime) -
                     timeval_seconds(before.ru_stime);
    collect_result(o, workers, threads, out);
    result = 0;

quit:
    shared.phase.command = BENCH_CMD_QUIT;
    bench_sync_release(&shared);
    for (unsigned i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
out:
    for (unsigned i = 0; i < ready; i++)
        bench_worker_free(&workers[i]);
    bench_shared_free(&shared);
    free(workers);
    return result;
}

bool bench_result_ok(const struct bench_result *r)
{
    return bench_stats_errors(&r->stats) == 0 &&
           bench_stats_errors(&r->warmup) == 0 &&
           r->stats.ops_failed == 0 && r->warmup.ops_failed == 0 &&
           r->unfinished == 0 && !r->time_limit_hit;
}

double bench_result_ops_per_s(const struct bench_result *r)
{
    return r->seconds > 0 ? (double)r->stats.ops_ok / r->seconds : 0.0;
}

double bench_result_requests_per_s(const struct bench_result *r)
{
    return r->seconds > 0 ? (double)r->stats.requests / r->seconds : 0.0;
}
