/*
 * Connections: bytes in, requests out, responses back in order.
 *
 * A connection reads into one buffer, parses as many pipelined requests as
 * it holds, queues their responses in one output buffer and sends them
 * with one send() per wake-up. A download pauses the queue: its head goes
 * out with MSG_MORE and the file follows with sendfile(), resumed on
 * EPOLLOUT. A request body streams from the input buffer to its sink as it
 * arrives, so memory never grows with its size.
 *
 * Buffers are allocated when a request is in progress and freed when the
 * connection goes idle, so a thousand idle keep-alive connections cost
 * little more than their struct.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

#define CONN_IN_BYTES (64 * 1024)        /* a head, or a slice of body */
#define CONN_OUT_HIGH_WATER (256 * 1024) /* stop parsing past this unsent */
/* After a final response, drain what the peer still sends for up to 2 s,
 * so that it reads our answer rather than a reset. A client refused
 * half-way through a big upload keeps sending the rest: the byte cap is
 * generous, the time is what bounds the cost. */
#define CONN_LINGER_NS (2 * NS_PER_SEC)
#define CONN_LINGER_BYTES (64 * 1024 * 1024)
#define CONN_SENDFILE_SLICE (1024 * 1024)

enum conn_state {
    CONN_HEAD,                       /* waiting for a request head */
    CONN_BODY,                       /* reading a request body */
    CONN_FILE,                       /* sending a file; the queue waits */
    CONN_LINGER,                     /* write side shut, draining input */
};

struct conn {
    struct reactor_io io;
    struct reactor_timer timer;
    struct server *server;
    struct conn *prev, *next;
    enum conn_state state;

    /* The request being answered. */
    int minor_version;
    bool keep_alive;
    bool head_only;                  /* HEAD: headers, no body */
    bool request_has_body;
    bool body_consumed;
    bool expect_continue;
    bool close_after;                /* close once the output is sent */
    bool peer_closed;                /* read returned 0 */
    bool head_started;               /* bytes of a head have arrived */
    unsigned long requests;          /* heads parsed on this connection */
    int status;                      /* for the access log */

    char *in;
    size_t in_len;

    char *out;
    size_t out_len;
    size_t out_sent;
    size_t out_cap;

    int file_fd;
    off_t file_offset;
    uint64_t file_left;

    enum body_sink sink;
    bool body_chunked;
    uint64_t body_left;              /* Content-Length bodies */
    uint64_t body_total;
    size_t body_max;
    struct http_chunked chunked;
    char *body;                      /* BODY_BUFFER */
    size_t body_len;

    bool upload_active;
    struct store_upload upload;
    struct route_state route;

    size_t linger_bytes;
    int64_t started_ns;
    uint64_t sent_bytes;
    char peer[24];
    char log_request[160];
};

static bool conn_process(struct conn *c);
static void conn_flush(struct conn *c);
static void conn_update_interest(struct conn *c);

/* The routes' view. */

struct store *conn_store(struct conn *c)
{
    return &c->server->store;
}

const struct server_options *conn_options(struct conn *c)
{
    return &c->server->options;
}

struct store_upload *conn_upload(struct conn *c)
{
    return &c->upload;
}

const struct auth_table *conn_auth(struct conn *c)
{
    return c->server->options.tokens ? &c->server->auth : NULL;
}

struct route_state *conn_route_state(struct conn *c)
{
    return &c->route;
}

const char *conn_body(struct conn *c, size_t *len)
{
    *len = c->body_len;
    return c->body;
}

/* Life and death. */

static void conn_destroy(struct conn *c)
{
    struct server *s = c->server;

    if (c->upload_active)
        store_upload_abort(&c->upload);
    if (c->file_fd >= 0)
        close(c->file_fd);

    reactor_timer_disarm(&s->reactor, &c->timer);
    reactor_remove(&s->reactor, &c->io);
    close(c->io.fd);

    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;

    free(c->in);
    free(c->out);
    free(c->body);
    free(c);

    s->connections--;
    if (s->draining && s->connections == 0)
        reactor_stop(&s->reactor);
}

static void conn_start_linger(struct conn *c);

/*
 * A deadline passed. A peer that stopped reading its answer is dropped. A
 * peer that is slow to send a head or a body is told so (408) and the
 * connection closes politely. An idle keep-alive connection is closed
 * with a half-close and a drain, never a bare close(): a request that
 * crosses our close on the wire then meets a clean end of stream, which
 * clients know to retry, instead of a reset that looks like a failure.
 */
