/*
 * The supervisor's loop: children, signals and deadlines on one reactor.
 *
 * A child goes DOWN -> STARTING -> UP -> STOPPING -> DOWN, one timer
 * serving whichever deadline its state has (the next start, the start
 * timeout, the kill after the grace period). SIGCHLD, SIGTERM, SIGINT and
 * SIGHUP arrive on a signalfd, so that a signal is one more event of the
 * loop and no state changes inside a signal handler.
 */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "reactor.h"
#include "supervisor_child.h"
#include "supervisor_haproxy.h"

#define BACKOFF_FIRST_NS (100 * NS_PER_MS)
#define BACKOFF_MAX_NS (5 * NS_PER_SEC)

/* A child that stayed up this long starts its back-off afresh. */
#define STABLE_NS (10 * NS_PER_SEC)

#define HAPROXY_PROBE_NS (20 * NS_PER_MS)

/* SIGHUP waits this long after a restarted server listens before it
 * stops the next one. haproxy checks a server that changes state every
 * 250 ms and takes it back after one good check (tools/gen-haproxy), so
 * by then it sends requests to the new process again, and it never sees
 * every server down at once. */
#define ROLL_SETTLE_NS (1 * NS_PER_SEC)

/* blobs-server's status when it cannot listen (or was given a bad
 * option): starting it again would fail the same way. */
#define SERVER_EXIT_CANNOT_START 2

#define OUTPUT_CHUNK 65536
/* Reads per event, so that one chatty child cannot hold up the loop; the
 * reactor is level-triggered and comes back for the rest. */
#define OUTPUT_ROUNDS 4

/* What is read from a dead child's output pipe at most (x OUTPUT_ROUNDS
 * x OUTPUT_CHUNK: 4 MiB). */
#define DRAIN_ROUNDS 16

#define SERVER_ARGS_MAX (SUPERVISOR_MAX_SERVER_ARGS + 10)

#define container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

enum child_kind { CHILD_SERVER, CHILD_HAPROXY };
enum child_state { CHILD_DOWN, CHILD_STARTING, CHILD_UP, CHILD_STOPPING };

struct supervisor;

struct child {
    struct supervisor *supervisor;
    enum child_kind kind;
    enum child_state state;
    char name[24];                  /* its output's prefix: "8001" */
    char label[40];                 /* in our own lines: "server 8001" */
    uint16_t port;
    pid_t pid;                      /* 0 while down */
    struct reactor_io output;
    struct reactor_io ready;
    struct reactor_timer timer;
    struct supervisor_lines lines;
    char ready_buf[32];
    size_t ready_len;
    int64_t start_deadline_ns;
    int64_t up_ns;
    unsigned start_failures;        /* exits before listening, in a row */
    unsigned deaths;                /* exits, in a row, for the back-off */
    bool restart_now;               /* stopped by SIGHUP: start at once */
    bool timed_out;                 /* killed for not listening in time */
    char last_line[160];            /* quoted when we give up on it */
};

enum phase { PHASE_STARTING, PHASE_RUNNING, PHASE_STOPPING };

/* SIGHUP's restart, one server at a time. */
enum roll {
    ROLL_IDLE,
    ROLL_RESTARTING,                /* the server at roll_index */
    ROLL_SETTLING,                  /* it listens; roll_timer runs */
    ROLL_WAITING,                   /* for every child to be up again */
};

struct supervisor {
    const struct supervisor_options *options;
    struct reactor reactor;
    struct reactor_io signals;
    struct child servers[SUPERVISOR_MAX_PROCS];
    struct child haproxy;
    bool has_haproxy;
    bool haproxy_started;
    int haproxy_config_fd;
    char haproxy_config_path[32];
    char server_path[PATH_MAX];
    enum phase phase;
    int exit_status;
    pid_t written_pids[SUPERVISOR_MAX_PROCS + 1];
    bool ready_file_written;
    enum roll roll;
    unsigned roll_index;
    struct reactor_timer roll_timer;
};

