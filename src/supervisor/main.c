/*
 * supervisor: run N blobs-server processes as one service, with haproxy
 * or SO_REUSEPORT in front of them. See supervisor.h, and --help.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "supervisor.h"

/* Children inherit fds 0 to 2 and the pipes we open must not land there:
 * whatever started us with one of them closed gets /dev/null in its
 * place. */
static void open_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            _exit(SUPERVISOR_EXIT_FAILURE);
    }
}

int main(int argc, char **argv)
{
    struct supervisor_options options;
    char err[256];
    int parsed;

    open_standard_fds();

    parsed = supervisor_options_parse(&options, argc, argv, err,
                                      sizeof(err));
    if (parsed > 0) {
        fputs(supervisor_usage(), stdout);
        return 0;
    }
    if (parsed < 0) {
        fprintf(stderr, "supervisor: %s (see --help)\n", err);
        return SUPERVISOR_EXIT_USAGE;
    }

    return supervisor_run(&options);
}