static void conn_on_timer(struct reactor_timer *timer)
{
    struct conn *c = (struct conn *)((char *)timer -
                                     offsetof(struct conn, timer));

    if (c->state == CONN_LINGER) {
        conn_destroy(c);
        return;
    }
    if (c->state == CONN_FILE || c->out_len > c->out_sent) {
        log_info("%s: peer stopped reading its answer, closing", c->peer);
        conn_destroy(c);
        return;
    }
    if (c->state == CONN_BODY || c->head_started) {
        log_info("%s: request %s not received in time (408)", c->peer,
                 c->state == CONN_BODY ? "body" : "head");
        if (c->state == CONN_HEAD) {
            c->minor_version = 1;
            c->head_only = false;
            c->request_has_body = false;
            snprintf(c->log_request, sizeof(c->log_request), "-");
        }
        c->keep_alive = false;
        conn_error(c, 408, "Request not received in time");
        conn_flush(c);
        return;
    }
    conn_start_linger(c);
}

static void conn_arm(struct conn *c, int64_t timeout_ns)
{
    struct reactor *r = &c->server->reactor;

    reactor_timer_arm(r, &c->timer, reactor_now(r) + timeout_ns);
}

static void conn_free_idle_buffers(struct conn *c)
{
    if (c->in_len == 0 && c->in != NULL) {
        free(c->in);
        c->in = NULL;
    }
    if (c->out_len == 0 && c->out != NULL) {
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
}

static void conn_on_event(struct reactor_io *io, uint32_t events);
static void conn_body_finished(struct conn *c);

void conn_accept(struct server *s, int fd, const struct sockaddr_in *peer)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        log_error("out of memory for a connection, closing it");
        close(fd);
        return;
    }

    c->io.fd = fd;
    c->io.on_event = conn_on_event;
    c->timer.on_expire = conn_on_timer;
    c->server = s;
    c->file_fd = -1;
    c->state = CONN_HEAD;
    inet_ntop(AF_INET, &peer->sin_addr, c->peer, sizeof(c->peer));
    snprintf(c->peer + strlen(c->peer), sizeof(c->peer) - strlen(c->peer),
             ":%u", ntohs(peer->sin_port));

    if (reactor_add(&s->reactor, &c->io, EPOLLIN) < 0) {
        log_error("cannot watch a connection: %s", strerror(errno));
        close(fd);
        free(c);
        return;
    }
    net_set_nodelay(fd);

    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->connections++;

    conn_arm(c, s->options.head_timeout_ns);
}

static bool conn_is_idle(const struct conn *c)
{
    return c->state == CONN_HEAD && !c->head_started &&
           c->out_len == c->out_sent;
}

void conn_close_idle(struct server *s)
{
    struct conn *c = s->conns;

    while (c) {
        struct conn *next = c->next;

        if (conn_is_idle(c))
            conn_destroy(c);
        c = next;
    }
}

void conn_close_all(struct server *s)
{
    while (s->conns)
        conn_destroy(s->conns);
}

/* The output queue. */

static bool out_reserve(struct conn *c, size_t more)
{
    size_t need = c->out_len + more;
    size_t cap;
    char *out;

    if (need <= c->out_cap)
        return true;

    cap = c->out_cap ? c->out_cap : 1024;
    while (cap < need)
        cap *= 2;
    out = realloc(c->out, cap);
    if (out == NULL)
        return false;
    c->out = out;
    c->out_cap = cap;
    return true;
}

static void out_append(struct conn *c, const char *text, size_t len)
{
    memcpy(c->out + c->out_len, text, len);
    c->out_len += len;
}

static void out_append_str(struct conn *c, const char *text)
{
    out_append(c, text, strlen(text));
}

static void out_append_u64(struct conn *c, uint64_t n)
{
    char digits[24];
    size_t i = sizeof(digits);

    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    out_append(c, digits + i, sizeof(digits) - i);
}

