/*
 * One connection of the load client: connect, write, read, check.
 *
 * The socket is watched for input all the time it is open and for output
 * only while a write is blocked, so a request that fits the socket buffer
 * (nearly all of them) costs one sendmsg, one read and a share of one
 * epoll_wait, with no epoll_ctl at all.
 *
 * Latency runs from the moment the request is written (closed loop) or
 * was due (open loop) to the loop turn in which its last byte was read;
 * that turn's clock reading is taken as soon as epoll_wait returns, so
 * work done for other connections in the same turn is not charged.
 */
#include "bench_conn.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_worker.h"
#include "net.h"

#define conn_of(ptr, member) \
    ((struct bench_conn *)((char *)(ptr) - offsetof(struct bench_conn, member)))

static void conn_on_event(struct reactor_io *io, uint32_t events);
static void conn_on_timer(struct reactor_timer *timer);
static void conn_send(struct bench_conn *c);

static struct reactor *conn_reactor(struct bench_conn *c)
{
    return &c->worker->reactor;
}

static struct bench_shared *conn_shared(struct bench_conn *c)
{
    return c->worker->shared;
}

void bench_conn_init(struct bench_conn *c, struct bench_worker *w)
{
    memset(c, 0, offsetof(struct bench_conn, buf));
    c->io.fd = -1;
    c->io.on_event = conn_on_event;
    c->timer.on_expire = conn_on_timer;
    c->worker = w;
    c->state = BENCH_CONN_CLOSED;
}

/* Close the socket, if any, without counting anything. */
static void conn_drop(struct bench_conn *c)
{
    struct reactor *r = conn_reactor(c);

    if (c->io.fd >= 0) {
        reactor_remove(r, &c->io);
        close(c->io.fd);
        c->io.fd = -1;
    }
    reactor_timer_disarm(r, &c->timer);
    c->state = BENCH_CONN_CLOSED;
    c->buffered = 0;
    c->reused = false;
}

static int conn_connect(struct bench_conn *c)
{
    struct reactor *r = conn_reactor(c);
    int fd = net_connect(&conn_shared(c)->options->url.address);

    if (fd < 0)
        return -1;

    c->io.fd = fd;
    if (reactor_add(r, &c->io, EPOLLOUT) < 0) {
        close(fd);
        c->io.fd = -1;
        return -1;
    }

    c->state = BENCH_CONN_CONNECTING;
    reactor_timer_arm(r, &c->timer,
                      clock_now_ns() + conn_shared(c)->timeout_ns);
    return 0;
}

static void conn_op_over(struct bench_conn *c, bool ok)
{
    c->has_op = false;
    bench_worker_op_end(c->worker, c, ok);
}

static void conn_connect_failed(struct bench_conn *c, int error)
{
    struct bench_stats *stats = c->worker->stats;

    stats->errors[BENCH_ERR_CONNECT]++;
    if (stats->connect_errno == 0)
        stats->connect_errno = error;
    conn_drop(c);

    if (c->opening) {
        c->opening = false;
        c->state = BENCH_CONN_DEAD;
        bench_worker_opened(c->worker, c, false);
        return;
    }

    c->state = BENCH_CONN_BACKOFF;
    reactor_timer_arm(conn_reactor(c), &c->timer,
                      clock_now_ns() + BENCH_RECONNECT_DELAY_MS * NS_PER_MS);
    if (c->has_op)
        conn_op_over(c, false);
}

static void conn_fail(struct bench_conn *c, enum bench_error error)
{
    struct bench_stats *stats = c->worker->stats;

    stats->errors[error]++;
    if (error == BENCH_ERR_STATUS && c->reply.status > 0 &&
        c->reply.status < BENCH_STATUS_CODES)
        stats->unexpected_status[c->reply.status]++;

    conn_drop(c);
    conn_op_over(c, false);
}

void bench_conn_open(struct bench_conn *c)
{
    c->opening = true;
    if (conn_connect(c) < 0)
        conn_connect_failed(c, errno);
}

