/*
 * haproxy's config, command line and readiness, for the supervisor.
 */
#include "supervisor_haproxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

#define GENERATOR_PATH "tools/gen-haproxy"

/* How many folders up from the binary to look for tools/: build/san/bin
 * is three below the top of the tree. */
#define GENERATOR_SEARCH_DEPTH 4

/* The config fd is kept above the fds that a child's plumbing lays out
 * (0 to 3), so that it reaches haproxy under its own number. */
#define CONFIG_FD_MIN 10

/* A connect on loopback is answered at once; this only bounds a wait on
 * a port whose backlog is full. */
#define PROBE_TIMEOUT_MS 100

int supervisor_haproxy_find_generator(char *out, size_t size)
{
    char dir[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", dir, sizeof(dir) - 1);

    if (len <= 0)
        return -1;
    dir[len] = '\0';

    for (int depth = 0; depth < GENERATOR_SEARCH_DEPTH; depth++) {
        char *slash = strrchr(dir, '/');
        int n;

        if (slash == NULL || slash == dir)
            break;
        *slash = '\0';

        n = snprintf(out, size, "%s/%s", dir, GENERATOR_PATH);
        if (n > 0 && (size_t)n < size && access(out, X_OK) == 0)
            return 0;
    }
    return -1;
}

/* Run the generator with its stdout on fd; return its wait status or -1. */
static int run_generator(char *const argv[], int fd)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -1;

    if (pid == 0) {
        if (dup2(fd, STDOUT_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        dprintf(STDERR_FILENO, "error: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return status;
}

int supervisor_haproxy_config(const struct supervisor_options *o,
                              const char *generator)
{
    char procs[16], port[8], base_port[8];
    char *argv[] = {
        (char *)generator, "--procs", procs, "--port", port,
        "--base-port", base_port, "--address", (char *)o->listen_address,
        o->haproxy_variant == SUPERVISOR_HAPROXY_TCP ? "--tcp" : NULL,
        NULL,
    };
    struct stat st;
    int memfd, fd, status;

    snprintf(procs, sizeof(procs), "%u", o->procs);
    snprintf(port, sizeof(port), "%u", o->port);
    snprintf(base_port, sizeof(base_port), "%u", o->base_port);

    memfd = memfd_create("haproxy.cfg", MFD_CLOEXEC);
    if (memfd < 0) {
        log_error("cannot make a memfd for haproxy's config: %s",
                  strerror(errno));
        return -1;
    }
    fd = fcntl(memfd, F_DUPFD_CLOEXEC, CONFIG_FD_MIN);
    close(memfd);
    if (fd < 0) {
        log_error("cannot place haproxy's config fd: %s", strerror(errno));
        return -1;
    }

    status = run_generator(argv, fd);
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        fstat(fd, &st) < 0 || st.st_size == 0) {
        log_error("%s failed to write haproxy's config (wait status %d)",
                  generator, status);
        close(fd);
        return -1;
    }

    log_info("haproxy config: %s --procs %s --port %s --base-port %s "
             "--address %s%s", generator, procs, port, base_port,
             o->listen_address,
             o->haproxy_variant == SUPERVISOR_HAPROXY_TCP ? " --tcp" : "");
    return fd;
}

void supervisor_haproxy_argv(const char *haproxy, int config_fd,
                             char *path_buf, size_t path_size,
                             char *argv[SUPERVISOR_HAPROXY_ARGS])
{
    int i = 0;

    /* /dev/fd/N opens the memfd afresh, from its first byte. */
    snprintf(path_buf, path_size, "/dev/fd/%d", config_fd);

    /* -db: in the foreground, one process, so that its PID is the one
     * to signal and the one whose CPU time counts. */
    argv[i++] = (char *)haproxy;
    argv[i++] = "-db";
    argv[i++] = "-f";
    argv[i++] = path_buf;
    argv[i] = NULL;
}

bool supervisor_haproxy_listening(const char *address, uint16_t port)
{
    struct sockaddr_in addr;
    struct pollfd poll_fd;
    int error = 0;
    socklen_t error_len = sizeof(error);
    bool connected;

    if (net_address(address, port, &addr) < 0)
        return false;
    if (addr.sin_addr.s_addr == htonl(INADDR_ANY))
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    poll_fd.fd = net_connect(&addr);
    if (poll_fd.fd < 0)
        return false;
    poll_fd.events = POLLOUT;

    connected = poll(&poll_fd, 1, PROBE_TIMEOUT_MS) == 1 &&
                getsockopt(poll_fd.fd, SOL_SOCKET, SO_ERROR, &error,
                           &error_len) == 0 &&
                error == 0;
    close(poll_fd.fd);
    return connected;
}
