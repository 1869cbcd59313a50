/*
 * Starting a child for real, with /bin/sh or grep as the child: its
 * readiness on fd 3, stdout and stderr on one pipe, stdin on /dev/null,
 * no fd but the ones it was given, no signal blocked, its own process
 * group, and death by SIGKILL when the process that started it dies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor_child.h"

#define READ_TIMEOUT_MS 5000

/* The shell's open fds up to 63, listed by the shell itself with
 * builtins only, so that the listing opens none of its own. */
#define FD_LIST \
    "printf 'fds: '; for n in $(seq 0 63); do " \
    "[ -e /proc/$$/fd/$n ] && printf '%s ' $n; done; echo\n"

/* Read a non-blocking fd to its end. */
static size_t read_all(int fd, char *buf, size_t size)
{
    size_t len = 0;

    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        assert_int_equal(poll(&p, 1, READ_TIMEOUT_MS), 1);
        n = read(fd, buf + len, size - 1 - len);
        if (n < 0 && errno == EAGAIN)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return len;
}

static int wait_status(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void test_plumbing(void **state)
{
    static const char script[] =
        FD_LIST
        "echo READY 4242 >&3\n"
        "exec 3>&-\n"
        "echo out\n"
        "echo err >&2\n"
        "if read line; then echo stdin-had-data; else echo stdin-empty; fi\n"
        "echo pgrp=$(cut -d' ' -f5 /proc/$$/stat) pid=$$\n";
    char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
    struct supervisor_spawn spawn = {
        .argv = argv, .want_ready = true, .keep_fd = -1,
    };
    char output[4096], ready[64], expect[128];
    unsigned port = 0;
    int status;

    (void)state;
    assert_int_equal(supervisor_spawn(&spawn), 0);
    assert_true(spawn.pid > 0);
    assert_true(fcntl(spawn.output_fd, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(spawn.ready_fd, F_GETFL) & O_NONBLOCK);

    read_all(spawn.ready_fd, ready, sizeof(ready));
    assert_int_equal(supervisor_ready_parse(ready, strlen(ready), &port), 1);
    assert_int_equal(port, 4242);

    read_all(spawn.output_fd, output, sizeof(output));
    status = wait_status(spawn.pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    assert_non_null(strstr(output, "out\nerr\nstdin-empty\n"));
    snprintf(expect, sizeof(expect), "pgrp=%d pid=%d\n", spawn.pid,
             spawn.pid);
    assert_non_null(strstr(output, expect));
    assert_non_null(strstr(output, "fds: 0 1 2 3 \n"));

    close(spawn.output_fd);
    close(spawn.ready_fd);
}

/* keep_fd reaches the child under its own number, and no readiness fd
 * when none was asked for. */
static void test_keep_fd(void **state)
{
    static const char script[] = FD_LIST;
    char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
    char output[1024], expect[64];
    struct supervisor_spawn spawn = { .argv = argv, .keep_fd = -1 };
    int keep;

    (void)state;
    keep = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 20);
    assert_true(keep >= 20);
    spawn.keep_fd = keep;

    assert_int_equal(supervisor_spawn(&spawn), 0);
    assert_int_equal(spawn.ready_fd, -1);

    read_all(spawn.output_fd, output, sizeof(output));
    assert_int_equal(wait_status(spawn.pid), 0);
    snprintf(expect, sizeof(expect), "fds: 0 1 2 %d \n", keep);
    assert_string_equal(output, expect);

    close(spawn.output_fd);
    close(keep);
}

/* Signals that the supervisor blocks (for its signalfd) are not blocked
 * in the child. grep reads its own mask, run straight with no shell in
 * between: a shell blocks signals for a moment around each fork. */
static void test_signals_unblocked(void **state)
{
    char *argv[] = { "/bin/grep", "^SigBlk", "/proc/self/status", NULL };
    struct supervisor_spawn spawn = { .argv = argv, .keep_fd = -1 };
    char output[256];
    sigset_t set, old;

    (void)state;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGHUP);
    assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
    assert_int_equal(supervisor_spawn(&spawn), 0);
    assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);

    read_all(spawn.output_fd, output, sizeof(output));
    assert_int_equal(wait_status(spawn.pid), 0);
    assert_string_equal(output, "SigBlk:\t0000000000000000\n");

    close(spawn.output_fd);
}

static void test_exec_failure(void **state)
{
    char *argv[] = { "/nonexistent/blobs-server", NULL };
    struct supervisor_spawn spawn = {
        .argv = argv, .want_ready = true, .keep_fd = -1,
    };
    char output[512], ready[16];
    int status;

    (void)state;
    assert_int_equal(supervisor_spawn(&spawn), 0);
    assert_int_equal(read_all(spawn.ready_fd, ready, sizeof(ready)), 0);
    read_all(spawn.output_fd, output, sizeof(output));
    status = wait_status(spawn.pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), SUPERVISOR_EXEC_FAILED);
    assert_string_equal(output, "error: cannot run /nonexistent/blobs-server: "
                        "No such file or directory\n");

    close(spawn.output_fd);
    close(spawn.ready_fd);
}

/* A middle process starts a long sleep and exits once the sleep runs
 * (past the prctl); as a subreaper, the test inherits the sleep and sees
 * how it ended. */
static void test_child_dies_with_its_parent(void **state)
{
    int report[2];
    pid_t middle, orphan = 0;
    int status;

    (void)state;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    assert_int_equal(pipe(report), 0);

    middle = fork();
    assert_true(middle >= 0);
    if (middle == 0) {
        char *argv[] = { "/bin/sh", "-c", "echo up; exec sleep 30", NULL };
        struct supervisor_spawn spawn = { .argv = argv, .keep_fd = -1 };
        struct pollfd p = { .events = POLLIN };
        char line[16] = "";

        if (supervisor_spawn(&spawn) < 0)
            _exit(1);
        p.fd = spawn.output_fd;
        if (poll(&p, 1, READ_TIMEOUT_MS) == 1)
            (void)!read(spawn.output_fd, line, sizeof(line) - 1);
        (void)!write(report[1], &spawn.pid, sizeof(spawn.pid));
        _exit(strcmp(line, "up\n") == 0 ? 0 : 1);
    }

    close(report[1]);
    assert_int_equal(read(report[0], &orphan, sizeof(orphan)),
                     sizeof(orphan));
    close(report[0]);
    assert_int_equal(wait_status(middle), 0);

    status = wait_status(orphan);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plumbing),
        cmocka_unit_test(test_keep_fd),
        cmocka_unit_test(test_signals_unblocked),
        cmocka_unit_test(test_exec_failure),
        cmocka_unit_test(test_child_dies_with_its_parent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
