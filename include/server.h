/*
 * server.h: the blob server's connections and routes.
 *
 * conn.c owns sockets, buffers, deadlines and the order of responses; it
 * knows HTTP framing but no blobs. routes.c maps a parsed request to the
 * store and describes the answer through the conn_* calls below; it never
 * touches a socket.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "auth.h"
#include "http.h"
#include "reactor.h"
#include "store.h"

struct server_options {
    const char *root;
    const char *listen_address;
    uint16_t port;
    uint64_t quota;
    uint64_t max_body;
    bool fsync;
    bool reuseport;
    const char *access_log;          /* NULL, "-" for stderr, or a file */
    const char *tokens;              /* NULL: no authentication */
    int ready_fd;
    int64_t head_timeout_ns;         /* to read a request head */
    int64_t body_timeout_ns;         /* between two reads of a body */
    int64_t idle_timeout_ns;         /* between two requests */
    int64_t grace_ns;                /* to finish requests on SIGTERM */
    unsigned max_connections;
};

struct server {
    struct server_options options;
    struct reactor reactor;
    struct reactor_io listener;
    struct reactor_io signals;
    struct reactor_timer resume_accept;
    struct reactor_timer grace;
    struct reactor_timer close_idle;     /* SIGTERM: right after the batch */
    struct store store;
    struct conn *conns;              /* every open connection */
    struct auth_table auth;
    int access_log_fd;               /* -1 when off */
    int reserve_fd;                  /* given up to shed at EMFILE */
    unsigned connections;
    bool draining;                   /* SIGTERM: finish, then exit */
    char date[40];                   /* "Date: ...\r\n", once a second */
    int64_t date_second;
};

int server_run(const struct server_options *options);

/* For server.c: connections come and go. */
struct sockaddr_in;
void conn_accept(struct server *s, int fd, const struct sockaddr_in *peer);
void conn_close_idle(struct server *s);  /* those between requests */
void conn_close_all(struct server *s);

/* A request being answered, as routes see it. */
struct conn;

enum body_sink {
    BODY_UPLOAD,                     /* into conn's store upload */
    BODY_BUFFER,                     /* kept in memory (small, capped) */
};

/* Routes: decide on a request once its head is in. */
void routes_handle(struct conn *c, const struct http_request *req);
/* Routes: the body that routes_handle asked for has fully arrived. */
void routes_body_done(struct conn *c);

/* What routes may ask of a connection. */
struct store *conn_store(struct conn *c);
const struct server_options *conn_options(struct conn *c);
struct store_upload *conn_upload(struct conn *c);
/* The tokens, or NULL when authentication is off. */
const struct auth_table *conn_auth(struct conn *c);

/* Answer with a small body (copied), an optional extra header block
 * (full lines, each ending in CRLF), and a content type. */
void conn_respond(struct conn *c, int status, const char *content_type,
                  const char *body, size_t body_len, const char *extra);
/* Answer with a one-line text/plain error body. */
void conn_error(struct conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answer with bytes [offset, offset + len) of an open file; the
 * connection closes the fd when done. */
void conn_respond_file(struct conn *c, int status, int fd, uint64_t offset,
                       uint64_t len, const char *extra);
/* Read the body into a sink; routes_body_done() follows. For
 * BODY_BUFFER, at most max bytes (413 past it). */
void conn_read_body(struct conn *c, enum body_sink sink, size_t max);
/* The buffered body (BODY_BUFFER). */
const char *conn_body(struct conn *c, size_t *len);
/* A place routes can keep the names of the request across the body. */
struct route_state *conn_route_state(struct conn *c);

/* Names of the blob a request is about, kept while its body arrives. */
struct route_state {
    enum http_method method;
    char user[STORE_NAME_MAX + 1];
    char ns[STORE_NAME_MAX + 1];
    char id[STORE_NAME_MAX + 1];
};

#endif
