/*
 * supervisor_child.h: how the supervisor starts a child and hears from
 * it: fork and exec with its output on a pipe and its readiness on
 * another, the "READY <port>" line read back, and output cut into lines
 * so that each can be written with the child's name in front.
 */
#ifndef SUPERVISOR_CHILD_H
#define SUPERVISOR_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The fd number on which a child finds the write end of its readiness
 * pipe (blobs-server --ready-fd 3). */
#define SUPERVISOR_READY_FD 3

/* A child that cannot exec exits with this status, after one line on its
 * stderr saying why. */
#define SUPERVISOR_EXEC_FAILED 127

struct supervisor_spawn {
    char *const *argv;              /* argv[0] is the path to run */
    bool want_ready;                /* a readiness pipe on fd 3 */
    int keep_fd;                    /* above 3: the child inherits it; -1 */

    /* Filled in by supervisor_spawn(). */
    pid_t pid;
    int output_fd;                  /* read end of its stdout and stderr */
    int ready_fd;                   /* read end of its readiness pipe */
};

/* Start a child in its own process group that dies with the supervisor:
 * stdin on /dev/null, its output and readiness pipes, keep_fd, and no
 * other fd. Our read ends are non-blocking and close-on-exec. Return 0,
 * or -1 with errno and nothing left open. */
int supervisor_spawn(struct supervisor_spawn *spawn);

/* Parse what a child wrote on its readiness pipe so far: 1 and *port for
 * a whole "READY <port>\n", 0 while it may still become one, -1 when it
 * cannot. */
int supervisor_ready_parse(const char *buf, size_t len, unsigned *port);

/* Longest line passed on whole; a longer one is cut into pieces of this
 * size. With a name in front it still fits in PIPE_BUF, so a line
 * written to a pipe never mixes with another writer's. */
#define SUPERVISOR_LINE_MAX 4000

struct supervisor_lines {
    char buf[SUPERVISOR_LINE_MAX];
    size_t len;
};

typedef void supervisor_line_fn(void *context, const char *line,
                                size_t len);

/* Feed bytes; every complete line goes to emit, without its '\n'. */
void supervisor_lines_feed(struct supervisor_lines *lines, const char *data,
                           size_t len, supervisor_line_fn *emit,
                           void *context);

/* Pass on a last line that had no '\n' (the child has gone). */
void supervisor_lines_flush(struct supervisor_lines *lines,
                            supervisor_line_fn *emit, void *context);

#endif