static const char *server_date(struct server *s)
{
    int64_t second = reactor_now(&s->reactor) / NS_PER_SEC;

    if (second != s->date_second) {
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(s->date, sizeof(s->date),
                 "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        s->date_second = second;
    }
    return s->date;
}

/* Room for a head: the status line, our fixed headers, and the extra
 * block that routes pass (Tag, Content-Range, Allow...). */
#define CONN_HEAD_BYTES 256

static bool conn_write_head(struct conn *c, int status,
                            const char *content_type, uint64_t length,
                            const char *extra)
{
    struct server *s = c->server;
    size_t extra_len = extra ? strlen(extra) : 0;

    /* Decide before the head is written, so the head says what we do: a
     * body we did not read stands between us and the next request. */
    if (s->draining || (c->request_has_body && !c->body_consumed))
        c->keep_alive = false;
    if (!out_reserve(c, CONN_HEAD_BYTES + extra_len))
        return false;

    out_append_str(c, "HTTP/1.1 ");
    out_append_u64(c, (uint64_t)status);
    out_append_str(c, " ");
    out_append_str(c, http_status_reason(status));
    out_append_str(c, "\r\n");
    out_append_str(c, server_date(s));
    out_append_str(c, "Content-Length: ");
    out_append_u64(c, length);
    out_append_str(c, "\r\n");
    if (content_type) {
        out_append_str(c, "Content-Type: ");
        out_append_str(c, content_type);
        out_append_str(c, "\r\n");
    }
    if (extra_len)
        out_append(c, extra, extra_len);

    if (!c->keep_alive) {
        out_append_str(c, "Connection: close\r\n");
    } else {
        if (c->minor_version == 0)
            out_append_str(c, "Connection: keep-alive\r\n");
        out_append_str(c, "Keep-Alive: timeout=");
        out_append_u64(c, (uint64_t)(s->options.idle_timeout_ns /
                                     NS_PER_SEC));
        out_append_str(c, "\r\n");
    }
    out_append_str(c, "\r\n");
    c->status = status;
    return true;
}

static void conn_log_access(struct conn *c)
{
    struct server *s = c->server;
    char line[320];
    int len;

    if (s->access_log_fd < 0)
        return;

    len = snprintf(line, sizeof(line), "access %s \"%s\" %d %llu %.6f\n",
                   c->peer, c->log_request, c->status,
                   (unsigned long long)c->sent_bytes,
                   (double)(reactor_now(&s->reactor) - c->started_ns) /
                       NS_PER_SEC);
    if (len > (int)sizeof(line) - 1)
        len = (int)sizeof(line) - 1;
    (void)!write(s->access_log_fd, line, (size_t)len);
}

/* A response is queued: the request is over as far as parsing goes. */
static void conn_request_done(struct conn *c)
{
    conn_log_access(c);

    if (c->upload_active) {
        store_upload_abort(&c->upload);
        c->upload_active = false;
    }
    free(c->body);
    c->body = NULL;
    c->body_len = 0;

    if (!c->keep_alive)
        c->close_after = true;

    c->state = CONN_HEAD;
    c->head_started = false;
}

void conn_respond(struct conn *c, int status, const char *content_type,
                  const char *body, size_t body_len, const char *extra)
{
    if (!conn_write_head(c, status, content_type, body_len, extra)) {
        log_error("%s: out of memory for a response, closing", c->peer);
        c->keep_alive = false;
        c->close_after = true;
        return;
    }
    c->sent_bytes = body_len;
    if (!c->head_only && body_len > 0) {
        if (!out_reserve(c, body_len)) {
            c->keep_alive = false;
            c->close_after = true;
            return;
        }
        out_append(c, body, body_len);
    }
    conn_request_done(c);
}

void conn_error(struct conn *c, int status, const char *fmt, ...)
{
    char body[512];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(body, sizeof(body) - 1, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof(body) - 2)
        len = (int)sizeof(body) - 2;
    body[len++] = '\n';

    /* Only our own failures are warnings: a client can cause every other
     * status at will, and must not be able to flood the log. */
    if (status == 500)
        log_warn("%s: %.*s (%d)", c->peer, len - 1, body, status);
    else
        log_debug("%s: %.*s (%d)", c->peer, len - 1, body, status);

    conn_respond(c, status, "text/plain", body, (size_t)len, NULL);
}

void conn_respond_file(struct conn *c, int status, int fd, uint64_t offset,
                       uint64_t len, const char *extra)
{
    if (!conn_write_head(c, status, "application/octet-stream", len,
                         extra)) {
        close(fd);
        c->keep_alive = false;
        c->close_after = true;
        return;
    }
    c->sent_bytes = len;
    if (c->head_only || len == 0) {
        close(fd);
        conn_request_done(c);
        return;
    }
    c->file_fd = fd;
    c->file_offset = (off_t)offset;
    c->file_left = len;
    c->state = CONN_FILE;
}

/* Bodies. */

void conn_read_body(struct conn *c, enum body_sink sink, size_t max)
{
    c->sink = sink;
    c->body_max = max;
    c->body_total = 0;
    c->body_consumed = false;
    c->state = CONN_BODY;

    if (sink == BODY_UPLOAD)
        c->upload_active = true;

    if (!c->request_has_body) {
        conn_body_finished(c);
        return;
    }
    if (c->expect_continue) {
        static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";

        if (out_reserve(c, sizeof(go_on) - 1))
            out_append(c, go_on, sizeof(go_on) - 1);
    }
    conn_arm(c, c->server->options.body_timeout_ns);
}

static void conn_body_finished(struct conn *c)
{
    c->body_consumed = true;
    c->state = CONN_HEAD;
    routes_body_done(c);

    /* routes_body_done committed the upload (or answered an error, which
     * aborted it): either way it is no longer ours to abort. */
    c->upload_active = false;
}

/* Hand body bytes to the sink. Return false when the request failed and
 * has been answered. */
static bool conn_sink(struct conn *c, const char *data, size_t len)
{
    int err;

    c->body_total += len;
    switch (c->sink) {
    case BODY_BUFFER:
        if (c->body_total > c->body_max) {
            conn_error(c, 413, "Request body too large");
            return false;
        }
        if (c->body == NULL) {
            c->body = malloc(c->body_max ? c->body_max : 1);
            if (c->body == NULL) {
                conn_error(c, 500, "Out of memory");
                return false;
            }
        }
        memcpy(c->body + c->body_len, data, len);
        c->body_len += len;
        return true;

    case BODY_UPLOAD:
        if (c->body_total > c->server->options.max_body) {
            conn_error(c, 413, "Blob larger than %llu bytes",
                       (unsigned long long)c->server->options.max_body);
            return false;
        }
        err = store_upload_write(&c->upload, data, len);
        if (err == -EDQUOT) {
            conn_error(c, 507, "Quota exceeded");
            return false;
        }
        if (err == -ENOSPC) {
            conn_error(c, 507, "No space left on device");
            return false;
        }
        if (err < 0) {
            conn_error(c, 500, "Cannot write blob: %s", strerror(-err));
            return false;
        }
        return true;
    }
    return true;
}

/* Feed input to the body; return the bytes consumed.
 *
 * The data of the chunks found in one read are gathered in place (each
 * moved down over the framing that preceded it) and handed to the sink
 * at once: a body sent as a million one-byte chunks then costs a write
 * per read, not a write per byte. One big chunk is not moved at all. */
static size_t conn_feed_body(struct conn *c, char *data, size_t len)
{
    char *gathered = NULL;
    size_t gathered_len = 0;
    size_t used = 0;

    conn_arm(c, c->server->options.body_timeout_ns);

    if (!c->body_chunked) {
        size_t take = len < c->body_left ? len : (size_t)c->body_left;

        c->body_left -= take;
        if (!conn_sink(c, data, take))
            return take;
        if (c->body_left == 0)
            conn_body_finished(c);
        return take;
    }

    while (used < len) {
        struct http_span span;
        ssize_t n = http_chunked_parse(&c->chunked, data + used, len - used,
                                       &span);

        if (n < 0) {
            conn_error(c, 400, "Malformed chunked body");
            return len;
        }
        used += (size_t)n;
        if (span.len > 0) {
            if (gathered == NULL)
                gathered = (char *)span.ptr;
            else
                memmove(gathered + gathered_len, span.ptr, span.len);
            gathered_len += span.len;
        }
        if (n == 0 || http_chunked_done(&c->chunked))
            break;
    }

    if (gathered_len > 0 && !conn_sink(c, gathered, gathered_len))
        return used;
    if (http_chunked_done(&c->chunked))
        conn_body_finished(c);
    return used;
}

/* Requests. */

/* The request as the access log shows it: method and path only (a query
 * could carry something private), with the quotes and backslashes that
 * would break the log's own quoting written as %22 and %5C. */
static void conn_note_request(struct conn *c, const struct http_request *req)
{
    char *out = c->log_request;
    char *end = c->log_request + sizeof(c->log_request) - 4;
    size_t method_len = req->method_name.len < 16 ? req->method_name.len
                                                  : 16;

    memcpy(out, req->method_name.ptr, method_len);
    out += method_len;
    *out++ = ' ';
    for (size_t i = 0; i < req->path.len && out < end; i++) {
        char ch = req->path.ptr[i];

        if (ch == '"' || ch == '\\') {
            memcpy(out, ch == '"' ? "%22" : "%5C", 3);
            out += 3;
        } else {
            *out++ = ch;
        }
    }
    *out = '\0';
}

static void conn_begin_request(struct conn *c, const struct http_request *req)
{
    struct server *s = c->server;

    c->minor_version = req->minor_version;
    c->keep_alive = req->keep_alive;
    c->head_only = req->method == HTTP_HEAD;
    c->expect_continue = req->expect_continue;
    c->request_has_body = req->chunked || req->content_length > 0;
    c->body_consumed = !c->request_has_body;
    c->body_chunked = req->chunked;
    c->body_left = req->content_length > 0 ? (uint64_t)req->content_length
                                           : 0;
    if (req->chunked)
        http_chunked_init(&c->chunked);
    c->sent_bytes = 0;
    c->started_ns = reactor_now(&s->reactor);
    c->requests++;

    if (s->access_log_fd >= 0)
        conn_note_request(c, req);

    routes_handle(c, req);
}

static void conn_refuse_head(struct conn *c, const struct http_request *req)
{
    c->minor_version = 1;
    c->keep_alive = false;
    c->head_only = false;
    c->request_has_body = false;
    c->started_ns = reactor_now(&c->server->reactor);
    snprintf(c->log_request, sizeof(c->log_request), "-");
    conn_error(c, req->error_status, "%s", req->error_reason);
}

/*
 * The first bytes of a head arrived: from now on the head deadline runs.
 * On a new connection it has run since the accept, and is not restarted:
 * a client that waits, then trickles, gets no more time than one that
 * trickles at once.
 */
static void conn_head_begins(struct conn *c)
{
    if (c->head_started)
        return;
    c->head_started = true;
    if (c->requests > 0)
        conn_arm(c, c->server->options.head_timeout_ns);
}

/* Parse and answer what the input holds; return whether it used any. */
static bool conn_process(struct conn *c)
{
    size_t pos = 0;

    while (!c->close_after) {
        if (c->state == CONN_HEAD) {
            struct http_request req;
            int n;

            if (pos == c->in_len ||
                c->out_len - c->out_sent > CONN_OUT_HIGH_WATER)
                break;

            n = http_parse_request(c->in + pos, c->in_len - pos, &req);
            if (n == -2) {
                conn_head_begins(c);
                break;
            }
            if (n < 0) {
                conn_refuse_head(c, &req);
                break;
            }
            pos += (size_t)n;
            c->head_started = true;
            conn_begin_request(c, &req);
        } else if (c->state == CONN_BODY) {
            if (pos == c->in_len)
                break;
            pos += conn_feed_body(c, c->in + pos, c->in_len - pos);
        } else {
            break;
        }
    }

    if (pos > 0) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
    if (c->in_len > 0 && c->state == CONN_HEAD && !c->close_after)
        conn_head_begins(c);
    return pos > 0;
}

/* Sending. */

static void conn_start_linger(struct conn *c)
{
    /* Half-close and read what the peer still sends for a moment, so it
     * reads our last response instead of a reset. */
    if (c->peer_closed) {
        conn_destroy(c);
        return;
    }
    shutdown(c->io.fd, SHUT_WR);
    c->state = CONN_LINGER;
    c->linger_bytes = 0;
    conn_arm(c, CONN_LINGER_NS);
}

/* Send what is queued, then the file. Return false if c is gone. */
static bool conn_send(struct conn *c)
{
    while (c->out_sent < c->out_len) {
        int flags = MSG_NOSIGNAL | (c->state == CONN_FILE ? MSG_MORE : 0);
        ssize_t n = send(c->io.fd, c->out + c->out_sent,
                         c->out_len - c->out_sent, flags);

        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return true;
            conn_destroy(c);
            return false;
        }
        c->out_sent += (size_t)n;
    }
    c->out_len = c->out_sent = 0;

    while (c->state == CONN_FILE) {
        size_t slice = c->file_left < CONN_SENDFILE_SLICE
                           ? (size_t)c->file_left : CONN_SENDFILE_SLICE;
        ssize_t n = sendfile(c->io.fd, c->file_fd, &c->file_offset, slice);

        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return true;
            conn_destroy(c);
            return false;
        }
        if (n == 0) {
            /* The file shrank under us: the length we promised is a lie
             * now, so the connection cannot go on. */
            log_warn("%s: blob truncated while being sent", c->peer);
            conn_destroy(c);
            return false;
        }
        c->file_left -= (uint64_t)n;
        if (c->file_left == 0) {
            close(c->file_fd);
            c->file_fd = -1;
            conn_request_done(c);
        }
    }
    return true;
}

