/*
 * reactor.h: one epoll loop with deadlines.
 *
 * The reactor knows file descriptors, deadlines and callbacks, nothing
 * else. Watches are level-triggered: a handler that leaves bytes unread is
 * called again, so no event can be lost by stopping early for fairness.
 * Time is a monotonic clock in nanoseconds, read once per loop turn.
 *
 * A handler may free its own io, but no other: another's event may still
 * wait in the same batch. Work that frees others belongs in a timer, which
 * fires after the batch.
 */
#ifndef REACTOR_H
#define REACTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct reactor;

struct reactor_io {
    int fd;
    uint32_t events;                 /* what is watched now */
    void (*on_event)(struct reactor_io *io, uint32_t events);
};

struct reactor_timer {
    int64_t deadline_ns;
    size_t heap_index;               /* 0 when not armed */
    void (*on_expire)(struct reactor_timer *timer);
};

struct reactor {
    int epoll_fd;
    int running;
    int64_t now_ns;
    struct reactor_timer **heap;     /* 1-based binary min-heap */
    size_t heap_len;
    size_t heap_cap;
};

int reactor_init(struct reactor *r);
void reactor_free(struct reactor *r);

/* Watch, change or forget an fd; return 0 or -1 with errno set. */
int reactor_add(struct reactor *r, struct reactor_io *io, uint32_t events);
int reactor_modify(struct reactor *r, struct reactor_io *io, uint32_t events);
int reactor_remove(struct reactor *r, struct reactor_io *io);

/* Arm (or re-arm) a timer to fire once at an absolute monotonic time. */
void reactor_timer_arm(struct reactor *r, struct reactor_timer *t,
                       int64_t deadline_ns);
void reactor_timer_disarm(struct reactor *r, struct reactor_timer *t);

static inline int reactor_timer_armed(const struct reactor_timer *t)
{
    return t->heap_index != 0;
}

/* Run until reactor_stop(); return 0, or -1 if epoll_wait failed. */
int reactor_run(struct reactor *r);
void reactor_stop(struct reactor *r);

/* The time of this loop turn, and a fresh reading. */
static inline int64_t reactor_now(const struct reactor *r)
{
    return r->now_ns;
}
int64_t clock_now_ns(void);

#define NS_PER_MS 1000000LL
#define NS_PER_SEC 1000000000LL

#endif