static void conn_connected(struct bench_conn *c)
{
    int error = 0;
    socklen_t len = sizeof(error);

    if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
        error = errno;
    if (error != 0) {
        conn_connect_failed(c, error);
        return;
    }

    c->worker->stats->connects++;
    reactor_timer_disarm(conn_reactor(c), &c->timer);
    reactor_modify(conn_reactor(c), &c->io, EPOLLIN);
    c->state = BENCH_CONN_IDLE;

    if (c->opening) {
        c->opening = false;
        bench_worker_opened(c->worker, c, true);
    } else if (c->has_op) {
        conn_send(c);
    }
}

static void conn_begin_step(struct bench_conn *c)
{
    bench_request_build(conn_shared(c)->plan, c->op, c->step, &c->request);
    c->retried = false;

    /* Only the first request of an operation was due on the schedule;
     * the second follows the first answer at once. */
    c->start_ns = c->step == 0 ? c->due_ns : 0;

    if (c->state == BENCH_CONN_IDLE)
        conn_send(c);
    else if (conn_connect(c) < 0)
        conn_connect_failed(c, errno);
}

void bench_conn_start(struct bench_conn *c, uint64_t op, int64_t due_ns)
{
    c->has_op = true;
    c->op = op;
    c->step = 0;
    c->due_ns = due_ns;
    conn_begin_step(c);
}

/* The server closed or reset while a request was out. */
static void conn_lost(struct bench_conn *c)
{
    /* A kept-alive connection that the server closed just as we reused
     * it: not a byte of the answer came, so the request goes again on a
     * fresh connection, once. That is what HTTP clients do, and it is
     * counted apart (retries) rather than hidden. */
    if (c->reused && !c->retried && c->received == 0) {
        c->retried = true;
        c->worker->stats->retries++;
        conn_drop(c);
        if (conn_connect(c) < 0)
            conn_connect_failed(c, errno);
        return;
    }
    conn_fail(c, BENCH_ERR_RESET);
}

static void conn_write(struct bench_conn *c)
{
    const struct bench_request *req = &c->request;

    while (c->sent < req->total_len) {
        struct iovec iov[3];
        struct msghdr msg = { .msg_iov = iov };
        uint64_t skip = c->sent;
        ssize_t n;

        for (int i = 0; i < req->iov_count; i++) {
            if (skip >= req->iov[i].iov_len) {
                skip -= req->iov[i].iov_len;
                continue;
            }
            iov[msg.msg_iovlen].iov_base = (char *)req->iov[i].iov_base + skip;
            iov[msg.msg_iovlen].iov_len = req->iov[i].iov_len - skip;
            msg.msg_iovlen++;
            skip = 0;
        }

        n = sendmsg(c->io.fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                reactor_modify(conn_reactor(c), &c->io, EPOLLIN | EPOLLOUT);
                return;
            }
            conn_lost(c);
            return;
        }
        c->sent += (uint64_t)n;
        c->worker->stats->bytes_sent += (uint64_t)n;
    }
    reactor_modify(conn_reactor(c), &c->io, EPOLLIN);
}

static void conn_send(struct bench_conn *c)
{
    struct bench_stats *stats = c->worker->stats;
    int64_t now = clock_now_ns();

    if (c->start_ns == 0)
        c->start_ns = now;
    if (stats->first_send_ns == 0)
        stats->first_send_ns = now;

    c->serial++;
    c->sent = 0;
    c->received = 0;
    c->buffered = 0;
    bench_reply_start(&c->reply, &c->request.expect);
    c->state = BENCH_CONN_BUSY;
    reactor_timer_arm(conn_reactor(c), &c->timer,
                      now + conn_shared(c)->timeout_ns);
    conn_write(c);
}

static void conn_answered(struct bench_conn *c)
{
    struct bench_stats *stats = c->worker->stats;
    int64_t latency = reactor_now(conn_reactor(c)) - c->start_ns;

    stats->requests++;
    histogram_record(&stats->latency_us,
                     latency > 0 ? (uint64_t)latency / 1000 : 0);
    reactor_timer_disarm(conn_reactor(c), &c->timer);

    /* Closing is the server's right; it is no error once the answer was
     * whole and right. The next request opens a new connection. */
    if (bench_reply_keep_alive(&c->reply)) {
        c->state = BENCH_CONN_IDLE;
        c->reused = true;
        c->buffered = 0;
    } else {
        conn_drop(c);
    }

    if (++c->step < conn_shared(c)->plan->steps)
        conn_begin_step(c);
    else
        conn_op_over(c, true);
}