static void conn_flush(struct conn *c)
{
    /* Sending can unblock requests waiting in the input: those behind a
     * finished download, or held back while the output was full. */
    for (;;) {
        if (!conn_send(c))
            return;
        if (c->state != CONN_HEAD || c->in_len == 0 || c->close_after ||
            !conn_process(c))
            break;
    }

    if (c->out_len == 0 && c->state != CONN_FILE) {
        if (c->close_after) {
            conn_start_linger(c);
            return;
        }
        if (c->state == CONN_HEAD && c->in_len == 0) {
            if (c->peer_closed) {
                conn_destroy(c);
                return;
            }
            if (c->server->draining) {
                conn_destroy(c);
                return;
            }
            c->head_started = false;
            conn_free_idle_buffers(c);
            conn_arm(c, c->server->options.idle_timeout_ns);
        }
    } else {
        conn_arm(c, c->server->options.body_timeout_ns);
    }
    conn_update_interest(c);
}

static void conn_update_interest(struct conn *c)
{
    uint32_t events = 0;
    bool sending = c->out_len > c->out_sent || c->state == CONN_FILE;

    if (c->state != CONN_FILE && !c->peer_closed && !c->close_after &&
        c->out_len - c->out_sent <= CONN_OUT_HIGH_WATER &&
        c->in_len < CONN_IN_BYTES)
        events |= EPOLLIN;
    if (c->state == CONN_LINGER)
        events = EPOLLIN;
    if (sending)
        events |= EPOLLOUT;
    reactor_modify(&c->server->reactor, &c->io, events);
}