static void child_start(struct child *c);
static void supervisor_progress(struct supervisor *s);
static void supervisor_stop(struct supervisor *s);
static void give_up(struct supervisor *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int64_t supervisor_backoff_ns(unsigned deaths)
{
    int64_t delay = BACKOFF_FIRST_NS;

    for (unsigned i = 1; i < deaths && delay < BACKOFF_MAX_NS; i++)
        delay *= 2;
    return delay < BACKOFF_MAX_NS ? delay : BACKOFF_MAX_NS;
}

static double seconds(int64_t ns)
{
    return (double)ns / NS_PER_SEC;
}

static size_t child_count(const struct supervisor *s)
{
    return s->options->procs + (s->has_haproxy ? 1 : 0);
}

static struct child *child_at(struct supervisor *s, size_t i)
{
    return i < s->options->procs ? &s->servers[i] : &s->haproxy;
}

static bool all_up(struct supervisor *s)
{
    for (size_t i = 0; i < child_count(s); i++)
        if (child_at(s, i)->state != CHILD_UP)
            return false;
    return true;
}

static bool any_running(struct supervisor *s)
{
    for (size_t i = 0; i < child_count(s); i++)
        if (child_at(s, i)->pid > 0)
            return true;
    return false;
}

static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* A child's structure lives as long as the loop and only its fds come
 * and go: an event still queued in the same epoll batch for a pipe closed
 * here finds fd -1 and is dropped (or, if the number was reused at once,
 * a non-blocking read that finds nothing). */
static void close_io(struct supervisor *s, struct reactor_io *io)
{
    if (io->fd < 0)
        return;

    reactor_remove(&s->reactor, io);
    close(io->fd);
    io->fd = -1;
}

/* ---- The ready line and the ready file ---------------------------- */

static void collect_pids(struct supervisor *s, pid_t *servers,
                         pid_t *haproxy)
{
    for (unsigned i = 0; i < s->options->procs; i++)
        servers[i] = s->servers[i].pid;
    *haproxy = s->has_haproxy ? s->haproxy.pid : 0;
}

/* Written whole under a temporary name, then renamed: a script that
 * reads the file never sees half of it. */
static void write_ready_file(struct supervisor *s)
{
    const char *path = s->options->ready_file;
    char text[SUPERVISOR_MAX_PROCS * 32 + 1024];
    char temporary[PATH_MAX];
    pid_t pids[SUPERVISOR_MAX_PROCS];
    pid_t haproxy;
    int len, fd;

    if (path == NULL)
        return;

    collect_pids(s, pids, &haproxy);
    len = supervisor_ready_text(text, sizeof(text), s->options, pids,
                                haproxy);
    if (len < 0 ||
        snprintf(temporary, sizeof(temporary), "%s.tmp", path) >=
            (int)sizeof(temporary))
        return;

    fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_warn("cannot write %s: %s", temporary, strerror(errno));
        return;
    }
    write_all(fd, text, (size_t)len);
    close(fd);

    if (rename(temporary, path) < 0) {
        log_warn("cannot rename %s to %s: %s", temporary, path,
                 strerror(errno));
        unlink(temporary);
        return;
    }

    memcpy(s->written_pids, pids, sizeof(pid_t) * s->options->procs);
    s->written_pids[s->options->procs] = haproxy;
    s->ready_file_written = true;
}

static void announce(struct supervisor *s)
{
    char line[SUPERVISOR_MAX_PROCS * 12 + 256];
    pid_t pids[SUPERVISOR_MAX_PROCS];
    pid_t haproxy;

    collect_pids(s, pids, &haproxy);
    if (supervisor_ready_line(line, sizeof(line), s->options, pids,
                              haproxy) < 0)
        snprintf(line, sizeof(line), "ready: %u servers",
                 s->options->procs);

    printf("%s\n", line);
    fflush(stdout);
    write_ready_file(s);
}