static void conn_read(struct bench_conn *c)
{
    size_t used;
    ssize_t n;

    n = read(c->io.fd, c->buf + c->buffered, sizeof(c->buf) - c->buffered);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        conn_lost(c);
        return;
    }
    c->buffered += (size_t)n;
    c->received += (uint64_t)n;
    c->worker->stats->bytes_received += (uint64_t)n;

    switch (bench_reply_feed(&c->reply, c->buf, c->buffered, &used)) {
    case BENCH_REPLY_MORE:
        /* Only an unfinished head is kept; the parser refuses one that
         * grows past HTTP_MAX_HEAD_BYTES, well inside the buffer. */
        memmove(c->buf, c->buf + used, c->buffered - used);
        c->buffered -= used;
        return;
    case BENCH_REPLY_FAILED:
        conn_fail(c, c->reply.error);
        return;
    case BENCH_REPLY_DONE:
        /* One request is out at a time, so any byte past its answer, or
         * an answer before the request was all sent, is the server's
         * framing gone wrong. */
        if (used != c->buffered || c->sent < c->request.total_len) {
            conn_fail(c, BENCH_ERR_FRAMING);
            return;
        }
        conn_answered(c);
        return;
    }
}

/* Input on a connection with nothing in flight: the server closing an
 * idle connection (fine), or bytes nobody asked for (not fine). */
static void conn_read_idle(struct bench_conn *c)
{
    ssize_t n = read(c->io.fd, c->buf, sizeof(c->buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0)
        c->worker->stats->errors[BENCH_ERR_FRAMING]++;
    conn_drop(c);
}

static void conn_on_event(struct reactor_io *io, uint32_t events)
{
    struct bench_conn *c = conn_of(io, io);
    unsigned serial = c->serial;

    switch (c->state) {
    case BENCH_CONN_CONNECTING:
        conn_connected(c);
        return;
    case BENCH_CONN_IDLE:
        conn_read_idle(c);
        return;
    case BENCH_CONN_BUSY:
        if ((events & EPOLLOUT) && c->sent < c->request.total_len) {
            conn_write(c);
            if (c->state != BENCH_CONN_BUSY || c->serial != serial)
                return;
        }
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            conn_read(c);
        return;
    default:
        return;
    }
}

static void conn_on_timer(struct reactor_timer *timer)
{
    struct bench_conn *c = conn_of(timer, timer);

    switch (c->state) {
    case BENCH_CONN_CONNECTING:
        conn_connect_failed(c, ETIMEDOUT);
        return;
    case BENCH_CONN_BUSY:
        conn_fail(c, BENCH_ERR_TIMEOUT);
        return;
    case BENCH_CONN_BACKOFF:
        c->state = BENCH_CONN_CLOSED;
        bench_worker_conn_free(c->worker, c);
        return;
    default:
        return;
    }
}

void bench_conn_abort(struct bench_conn *c)
{
    switch (c->state) {
    case BENCH_CONN_CONNECTING:
        if (c->opening)
            conn_connect_failed(c, ETIMEDOUT);
        else
            conn_fail(c, BENCH_ERR_TIMEOUT);
        return;
    case BENCH_CONN_BUSY:
        conn_fail(c, BENCH_ERR_TIMEOUT);
        return;
    case BENCH_CONN_BACKOFF:
        bench_conn_cancel_backoff(c);
        return;
    default:
        return;
    }
}

void bench_conn_cancel_backoff(struct bench_conn *c)
{
    if (c->state != BENCH_CONN_BACKOFF)
        return;
    reactor_timer_disarm(conn_reactor(c), &c->timer);
    c->state = BENCH_CONN_CLOSED;
}

void bench_conn_close(struct bench_conn *c)
{
    conn_drop(c);
}