/* Receiving. */

static void conn_linger_read(struct conn *c)
{
    char sink[4096];
    ssize_t n = read(c->io.fd, sink, sizeof(sink));

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        conn_destroy(c);
        return;
    }
    c->linger_bytes += (size_t)n;
    if (c->linger_bytes > CONN_LINGER_BYTES)
        conn_destroy(c);
}

static void conn_on_readable(struct conn *c)
{
    ssize_t n;

    if (c->in_len == CONN_IN_BYTES) {
        conn_flush(c);
        return;
    }
    if (c->in == NULL) {
        c->in = malloc(CONN_IN_BYTES);
        if (c->in == NULL) {
            log_error("%s: out of memory for input, closing", c->peer);
            conn_destroy(c);
            return;
        }
    }

    n = read(c->io.fd, c->in + c->in_len, CONN_IN_BYTES - c->in_len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        conn_destroy(c);
        return;
    }
    if (n == 0) {
        /* The peer is done sending. Whatever it asked for completely is
         * still answered; a request cut short is dropped. */
        c->peer_closed = true;
        if (c->state == CONN_BODY) {
            log_info("%s: client went away mid-body", c->peer);
            conn_destroy(c);
            return;
        }
    }
    c->in_len += (size_t)n;

    conn_process(c);

    if (c->peer_closed && c->state == CONN_HEAD && c->in_len > 0 &&
        !c->close_after) {
        /* A partial head that will never be finished. */
        c->in_len = 0;
    }
    conn_flush(c);
}

static void conn_on_event(struct reactor_io *io, uint32_t events)
{
    struct conn *c = (struct conn *)io;

    if (c->state == CONN_LINGER) {
        conn_linger_read(c);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        bool readable = c->io.events & EPOLLIN;

        if (!readable && (events & (EPOLLHUP | EPOLLERR))) {
            conn_destroy(c);
            return;
        }
        if (readable) {
            conn_on_readable(c);
            return;
        }
    }
    if (events & EPOLLOUT)
        conn_flush(c);
}