/* After a restart the PIDs have changed: keep the file true. */
static void refresh_ready_file(struct supervisor *s)
{
    pid_t pids[SUPERVISOR_MAX_PROCS];
    pid_t haproxy;

    collect_pids(s, pids, &haproxy);
    if (memcmp(pids, s->written_pids, sizeof(pid_t) * s->options->procs) ||
        haproxy != s->written_pids[s->options->procs])
        write_ready_file(s);
}

/* ---- Children's output --------------------------------------------- */

static void child_emit(void *context, const char *line, size_t len)
{
    struct child *c = context;
    char out[sizeof(c->name) + 2 + SUPERVISOR_LINE_MAX + 1];
    size_t name_len = strlen(c->name);
    size_t n = 0;

    memcpy(out, c->name, name_len);
    n += name_len;
    out[n++] = ':';
    out[n++] = ' ';
    memcpy(out + n, line, len);
    n += len;
    out[n++] = '\n';
    write_all(STDERR_FILENO, out, n);

    if (len >= sizeof(c->last_line))
        len = sizeof(c->last_line) - 1;
    memcpy(c->last_line, line, len);
    c->last_line[len] = '\0';
}

enum output { OUTPUT_MORE, OUTPUT_EMPTY, OUTPUT_END };

/* Pass on what the pipe holds, in OUTPUT_ROUNDS reads at most. At its
 * end (the child and everything it started have closed it), pass on a
 * last line without a newline too. */
static enum output child_read_output(struct child *c)
{
    char buf[OUTPUT_CHUNK];

