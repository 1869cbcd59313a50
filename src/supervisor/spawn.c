/*
 * Starting a child: fork, plumbing, exec.
 *
 * The child's stdout and stderr share one pipe, so its lines reach the
 * supervisor in the order it wrote them. The readiness pipe is separate:
 * "READY <port>" must not be lost among log lines, and its end of file
 * without that line tells a start that failed.
 */
#include "supervisor_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Where the child parks its pipe ends while it lays out fds 0 to 3, so
 * that no dup2() can overwrite one still to be placed. */
#define SPAWN_HIGH_FD 10

static void close_pair(int pair[2])
{
    if (pair[0] >= 0)
        close(pair[0]);
    if (pair[1] >= 0)
        close(pair[1]);
    pair[0] = pair[1] = -1;
}

/* In the child, between fork and exec; never returns. */
static void __attribute__((noreturn))
spawn_child(const struct supervisor_spawn *spawn, int output, int ready,
            pid_t parent)
{
    sigset_t none;
    int null_fd;

    /* Signals that the supervisor blocks (it reads them from a signalfd)
     * or ignores would stay so across exec. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);

    /* Die with the supervisor, even when it is killed with SIGKILL, so
     * that no orphan keeps a port. If it is already gone, stop here. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(SUPERVISOR_EXEC_FAILED);

    /* Its own process group: a Ctrl-C in the terminal reaches only the
     * supervisor, which then stops the children in order. */
    setpgid(0, 0);

    output = fcntl(output, F_DUPFD_CLOEXEC, SPAWN_HIGH_FD);
    if (ready >= 0)
        ready = fcntl(ready, F_DUPFD_CLOEXEC, SPAWN_HIGH_FD);
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (output < 0 || null_fd < 0 || (spawn->want_ready && ready < 0))
        _exit(SUPERVISOR_EXEC_FAILED);

    /* dup2 onto another number clears close-on-exec on the copy. */
    if (dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(output, STDOUT_FILENO) < 0 ||
        dup2(output, STDERR_FILENO) < 0 ||
        (ready >= 0 && dup2(ready, SUPERVISOR_READY_FD) < 0))
        _exit(SUPERVISOR_EXEC_FAILED);

    /* Whatever else we inherited without close-on-exec (a pipe of the
     * script that started us, say) must not reach the child: it could
     * keep that pipe open long after we are gone. */
    if (spawn->keep_fd > SUPERVISOR_READY_FD) {
        close_range(SUPERVISOR_READY_FD + 1, (unsigned)spawn->keep_fd - 1, 0);
        close_range((unsigned)spawn->keep_fd + 1, ~0U, 0);
        if (fcntl(spawn->keep_fd, F_SETFD, 0) < 0)
            _exit(SUPERVISOR_EXEC_FAILED);
    } else {
        close_range(ready >= 0 ? SUPERVISOR_READY_FD + 1 : STDERR_FILENO + 1,
                    ~0U, 0);
    }

    execv(spawn->argv[0], spawn->argv);

    dprintf(STDERR_FILENO, "error: cannot run %s: %s\n", spawn->argv[0],
            strerror(errno));
    _exit(SUPERVISOR_EXEC_FAILED);
}

int supervisor_spawn(struct supervisor_spawn *spawn)
{
    int output[2] = { -1, -1 };
    int ready[2] = { -1, -1 };
    pid_t parent = getpid();
    pid_t pid;
    int saved;

    spawn->pid = -1;
    spawn->output_fd = -1;
    spawn->ready_fd = -1;

    if (pipe2(output, O_CLOEXEC) < 0)
        goto fail;
    if (spawn->want_ready && pipe2(ready, O_CLOEXEC) < 0)
        goto fail;

    pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0)
        spawn_child(spawn, output[1], ready[1], parent);

    close(output[1]);
    fcntl(output[0], F_SETFL, O_NONBLOCK);
    spawn->output_fd = output[0];

    if (spawn->want_ready) {
        close(ready[1]);
        fcntl(ready[0], F_SETFL, O_NONBLOCK);
        spawn->ready_fd = ready[0];
    }

    spawn->pid = pid;
    return 0;

fail:
    saved = errno;
    close_pair(output);
    close_pair(ready);
    errno = saved;
    return -1;
}

int supervisor_ready_parse(const char *buf, size_t len, unsigned *port)
{
    static const char word[] = "READY ";
    size_t word_len = sizeof(word) - 1;
    size_t i;
    unsigned value = 0;

    if (memcmp(buf, word, len < word_len ? len : word_len) != 0)
        return -1;
    if (len <= word_len)
        return 0;

    for (i = word_len; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
        value = value * 10 + (unsigned)(buf[i] - '0');
        if (value > 65535)
            return -1;
    }

    if (i == len)
        return 0;
    if (i == word_len || buf[i] != '\n' || i + 1 != len || value == 0)
        return -1;

    *port = value;
    return 1;
}
