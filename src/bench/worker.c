/*
 * One thread of the load client and its two load models.
 *
 * Closed loop (the original's): every connection claims its next
 * operation as soon as the last one is over. Open loop (--rate): the
 * operations are due on a fixed schedule; a due operation waits for a
 * free connection if it must, and its latency runs from when it was due.
 * A server that stalls for a second then shows a second of latency on
 * every request due in it, instead of one slow request and a quiet gap:
 * the "coordinated omission" of closed-loop tools.
 *
 * A phase ends for a thread when it may begin no operation (the count is
 * used up, the duration is over, or the time limit hit) and none of its
 * connections still carries one.
 *
 * XXX: below saturation the open loop costs the client far more CPU per
 * request than the closed loop (30 us against 3 to 5 us, measured on a
 * 2-core VM at 20000 requests/s): each request is a wake-up and a sleep
 * for the client and for the server. On a small machine that is CPU
 * taken from the server being measured; --format tsv reports it
 * (cpu_us_per_req), so a reader can see it.
 */
#include "bench_worker.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define worker_of(ptr, member) \
    ((struct bench_worker *)((char *)(ptr) - \
                             offsetof(struct bench_worker, member)))

int bench_shared_init(struct bench_shared *s, const struct bench_options *o,
                      const struct bench_plan *plan, unsigned workers)
{
    pthread_condattr_t attr;

    memset(s, 0, sizeof(*s));
    s->options = o;
    s->plan = plan;
    s->timeout_ns = (int64_t)(o->timeout_s * NS_PER_SEC);
    s->workers = workers;

    /* The main thread's waits are timed on the monotonic clock, so a
     * change of the wall clock cannot stall or hurry the progress line. */
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->to_main, &attr);
    pthread_cond_init(&s->to_workers, NULL);
    pthread_condattr_destroy(&attr);
    return 0;
}

void bench_shared_free(struct bench_shared *s)
{
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->to_main);
    pthread_cond_destroy(&s->to_workers);
}