    for (int i = 0; i < OUTPUT_ROUNDS; i++) {
        ssize_t n = read(c->output.fd, buf, sizeof(buf));

        if (n > 0) {
            supervisor_lines_feed(&c->lines, buf, (size_t)n, child_emit, c);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return OUTPUT_EMPTY;

        supervisor_lines_flush(&c->lines, child_emit, c);
        return OUTPUT_END;
    }
    return OUTPUT_MORE;
}

static void on_output(struct reactor_io *io, uint32_t events)
{
    struct child *c = container_of(io, struct child, output);

    (void)events;
    if (io->fd < 0)
        return;

    if (child_read_output(c) == OUTPUT_END)
        close_io(c->supervisor, io);
}

/* ---- Readiness ----------------------------------------------------- */

static void child_up(struct child *c)
{
    if (c->state != CHILD_STARTING)
        return;

    c->state = CHILD_UP;
    c->up_ns = clock_now_ns();
    c->start_failures = 0;
    reactor_timer_disarm(&c->supervisor->reactor, &c->timer);
    log_info("%s is listening (pid %ld)", c->label, (long)c->pid);

    supervisor_progress(c->supervisor);
}

/* Read the readiness pipe: 1 once "READY <port>" is in, 0 while it may
 * still come, -1 at its end without it, -2 for something else. */
static int child_read_ready(struct child *c)
{
    size_t room = sizeof(c->ready_buf) - c->ready_len;
    unsigned port = 0;
    ssize_t n;
    int parsed;

    n = read(c->ready.fd, c->ready_buf + c->ready_len, room);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;

    if (n <= 0) {
        close_io(c->supervisor, &c->ready);
        return -1;
    }

    c->ready_len += (size_t)n;
    parsed = supervisor_ready_parse(c->ready_buf, c->ready_len, &port);
    if (parsed == 0)
        return 0;

    close_io(c->supervisor, &c->ready);
    if (parsed < 0) {
        log_warn("%s wrote something other than \"READY %u\" on its "
                 "readiness pipe", c->label, c->port);
        return -2;
    }

    if (port != c->port)
        log_warn("%s says it listens on port %u", c->label, port);
    return 1;
}

static void on_ready(struct reactor_io *io, uint32_t events)
{
    struct child *c = container_of(io, struct child, ready);
    int ready;

    (void)events;
    if (io->fd < 0)
        return;

    ready = child_read_ready(c);
    if (ready > 0)
        child_up(c);
    else if (ready == -1 && c->state == CHILD_STARTING)
        log_debug("%s (pid %ld) closed its readiness pipe without "
                 "\"READY %u\"", c->label, (long)c->pid, c->port);
}

/* ---- Starting and stopping ----------------------------------------- */

struct server_command {
    char *argv[SERVER_ARGS_MAX];
    char ready_fd[8];
    char port[8];
};

static void build_server_command(struct child *c, struct server_command *cmd)
{
    struct supervisor *s = c->supervisor;
    const struct supervisor_options *o = s->options;
    int i = 0;

    snprintf(cmd->ready_fd, sizeof(cmd->ready_fd), "%d",
             SUPERVISOR_READY_FD);
    snprintf(cmd->port, sizeof(cmd->port), "%u", c->port);

    cmd->argv[i++] = s->server_path;
    cmd->argv[i++] = "--listen";
    cmd->argv[i++] = (char *)o->listen_address;
    if (o->front == SUPERVISOR_FRONT_REUSEPORT)
        cmd->argv[i++] = "--reuseport";
    cmd->argv[i++] = "--ready-fd";
    cmd->argv[i++] = cmd->ready_fd;
    for (size_t k = 0; k < o->server_arg_count; k++)
        cmd->argv[i++] = (char *)o->server_args[k];
    cmd->argv[i++] = (char *)o->dir;
    cmd->argv[i++] = cmd->port;
    cmd->argv[i] = NULL;
}

/* Schedule the next start after the back-off of this death. */
static void child_schedule_start(struct child *c, const char *what)
{
    struct supervisor *s = c->supervisor;
    int64_t delay;

    c->deaths++;
    delay = supervisor_backoff_ns(c->deaths);
    log_warn("%s; starting it again in %.1f s", what, seconds(delay));
    reactor_timer_arm(&s->reactor, &c->timer, clock_now_ns() + delay);
}

static void give_up(struct supervisor *s, const char *fmt, ...)
{
    char reason[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    s->exit_status = SUPERVISOR_EXIT_FAILURE;
    if (s->phase == PHASE_STOPPING) {
        log_error("%s", reason);
        return;
    }
    log_error("%s; giving up: stopping every child", reason);
    supervisor_stop(s);
}

static void child_start(struct child *c)
{
    struct supervisor *s = c->supervisor;
    struct supervisor_spawn spawn = { .keep_fd = -1 };
    struct server_command cmd;
    char what[128];
    int64_t now;

    if (c->kind == CHILD_SERVER) {
        build_server_command(c, &cmd);
        spawn.want_ready = true;
    } else {
        supervisor_haproxy_argv(s->options->haproxy, s->haproxy_config_fd,
                                s->haproxy_config_path,
                                sizeof(s->haproxy_config_path), cmd.argv);
        spawn.keep_fd = s->haproxy_config_fd;
    }
    spawn.argv = cmd.argv;

    c->last_line[0] = '\0';
    if (supervisor_spawn(&spawn) < 0) {
        c->start_failures++;
        snprintf(what, sizeof(what), "cannot start %s: %s", c->label,
                 strerror(errno));
        if (c->start_failures >= s->options->start_attempts)
            give_up(s, "%s", what);
        else
            child_schedule_start(c, what);
        return;
    }

    now = clock_now_ns();
    c->pid = spawn.pid;
    c->state = CHILD_STARTING;
    c->ready_len = 0;
    c->timed_out = false;
    c->restart_now = false;
    c->start_deadline_ns = now + s->options->start_timeout_ns;

    c->output.fd = spawn.output_fd;
    if (reactor_add(&s->reactor, &c->output, EPOLLIN) < 0)
        log_warn("cannot watch %s's output: %s", c->label, strerror(errno));
    c->ready.fd = spawn.ready_fd;
    if (c->ready.fd >= 0 && reactor_add(&s->reactor, &c->ready, EPOLLIN) < 0)
        log_warn("cannot watch %s's readiness: %s", c->label,
                 strerror(errno));

    reactor_timer_arm(&s->reactor, &c->timer,
                      c->kind == CHILD_HAPROXY ? now + HAPROXY_PROBE_NS
                                               : c->start_deadline_ns);
    log_debug("started %s (pid %ld)", c->label, (long)c->pid);
}

static void child_stop(struct child *c, bool restart)
{
    struct supervisor *s = c->supervisor;

    /* haproxy's soft stop (SIGUSR1) lets the requests it carries finish,
     * as SIGTERM does for blobs-server. */
    kill(c->pid, c->kind == CHILD_HAPROXY ? SIGUSR1 : SIGTERM);
    c->state = CHILD_STOPPING;
    c->restart_now = restart;
    reactor_timer_arm(&s->reactor, &c->timer,
                      clock_now_ns() + s->options->grace_ns);
}

static void supervisor_stop(struct supervisor *s)
{
    if (s->phase == PHASE_STOPPING) {
        log_warn("asked again: killing every child now");
        for (size_t i = 0; i < child_count(s); i++)
            if (child_at(s, i)->pid > 0)
                kill(child_at(s, i)->pid, SIGKILL);
        return;
    }

    s->phase = PHASE_STOPPING;
    s->roll = ROLL_IDLE;
    reactor_timer_disarm(&s->reactor, &s->roll_timer);

    for (size_t i = 0; i < child_count(s); i++) {
        struct child *c = child_at(s, i);

        if (c->pid > 0)
            child_stop(c, false);
        else
            reactor_timer_disarm(&s->reactor, &c->timer);
    }

    if (!any_running(s))
        reactor_stop(&s->reactor);
}

static void on_child_timer(struct reactor_timer *timer)
{
    struct child *c = container_of(timer, struct child, timer);
    struct supervisor *s = c->supervisor;
    int64_t now = clock_now_ns();

    switch (c->state) {
    case CHILD_DOWN:
        child_start(c);
        break;

    case CHILD_STARTING:
        if (c->kind == CHILD_HAPROXY &&
            supervisor_haproxy_listening(s->options->listen_address,
                                         c->port)) {
            child_up(c);
        } else if (now < c->start_deadline_ns) {
            reactor_timer_arm(&s->reactor, &c->timer,
                              c->kind == CHILD_HAPROXY
                                  ? now + HAPROXY_PROBE_NS
                                  : c->start_deadline_ns);
        } else {
            log_warn("%s (pid %ld) is not listening after %.1f s; "
                     "killing it", c->label, (long)c->pid,
                     seconds(s->options->start_timeout_ns));
            c->timed_out = true;
            kill(c->pid, SIGKILL);
        }
        break;

    case CHILD_STOPPING:
        log_warn("%s (pid %ld) still runs %.1f s after it was asked to "
                 "stop; killing it", c->label, (long)c->pid,
                 seconds(s->options->grace_ns));
        kill(c->pid, SIGKILL);
        break;

    case CHILD_UP:
        break;
    }
}

/* ---- A child has exited -------------------------------------------- */

static void describe_status(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "ended with wait status %d", status);
}

/* Take in what the dead child left in its pipes: a READY it wrote just
 * before dying still counts, and its last lines are still passed on. */
static bool child_drain(struct child *c)
{
    bool was_ready = false;

    if (c->ready.fd >= 0 && child_read_ready(c) > 0)
        was_ready = true;
    close_io(c->supervisor, &c->ready);

    /* A grandchild may still hold the output pipe and write on: take
     * what is there now, a bounded amount, and close our end. */
    if (c->output.fd >= 0) {
        for (int i = 0; i < DRAIN_ROUNDS; i++)
            if (child_read_output(c) != OUTPUT_MORE)
                break;
        supervisor_lines_flush(&c->lines, child_emit, c);
        close_io(c->supervisor, &c->output);
    }
    return was_ready;
}

static void child_exited(struct child *c, int status)
{
    struct supervisor *s = c->supervisor;
    enum child_state was = c->state;
    pid_t pid = c->pid;
    char how[96];
    char what[256];

    if (child_drain(c) && was == CHILD_STARTING)
        was = CHILD_UP;

    if (c->timed_out)
        snprintf(how, sizeof(how), "did not listen within %.1f s",
                 seconds(s->options->start_timeout_ns));
    else
        describe_status(status, how, sizeof(how));

    c->pid = 0;
    c->state = CHILD_DOWN;
    reactor_timer_disarm(&s->reactor, &c->timer);

    if (s->phase == PHASE_STOPPING) {
        log_info("%s (pid %ld) %s", c->label, (long)pid, how);
        if (!any_running(s))
            reactor_stop(&s->reactor);
        return;
    }

    if (c->restart_now) {
        log_info("%s (pid %ld) %s; starting it again", c->label, (long)pid,
                 how);
        child_start(c);
        return;
    }

    if (was == CHILD_UP || was == CHILD_STOPPING) {
        if (clock_now_ns() - c->up_ns >= STABLE_NS)
            c->deaths = 0;
        snprintf(what, sizeof(what), "%s (pid %ld) %s", c->label,
                 (long)pid, how);
        child_schedule_start(c, what);
        return;
    }

    c->start_failures++;
    if (c->kind == CHILD_SERVER && WIFEXITED(status) &&
        WEXITSTATUS(status) == SERVER_EXIT_CANNOT_START) {
        give_up(s, "%s cannot start: it %s before listening (%s)", c->label,
                how, c->last_line[0] ? c->last_line : "it said nothing");
        return;
    }
    if (c->start_failures >= s->options->start_attempts) {
        give_up(s, "%s failed to start %u times in a row; the last time "
                "it %s before listening (%s)", c->label, c->start_failures,
                how, c->last_line[0] ? c->last_line : "it said nothing");
        return;
    }

    snprintf(what, sizeof(what), "%s (pid %ld) %s before listening",
             c->label, (long)pid, how);
    child_schedule_start(c, what);
}

static void reap(struct supervisor *s)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < child_count(s); i++) {
            struct child *c = child_at(s, i);

            if (c->pid == pid) {
                child_exited(c, status);
                break;
            }
        }
    }
}

