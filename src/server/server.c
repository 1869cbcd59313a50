/*
 * The server process: the listening socket, signals, and the loop.
 *
 * Signals arrive through a signalfd, so they are just another event in the
 * loop and no handler ever runs in the middle of a request. SIGTERM and
 * SIGINT stop accepting and let the requests in flight finish within a
 * grace period; SIGHUP reopens the access log and reloads the tokens.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

#define SERVER_BACKLOG 4096
#define SERVER_ACCEPT_BATCH 64
#define SERVER_ACCEPT_PAUSE_NS (100 * NS_PER_MS)

static const char overloaded[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Length: 20\r\nContent-Type: text/plain\r\n"
    "Connection: close\r\nRetry-After: 1\r\n\r\n"
    "Server overloaded.\r\n";

/* Turn a connection away with a canned 503; it never costs a struct. */
static void server_shed(int fd)
{
    (void)!send(fd, overloaded, sizeof(overloaded) - 1,
                MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
}

static void server_pause_accept(struct server *s)
{
    reactor_modify(&s->reactor, &s->listener, 0);
    reactor_timer_arm(&s->reactor, &s->resume_accept,
                      reactor_now(&s->reactor) + SERVER_ACCEPT_PAUSE_NS);
}

static void server_on_resume(struct reactor_timer *timer)
{
    struct server *s = (struct server *)((char *)timer -
                                         offsetof(struct server,
                                                  resume_accept));

    if (!s->draining)
        reactor_modify(&s->reactor, &s->listener, EPOLLIN);
}

/*
 * Out of file descriptors: the listening socket stays readable, and a
 * level-triggered loop would spin on it. Give up the reserve descriptor to
 * accept and turn away one waiting client, then pause accepting briefly so
 * that closing connections can free descriptors.
 */
static void server_out_of_fds(struct server *s)
{
    int fd;

    if (s->reserve_fd >= 0) {
        close(s->reserve_fd);
        s->reserve_fd = -1;
    }
    fd = accept4(s->listener.fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        server_shed(fd);
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    log_warn("out of file descriptors with %u connections: shedding",
             s->connections);
    server_pause_accept(s);
}

static void server_on_accept(struct reactor_io *io, uint32_t events)
{
    struct server *s = (struct server *)((char *)io -
                                         offsetof(struct server, listener));

    (void)events;
    for (int i = 0; i < SERVER_ACCEPT_BATCH; i++) {
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof(peer);
        int fd = accept4(io->fd, (struct sockaddr *)&peer, &peer_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                server_out_of_fds(s);
                return;
            }
            if (errno == ECONNABORTED || errno == EINTR)
                continue;
            if (errno != EAGAIN)
                log_warn("accept: %s", strerror(errno));
            return;
        }
        if (s->connections >= s->options.max_connections) {
            server_shed(fd);
            continue;
        }
        conn_accept(s, fd, &peer);
    }
}

static void server_reopen_access_log(struct server *s)
{
    const char *path = s->options.access_log;
    int fd;

    if (path == NULL || strcmp(path, "-") == 0)
        return;

    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_error("cannot reopen access log %s: %s", path, strerror(errno));
        return;
    }
    if (s->access_log_fd >= 0)
        close(s->access_log_fd);
    s->access_log_fd = fd;
}

/* SIGHUP: a tokens file that fails to load keeps the old tokens. */
static void server_reload_tokens(struct server *s)
{
    struct auth_table fresh;
    char err[256];

    if (s->options.tokens == NULL)
        return;
    if (auth_load(&fresh, s->options.tokens, err, sizeof(err)) < 0) {
        log_error("keeping the old tokens: %s", err);
        return;
    }
    auth_free(&s->auth);
    s->auth = fresh;
    log_info("reloaded %zu tokens", s->auth.count);
}

static void server_on_grace_over(struct reactor_timer *timer)
{
    struct server *s = (struct server *)((char *)timer -
                                         offsetof(struct server, grace));

    log_warn("grace period over: closing %u connections", s->connections);
    conn_close_all(s);
    reactor_stop(&s->reactor);
}

/* Runs as a timer, after the loop turn's events: closing connections
 * from the signal's event could free one whose own event is still
 * waiting in the same batch. */
static void server_close_idle(struct reactor_timer *timer)
{
    struct server *s = (struct server *)((char *)timer -
                                         offsetof(struct server,
                                                  close_idle));

    conn_close_idle(s);
    if (s->connections == 0) {
        reactor_stop(&s->reactor);
        return;
    }
    reactor_timer_arm(&s->reactor, &s->grace,
                      reactor_now(&s->reactor) + s->options.grace_ns);
}