void bench_sync_arrive(struct bench_shared *s)
{
    unsigned generation;

    pthread_mutex_lock(&s->lock);
    if (++s->arrived == s->workers)
        pthread_cond_signal(&s->to_main);
    generation = s->generation;
    while (generation == s->generation)
        pthread_cond_wait(&s->to_workers, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

void bench_sync_collect(struct bench_shared *s, void (*tick)(void *),
                        void *arg)
{
    struct timespec next_tick;

    clock_gettime(CLOCK_MONOTONIC, &next_tick);
    next_tick.tv_sec++;

    pthread_mutex_lock(&s->lock);
    while (s->arrived < s->workers) {
        if (pthread_cond_timedwait(&s->to_main, &s->lock, &next_tick) !=
            ETIMEDOUT)
            continue;
        next_tick.tv_sec++;
        if (tick != NULL) {
            pthread_mutex_unlock(&s->lock);
            tick(arg);
            pthread_mutex_lock(&s->lock);
        }
    }
    pthread_mutex_unlock(&s->lock);
}

void bench_sync_release(struct bench_shared *s)
{
    pthread_mutex_lock(&s->lock);
    s->arrived = 0;
    s->generation++;
    pthread_cond_broadcast(&s->to_workers);
    pthread_mutex_unlock(&s->lock);
}

static void worker_check_done(struct bench_worker *w)
{
    if (w->exhausted && w->active == 0)
        reactor_stop(&w->reactor);
}

/* Take the next operation of the phase, if there is one. */
static bool worker_claim(struct bench_worker *w, uint64_t *op)
{
    struct bench_shared *s = w->shared;
    uint64_t n;

    if (w->exhausted)
        return false;

    n = __atomic_fetch_add(&s->next_op, 1, __ATOMIC_RELAXED);
    if (n >= s->phase.amount) {
        w->exhausted = true;
        return false;
    }
    *op = s->phase.id_base + n;
    return true;
}

static void worker_begin(struct bench_worker *w, struct bench_conn *c,
                         uint64_t op, int64_t due_ns)
{
    w->active++;
    bench_conn_start(c, op, due_ns);
}

/* The open loop's clock: a periodic timerfd that ticks when operations
 * fall due, from first_ns on; 0 stops it. Periodic, so that it is set
 * once per phase rather than once per request: programming a timer is a
 * costly trap in a virtual machine, and it was most of the client's CPU
 * time when it was set for every request. */
static void schedule_ticks(struct bench_worker *w, int64_t first_ns)
{
    struct itimerspec spec = { { 0, 0 }, { 0, 0 } };

    if (first_ns > 0) {
        spec.it_value.tv_sec = first_ns / NS_PER_SEC;
        spec.it_value.tv_nsec = first_ns % NS_PER_SEC;
        spec.it_interval.tv_sec = w->interval_ns / NS_PER_SEC;
        spec.it_interval.tv_nsec = w->interval_ns % NS_PER_SEC;
    }
    timerfd_settime(w->schedule_io.fd, TFD_TIMER_ABSTIME, &spec, NULL);
    w->ticking = first_ns > 0;
}

/* Open loop: send every operation that is due, as far as connections
 * are free; tick again when the next one is due. */
static void worker_schedule(struct bench_worker *w)
{
    while (w->idle_count > 0 && !w->exhausted) {
        int64_t due = w->phase_start_ns + (int64_t)w->scheduled *
                                          w->interval_ns;
        uint64_t op;

        if (due > clock_now_ns()) {
            if (!w->ticking)
                schedule_ticks(w, due);
            return;
        }
        if (!worker_claim(w, &op))
            return;

        w->scheduled++;
        worker_begin(w, w->idle[--w->idle_count], op, due);
    }
}

void bench_worker_conn_free(struct bench_worker *w, struct bench_conn *c)
{
    uint64_t op;

    if (bench_conn_usable(c)) {
        if (w->shared->options->rate > 0) {
            w->idle[w->idle_count++] = c;
            worker_schedule(w);
        } else if (worker_claim(w, &op)) {
            worker_begin(w, c, op, 0);
        }
    }
    worker_check_done(w);
}

void bench_worker_op_end(struct bench_worker *w, struct bench_conn *c,
                         bool ok)
{
    struct bench_stats *stats = w->stats;

    w->active--;
    if (ok)
        stats->ops_ok++;
    else
        stats->ops_failed++;
    stats->last_done_ns = clock_now_ns();

    __atomic_store_n(&w->progress_ops, w->progress_ops + 1,
                     __ATOMIC_RELAXED);
    if (!ok)
        __atomic_store_n(&w->progress_errors, w->progress_errors + 1,
                         __ATOMIC_RELAXED);

    bench_worker_conn_free(w, c);
}

void bench_worker_opened(struct bench_worker *w, struct bench_conn *c,
                         bool ok)
{
    (void)c;
    if (ok)
        w->established++;
    if (--w->opening == 0)
        reactor_stop(&w->reactor);
}

static void on_schedule(struct reactor_io *io, uint32_t events)
{
    struct bench_worker *w = worker_of(io, schedule_io);
    uint64_t expirations;

    (void)events;
    if (read(io->fd, &expirations, sizeof(expirations)) < 0)
        return;

    /* Every connection busy: the operations due wait for one, and a
     * connection that comes free sends them and starts the clock again.
     * Ticking on meanwhile would only wake the thread for nothing. */
    if (w->idle_count == 0) {
        schedule_ticks(w, 0);
        return;
    }

    /* The claim that finds the count used up may come from here, with
     * nothing in flight: then this is the end of the phase. */
    worker_schedule(w);
    worker_check_done(w);
}

static void on_stop(struct reactor_timer *t)
{
    struct bench_worker *w = worker_of(t, stop_timer);

    w->exhausted = true;
    schedule_ticks(w, 0);
    worker_check_done(w);
}

/* --time-limit: what is in flight fails as a timeout, nothing new
 * begins, and the thread stops now. */
static void on_limit(struct reactor_timer *t)
{
    struct bench_worker *w = worker_of(t, limit_timer);

    w->limit_hit = true;
    w->exhausted = true;
    schedule_ticks(w, 0);
    for (size_t i = 0; i < w->conn_count; i++)
        bench_conn_abort(&w->conns[i]);
    reactor_stop(&w->reactor);
}

int bench_worker_init(struct bench_worker *w, struct bench_shared *s,
                      size_t conn_count)
{
    memset(w, 0, sizeof(*w));
    w->shared = s;
    w->conn_count = conn_count;
    w->schedule_io.fd = -1;
    w->schedule_io.on_event = on_schedule;
    w->stop_timer.on_expire = on_stop;
    w->limit_timer.on_expire = on_limit;
    bench_stats_init(&w->counted);
    bench_stats_init(&w->warmup);
    w->stats = &w->counted;

    /* One allocation per run for all connections: nothing is allocated
     * once requests flow. */
    w->conns = calloc(conn_count, sizeof(*w->conns));
    w->idle = calloc(conn_count, sizeof(*w->idle));
    if (w->conns == NULL || w->idle == NULL ||
        reactor_init(&w->reactor) < 0) {
        free(w->conns);
        free(w->idle);
        return -1;
    }

    /* The open loop's schedule runs on a timerfd, not on a reactor
     * timer: epoll_wait counts in milliseconds, and a request sent up to
     * a millisecond late would add that to every latency it measures. */
    w->schedule_io.fd = timerfd_create(CLOCK_MONOTONIC,
                                       TFD_NONBLOCK | TFD_CLOEXEC);
    if (w->schedule_io.fd < 0 ||
        reactor_add(&w->reactor, &w->schedule_io, EPOLLIN) < 0) {
        bench_worker_free(w);
        return -1;
    }
    for (size_t i = 0; i < conn_count; i++)
        bench_conn_init(&w->conns[i], w);
    return 0;
}

void bench_worker_free(struct bench_worker *w)
{
    if (w->schedule_io.fd >= 0)
        close(w->schedule_io.fd);
    w->schedule_io.fd = -1;
    free(w->conns);
    free(w->idle);
    w->conns = NULL;
    w->idle = NULL;
    reactor_free(&w->reactor);
}

static void worker_arm_limit(struct bench_worker *w)
{
    if (w->shared->limit_ns != 0 && !w->limit_hit)
        reactor_timer_arm(&w->reactor, &w->limit_timer, w->shared->limit_ns);
}

static void worker_open_all(struct bench_worker *w)
{
    w->opening = w->conn_count;
    worker_arm_limit(w);
    for (size_t i = 0; i < w->conn_count; i++)
        bench_conn_open(&w->conns[i]);

    if (w->opening > 0)
        reactor_run(&w->reactor);
    reactor_timer_disarm(&w->reactor, &w->limit_timer);
}

static void worker_run_phase(struct bench_worker *w, bool counted)
{
    const struct bench_phase *phase = &w->shared->phase;
    bool open_loop = w->shared->options->rate > 0;
    uint64_t op;

    w->stats = counted ? &w->counted : &w->warmup;
    w->exhausted = w->limit_hit;
    w->active = 0;
    w->idle_count = 0;
    w->scheduled = 0;
    w->phase_start_ns = clock_now_ns();

    /* The loop's clock stopped at its last turn, before the rendezvous;
     * left so, its first wait would run long by the time spent there,
     * and a deadline would fire that much late. */
    w->reactor.now_ns = w->phase_start_ns;
    if (open_loop && w->rate > 0)
        w->interval_ns = (int64_t)llround(NS_PER_SEC / w->rate);
    if (w->interval_ns < 1)
        w->interval_ns = 1;

    if (phase->stop_ns != 0)
        reactor_timer_arm(&w->reactor, &w->stop_timer, phase->stop_ns);
    worker_arm_limit(w);

    /* A thread whose every first connect failed begins nothing; the
     * others take the operations it would have. */
    if (w->established == 0)
        w->exhausted = true;

    for (size_t i = 0; i < w->conn_count && !w->exhausted; i++) {
        struct bench_conn *c = &w->conns[i];

        if (!bench_conn_usable(c))
            continue;
        if (open_loop)
            w->idle[w->idle_count++] = c;
        else if (worker_claim(w, &op))
            worker_begin(w, c, op, 0);
    }
    if (open_loop && w->idle_count > 0)
        worker_schedule(w);

    if (!(w->exhausted && w->active == 0))
        reactor_run(&w->reactor);

    reactor_timer_disarm(&w->reactor, &w->stop_timer);
    reactor_timer_disarm(&w->reactor, &w->limit_timer);
    schedule_ticks(w, 0);
    for (size_t i = 0; i < w->conn_count; i++)
        bench_conn_cancel_backoff(&w->conns[i]);
}

void *bench_worker_main(void *arg)
{
    struct bench_worker *w = arg;
    struct bench_shared *s = w->shared;

    worker_open_all(w);

    for (;;) {
        bench_sync_arrive(s);
        if (s->phase.command == BENCH_CMD_QUIT)
            break;
        worker_run_phase(w, s->phase.command == BENCH_CMD_MEASURE);
    }

    for (size_t i = 0; i < w->conn_count; i++)
        bench_conn_close(&w->conns[i]);
    return NULL;
}