/* ---- SIGHUP: the servers one at a time ------------------------------ */

/* Called only while every child is up, so no server is stopped while
 * another one is down. */
static void roll_next(struct supervisor *s)
{
    struct child *c;

    if (s->roll_index == s->options->procs) {
        s->roll = ROLL_IDLE;
        log_info("SIGHUP: all %u servers restarted", s->options->procs);
        return;
    }

    c = &s->servers[s->roll_index];
    s->roll = ROLL_RESTARTING;
    log_info("SIGHUP: restarting %s (pid %ld)", c->label, (long)c->pid);
    child_stop(c, true);
}

static void roll_begin(struct supervisor *s)
{
    if (s->phase != PHASE_RUNNING || s->roll != ROLL_IDLE) {
        log_warn("SIGHUP ignored: %s", s->phase != PHASE_RUNNING
                 ? "not every child is up yet"
                 : "a restart is still going on");
        return;
    }

    s->roll_index = 0;
    if (all_up(s))
        roll_next(s);
    else
        s->roll = ROLL_WAITING;
}

static void on_roll_timer(struct reactor_timer *timer)
{
    struct supervisor *s = container_of(timer, struct supervisor,
                                        roll_timer);

    s->roll_index++;
    if (all_up(s))
        roll_next(s);
    else
        s->roll = ROLL_WAITING;
}

