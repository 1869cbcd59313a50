/*
 * The epoll loop and its deadline heap.
 *
 * Deadlines live in a binary heap keyed by time; each timer remembers its
 * slot so that re-arming (which every request does) is O(log n) with no
 * allocation. epoll_wait sleeps until the earliest deadline, so an idle
 * process wakes only when something is due.
 */
#include "reactor.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define REACTOR_BATCH 256

int64_t clock_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int reactor_init(struct reactor *r)
{
    r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (r->epoll_fd < 0)
        return -1;

    r->running = 0;
    r->now_ns = clock_now_ns();
    r->heap = NULL;
    r->heap_len = 0;
    r->heap_cap = 0;
    return 0;
}

void reactor_free(struct reactor *r)
{
    if (r->epoll_fd >= 0)
        close(r->epoll_fd);
    r->epoll_fd = -1;
    free(r->heap);
    r->heap = NULL;
    r->heap_len = r->heap_cap = 0;
}

static int reactor_ctl(struct reactor *r, int op, struct reactor_io *io,
                       uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = io };

    if (epoll_ctl(r->epoll_fd, op, io->fd, &ev) < 0)
        return -1;
    io->events = events;
    return 0;
}

int reactor_add(struct reactor *r, struct reactor_io *io, uint32_t events)
{
    return reactor_ctl(r, EPOLL_CTL_ADD, io, events);
}

int reactor_modify(struct reactor *r, struct reactor_io *io, uint32_t events)
{
    if (io->events == events)
        return 0;
    return reactor_ctl(r, EPOLL_CTL_MOD, io, events);
}

int reactor_remove(struct reactor *r, struct reactor_io *io)
{
    io->events = 0;
    return epoll_ctl(r->epoll_fd, EPOLL_CTL_DEL, io->fd, NULL);
}

static void heap_place(struct reactor *r, size_t i, struct reactor_timer *t)
{
    r->heap[i] = t;
    t->heap_index = i;
}

static void heap_sift_up(struct reactor *r, size_t i)
{
    struct reactor_timer *t = r->heap[i];

    while (i > 1 && r->heap[i / 2]->deadline_ns > t->deadline_ns) {
        heap_place(r, i, r->heap[i / 2]);
        i /= 2;
    }
    heap_place(r, i, t);
}

static void heap_sift_down(struct reactor *r, size_t i)
{
    struct reactor_timer *t = r->heap[i];

    for (;;) {
        size_t child = i * 2;

        if (child > r->heap_len)
            break;
        if (child < r->heap_len &&
            r->heap[child + 1]->deadline_ns < r->heap[child]->deadline_ns)
            child++;
        if (r->heap[child]->deadline_ns >= t->deadline_ns)
            break;
        heap_place(r, i, r->heap[child]);
        i = child;
    }
    heap_place(r, i, t);
}

void reactor_timer_disarm(struct reactor *r, struct reactor_timer *t)
{
    size_t i = t->heap_index;
    struct reactor_timer *last;

    if (i == 0)
        return;

    t->heap_index = 0;
    last = r->heap[r->heap_len--];
    if (last == t)
        return;

    heap_place(r, i, last);
    heap_sift_up(r, i);
    heap_sift_down(r, last->heap_index);
}

void reactor_timer_arm(struct reactor *r, struct reactor_timer *t,
                       int64_t deadline_ns)
{
    if (t->heap_index != 0) {
        int64_t old = t->deadline_ns;

        t->deadline_ns = deadline_ns;
        if (deadline_ns < old)
            heap_sift_up(r, t->heap_index);
        else
            heap_sift_down(r, t->heap_index);
        return;
    }

    if (r->heap_len + 1 >= r->heap_cap) {
        size_t cap = r->heap_cap ? r->heap_cap * 2 : 64;
        struct reactor_timer **heap = realloc(r->heap, cap * sizeof(*heap));

        /* Out of memory: the timer stays unarmed, the caller's
         * connection simply has no deadline. */
        if (heap == NULL)
            return;
        r->heap = heap;
        r->heap_cap = cap;
    }

    t->deadline_ns = deadline_ns;
    r->heap_len++;
    heap_place(r, r->heap_len, t);
    heap_sift_up(r, r->heap_len);
}

static int reactor_wait_ms(const struct reactor *r)
{
    int64_t wait_ns;

    if (r->heap_len == 0)
        return -1;

    wait_ns = r->heap[1]->deadline_ns - r->now_ns;
    if (wait_ns <= 0)
        return 0;

    /* Round up so that we never wake just before a deadline and spin. */
    wait_ns = (wait_ns + NS_PER_MS - 1) / NS_PER_MS;
    return wait_ns > 60000 ? 60000 : (int)wait_ns;
}

static void reactor_fire_timers(struct reactor *r)
{
    while (r->heap_len > 0 && r->heap[1]->deadline_ns <= r->now_ns) {
        struct reactor_timer *t = r->heap[1];

        reactor_timer_disarm(r, t);
        t->on_expire(t);
    }
}

int reactor_run(struct reactor *r)
{
    struct epoll_event events[REACTOR_BATCH];

    /* The loop may be run again after a pause: start from the real time,
     * not the time it last stopped. */
    r->running = 1;
    r->now_ns = clock_now_ns();
    while (r->running) {
        int n = epoll_wait(r->epoll_fd, events, REACTOR_BATCH,
                           reactor_wait_ms(r));

        if (n < 0 && errno != EINTR)
            return -1;

        r->now_ns = clock_now_ns();
        for (int i = 0; i < n; i++) {
            struct reactor_io *io = events[i].data.ptr;

            io->on_event(io, events[i].events);
        }
        reactor_fire_timers(r);
    }
    return 0;
}

void reactor_stop(struct reactor *r)
{
    r->running = 0;
}
