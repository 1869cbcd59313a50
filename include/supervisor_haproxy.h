/*
 * supervisor_haproxy.h: haproxy as one more child of the supervisor.
 *
 * Its config comes from tools/gen-haproxy, the generator of the
 * checked-in haproxy/roundrobin-*.cfg, run for the ports of this run
 * into a memfd that haproxy reads as /dev/fd/N: one source of truth for
 * configs, and no temporary file to leave behind even when the
 * supervisor is killed.
 */
#ifndef SUPERVISOR_HAPROXY_H
#define SUPERVISOR_HAPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor.h"

/* Find tools/gen-haproxy in the folder of the running binary or in one of
 * its parents (./supervisor and build/san/bin/supervisor both find the
 * tree's tools/). Return 0 with the path in out, or -1. */
int supervisor_haproxy_find_generator(char *out, size_t size);

/* Run the generator for these options; return an fd (above 2) holding
 * the config, or -1 after logging why. */
int supervisor_haproxy_config(const struct supervisor_options *o,
                              const char *generator);

/* The command that runs haproxy in the foreground on that config. */
#define SUPERVISOR_HAPROXY_ARGS 8
void supervisor_haproxy_argv(const char *haproxy, int config_fd,
                             char *path_buf, size_t path_size,
                             char *argv[SUPERVISOR_HAPROXY_ARGS]);

/* haproxy has no readiness pipe in the foreground: it is up once its
 * port takes a connection. Return true if it does now. */
bool supervisor_haproxy_listening(const char *address, uint16_t port);

#endif