/* ---- Moving on ------------------------------------------------------ */

/* Something came up: start haproxy once the servers listen, announce
 * once everything does, and let SIGHUP's restart take its next step. */
static void supervisor_progress(struct supervisor *s)
{
    bool servers_up = true;

    if (s->phase == PHASE_STOPPING)
        return;

    for (unsigned i = 0; i < s->options->procs; i++)
        if (s->servers[i].state != CHILD_UP)
            servers_up = false;

    if (s->has_haproxy && !s->haproxy_started && servers_up) {
        s->haproxy_started = true;
        child_start(&s->haproxy);
        return;
    }

    if (!all_up(s))
        return;

    if (s->phase == PHASE_STARTING) {
        s->phase = PHASE_RUNNING;
        announce(s);
    } else {
        refresh_ready_file(s);
    }

    if (s->roll == ROLL_RESTARTING) {
        s->roll = ROLL_SETTLING;
        reactor_timer_arm(&s->reactor, &s->roll_timer,
                          clock_now_ns() + ROLL_SETTLE_NS);
    } else if (s->roll == ROLL_WAITING) {
        roll_next(s);
    }
}

static void on_signal(struct reactor_io *io, uint32_t events)
{
    struct supervisor *s = container_of(io, struct supervisor, signals);
    struct signalfd_siginfo info;

    (void)events;
    while (read(io->fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
        switch (info.ssi_signo) {
        case SIGCHLD:
            reap(s);
            break;
        case SIGTERM:
        case SIGINT:
            log_info("%s: stopping every child",
                     info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            supervisor_stop(s);
            break;
        case SIGHUP:
            roll_begin(s);
            break;
        default:
            break;
        }
    }
}

/* ---- Before anything starts ---------------------------------------- */

/* A port that something already listens on is one clear error now, not
 * a child that fails to start again and again. The test bind has no
 * SO_REUSEPORT, so even another reuseport group on the port counts. */
static int check_port_free(const char *address, uint16_t port)
{
    struct sockaddr_in addr;
    int one = 1;
    int fd, result, saved;

    if (net_address(address, port, &addr) < 0)
        return 0;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    result = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    saved = errno;
    close(fd);

    if (result == 0)
        return 0;
    log_error("cannot use %s:%u: %s; stop what holds it or choose other "
              "ports (--port, --base-port)", address, port, strerror(saved));
    return -1;
}

static int check_ports(const struct supervisor_options *o)
{
    if (o->front != SUPERVISOR_FRONT_NONE &&
        check_port_free(o->listen_address, o->port) < 0)
        return -1;

    if (o->front == SUPERVISOR_FRONT_REUSEPORT)
        return 0;

    for (unsigned i = 0; i < o->procs; i++)
        if (check_port_free(o->listen_address,
                            supervisor_server_port(o, i)) < 0)
            return -1;
    return 0;
}

static int find_server(struct supervisor *s)
{
    const char *given = s->options->server;
    ssize_t len;
    char *slash;

    if (given != NULL) {
        if (snprintf(s->server_path, sizeof(s->server_path), "%s", given) >=
            (int)sizeof(s->server_path))
            return -1;
    } else {
        len = readlink("/proc/self/exe", s->server_path,
                       sizeof(s->server_path) - 1);
        if (len <= 0)
            return -1;
        s->server_path[len] = '\0';
        slash = strrchr(s->server_path, '/');
        if (slash == NULL ||
            (size_t)(slash - s->server_path) + sizeof("/blobs-server") >
                sizeof(s->server_path))
            return -1;
        strcpy(slash, "/blobs-server");
    }

    if (access(s->server_path, X_OK) < 0) {
        log_error("cannot run the server %s: %s (see --server)",
                  s->server_path, strerror(errno));
        return -1;
    }
    return 0;
}

static int prepare_haproxy(struct supervisor *s)
{
    const struct supervisor_options *o = s->options;
    char generator[PATH_MAX];

    if (access(o->haproxy, X_OK) < 0) {
        log_error("cannot run haproxy %s: %s (see --haproxy, or --front "
                  "reuseport or none)", o->haproxy, strerror(errno));
        return -1;
    }

    if (o->haproxy_generator != NULL) {
        snprintf(generator, sizeof(generator), "%s", o->haproxy_generator);
    } else if (supervisor_haproxy_find_generator(generator,
                                                 sizeof(generator)) < 0) {
        log_error("cannot find tools/gen-haproxy above this program (see "
                  "--haproxy-gen)");
        return -1;
    }

    s->haproxy_config_fd = supervisor_haproxy_config(o, generator);
    return s->haproxy_config_fd < 0 ? -1 : 0;
}

static void child_init(struct supervisor *s, struct child *c,
                       enum child_kind kind, unsigned index)
{
    const struct supervisor_options *o = s->options;

    c->supervisor = s;
    c->kind = kind;
    c->state = CHILD_DOWN;
    c->output.fd = -1;
    c->output.on_event = on_output;
    c->ready.fd = -1;
    c->ready.on_event = on_ready;
    c->timer.on_expire = on_child_timer;

    if (kind == CHILD_HAPROXY) {
        c->port = o->port;
        snprintf(c->name, sizeof(c->name), "haproxy");
        snprintf(c->label, sizeof(c->label), "haproxy");
        return;
    }

    /* Sharing one port, reuseport servers are told apart by number. */
    c->port = supervisor_server_port(o, index);
    if (o->front == SUPERVISOR_FRONT_REUSEPORT)
        snprintf(c->name, sizeof(c->name), "%u#%u", c->port, index + 1);
    else
        snprintf(c->name, sizeof(c->name), "%u", c->port);
    memcpy(c->label, "server ", 7);
    memcpy(c->label + 7, c->name, sizeof(c->name));
}

/* Signals come through a signalfd: block them first, so that none is
 * delivered the usual way in between. */
static int watch_signals(struct supervisor *s)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -1;

    s->signals.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    s->signals.on_event = on_signal;
    if (s->signals.fd < 0)
        return -1;
    return reactor_add(&s->reactor, &s->signals, EPOLLIN);
}

static void supervisor_free(struct supervisor *s)
{
    for (size_t i = 0; i < child_count(s); i++) {
        struct child *c = child_at(s, i);

        if (c->output.fd >= 0)
            close(c->output.fd);
        if (c->ready.fd >= 0)
            close(c->ready.fd);
    }
    if (s->signals.fd >= 0)
        close(s->signals.fd);
    if (s->haproxy_config_fd >= 0)
        close(s->haproxy_config_fd);
    reactor_free(&s->reactor);
    free(s);
}

int supervisor_run(const struct supervisor_options *o)
{
    struct supervisor *s = calloc(1, sizeof(*s));
    int status;

    if (s == NULL)
        return SUPERVISOR_EXIT_FAILURE;

    s->options = o;
    s->has_haproxy = o->front == SUPERVISOR_FRONT_HAPROXY;
    s->haproxy_config_fd = -1;
    s->signals.fd = -1;
    s->reactor.epoll_fd = -1;
    s->roll_timer.on_expire = on_roll_timer;
    for (unsigned i = 0; i < o->procs; i++)
        child_init(s, &s->servers[i], CHILD_SERVER, i);
    child_init(s, &s->haproxy, CHILD_HAPROXY, 0);

    log_set_prefix("supervisor");

    /* A write to a closed stdout or stderr must not kill us. */
    signal(SIGPIPE, SIG_IGN);

    if (o->ready_file != NULL && unlink(o->ready_file) < 0 &&
        errno != ENOENT)
        log_warn("cannot remove the old %s: %s", o->ready_file,
                 strerror(errno));

    if (find_server(s) < 0 || check_ports(o) < 0 ||
        (s->has_haproxy && prepare_haproxy(s) < 0) ||
        reactor_init(&s->reactor) < 0 || watch_signals(s) < 0) {
        supervisor_free(s);
        return SUPERVISOR_EXIT_FAILURE;
    }

    for (unsigned i = 0; i < o->procs; i++)
        child_start(&s->servers[i]);

    if (reactor_run(&s->reactor) < 0) {
        log_error("epoll_wait: %s", strerror(errno));
        for (size_t i = 0; i < child_count(s); i++)
            if (child_at(s, i)->pid > 0)
                kill(child_at(s, i)->pid, SIGKILL);
        s->exit_status = SUPERVISOR_EXIT_FAILURE;
    }

    /* Stale once we are gone: a script must not mistake it for a live
     * service. */
    if (s->ready_file_written)
        unlink(o->ready_file);

    status = s->exit_status;
    supervisor_free(s);
    return status;
}