static void server_drain(struct server *s)
{
    if (s->draining)
        return;

    s->draining = true;
    log_info("stopping: finishing %u connections", s->connections);

    reactor_timer_disarm(&s->reactor, &s->resume_accept);
    reactor_remove(&s->reactor, &s->listener);
    close(s->listener.fd);
    s->listener.fd = -1;

    reactor_timer_arm(&s->reactor, &s->close_idle, reactor_now(&s->reactor));
}

static void server_on_signal(struct reactor_io *io, uint32_t events)
{
    struct server *s = (struct server *)((char *)io -
                                         offsetof(struct server, signals));
    struct signalfd_siginfo info;

    (void)events;
    while (read(io->fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
        if (info.ssi_signo == SIGHUP) {
            server_reopen_access_log(s);
            server_reload_tokens(s);
        } else
            server_drain(s);
    }
}

static int server_open_signals(struct server *s)
{
    sigset_t mask;

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
        return -1;

    s->signals.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s->signals.fd < 0)
        return -1;
    s->signals.on_event = server_on_signal;
    return reactor_add(&s->reactor, &s->signals, EPOLLIN);
}

static int server_open_access_log(struct server *s)
{
    const char *path = s->options.access_log;

    s->access_log_fd = -1;
    if (path == NULL)
        return 0;
    if (strcmp(path, "-") == 0) {
        s->access_log_fd = STDERR_FILENO;
        return 0;
    }
    s->access_log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                            0644);
    if (s->access_log_fd < 0) {
        log_error("cannot open access log %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void server_tell_ready(struct server *s)
{
    char line[32];
    int len;

    if (s->options.ready_fd < 0)
        return;

    len = snprintf(line, sizeof(line), "READY %u\n", s->options.port);
    if (write(s->options.ready_fd, line, (size_t)len) != len)
        log_warn("cannot say READY on fd %d: %s", s->options.ready_fd,
                 strerror(errno));
    close(s->options.ready_fd);
}

int server_run(const struct server_options *options)
{
    struct server *s = calloc(1, sizeof(*s));
    int status = 1;
    int err;

    if (s == NULL)
        return 1;
    s->options = *options;
    s->reactor.epoll_fd = -1;
    s->listener.fd = -1;
    s->signals.fd = -1;
    s->reserve_fd = -1;
    s->access_log_fd = -1;
    s->date_second = -1;
    s->resume_accept.on_expire = server_on_resume;
    s->grace.on_expire = server_on_grace_over;
    s->close_idle.on_expire = server_close_idle;

    signal(SIGPIPE, SIG_IGN);

    if (options->tokens != NULL) {
        char reason[256];

        if (auth_load(&s->auth, options->tokens, reason,
                      sizeof(reason)) < 0) {
            log_error("%s", reason);
            free(s);
            return 2;
        }
    }

    err = store_open(&s->store, options->root, options->quota,
                     options->fsync);
    if (err < 0) {
        log_error("cannot open blob root %s: %s", options->root,
                  strerror(-err));
        auth_free(&s->auth);
        free(s);
        return 1;
    }

    if (reactor_init(&s->reactor) < 0 || server_open_signals(s) < 0 ||
        server_open_access_log(s) < 0) {
        log_error("cannot start: %s", strerror(errno));
        goto out;
    }

    s->listener.fd = net_listen(options->listen_address, options->port,
                                options->reuseport, SERVER_BACKLOG);
    if (s->listener.fd < 0) {
        log_error("cannot listen on %s:%u: %s", options->listen_address,
                  options->port, strerror(errno));
        status = 2;
        goto out;
    }
    s->listener.on_event = server_on_accept;
    if (reactor_add(&s->reactor, &s->listener, EPOLLIN) < 0)
        goto out;
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    log_info("serving %s on %s:%u (pid %d)", options->root,
             options->listen_address, options->port, (int)getpid());
    server_tell_ready(s);

    if (reactor_run(&s->reactor) < 0)
        log_error("event loop failed: %s", strerror(errno));
    else
        status = 0;
    conn_close_all(s);
    log_info("stopped");

out:
    if (s->listener.fd >= 0)
        close(s->listener.fd);
    if (s->signals.fd >= 0)
        close(s->signals.fd);
    if (s->reserve_fd >= 0)
        close(s->reserve_fd);
    if (s->access_log_fd > STDERR_FILENO)
        close(s->access_log_fd);
    reactor_free(&s->reactor);
    store_close(&s->store);
    auth_free(&s->auth);
    free(s);
    return status;
}
