/*
 * The supervisor's command line: defaults, parsing and checks.
 *
 * Every option takes "--name VALUE" or "--name=VALUE". Values are checked
 * here, before anything starts, so that a typo is one line of error and
 * not a child that fails to start five times.
 */
#include "supervisor.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net.h"
#include "reactor.h"

#define DEFAULT_PROCS 4
#define DEFAULT_BASE_PORT 8001
#define DEFAULT_PORT 8000
#define DEFAULT_DIR "/tmp/blobs"
#define DEFAULT_HAPROXY "/usr/sbin/haproxy"
#define MAX_SECONDS 3600
#define MAX_START_ATTEMPTS 100

/* Longer than blobs-server's own --grace (10 s), so that a server that
 * finishes its requests in time is never killed. */
#define DEFAULT_GRACE_NS (15 * NS_PER_SEC)
#define DEFAULT_START_TIMEOUT_NS (10 * NS_PER_SEC)
#define DEFAULT_START_ATTEMPTS 5

static const char *const option_names[] = {
    "procs", "base-port", "port", "listen", "dir", "server", "server-arg",
    "front", "haproxy-variant", "haproxy", "haproxy-gen", "ready-file",
    "grace", "start-timeout", "start-attempts",
};

void supervisor_options_init(struct supervisor_options *o)
{
    memset(o, 0, sizeof(*o));
    o->procs = DEFAULT_PROCS;
    o->base_port = DEFAULT_BASE_PORT;
    o->port = DEFAULT_PORT;
    o->listen_address = "127.0.0.1";
    o->dir = DEFAULT_DIR;
    /* As the original study ran its process spawner: behind haproxy, so
     * that "./supervisor --procs 8" serves on one address. */
    o->front = SUPERVISOR_FRONT_HAPROXY;
    o->haproxy_variant = SUPERVISOR_HAPROXY_HTTP;
    o->haproxy = DEFAULT_HAPROXY;
    o->grace_ns = DEFAULT_GRACE_NS;
    o->start_timeout_ns = DEFAULT_START_TIMEOUT_NS;
    o->start_attempts = DEFAULT_START_ATTEMPTS;
}

const char *supervisor_usage(void)
{
    return
"Usage: supervisor [options]\n"
"\n"
"Run N blobs-server processes on ports BASE-PORT.. and, by default,\n"
"haproxy in front of them on PORT. Once everything listens, print one\n"
"line starting with \"ready:\" on stdout. A server that dies is started\n"
"again; SIGTERM or SIGINT stops everything, SIGHUP restarts the servers\n"
"one at a time.\n"
"\n"
"Options:\n"
"  --procs N              servers to run, 1 to 64 (default 4)\n"
"  --base-port PORT       the first server's port (default 8001)\n"
"  --port PORT            the front's port (default 8000)\n"
"  --listen ADDR          IPv4 address for every port (default 127.0.0.1)\n"
"  --dir DIR              the blob root (default /tmp/blobs)\n"
"  --server PATH          the server binary (default: blobs-server beside\n"
"                         this program)\n"
"  --server-arg ARG       one more server option, given before DIR PORT;\n"
"                         repeat for several (--server-arg --access-log)\n"
"  --front FRONT          haproxy (default): haproxy on PORT balances over\n"
"                         the servers; reuseport: all servers share PORT\n"
"                         with SO_REUSEPORT; none: just the N ports\n"
"  --haproxy-variant V    http (default): requests balanced, keep-alive and\n"
"                         health checks; tcp: connections balanced, as in\n"
"                         the original study\n"
"  --haproxy PATH         the haproxy binary (default /usr/sbin/haproxy)\n"
"  --haproxy-gen PATH     the config generator (default: tools/gen-haproxy\n"
"                         found above this program)\n"
"  --ready-file PATH      also write the ready line there, then one line\n"
"                         per process: \"server PORT PID\", \"haproxy PORT\n"
"                         PID\"; kept up to date, removed at exit\n"
"  --grace SECONDS        from SIGTERM to SIGKILL for a child (default 15)\n"
"  --start-timeout SECONDS  for a child to listen (default 10)\n"
"  --start-attempts N     failed starts in a row before giving up\n"
"                         (default 5)\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 after SIGTERM or SIGINT, 1 when a child could not start\n"
"(the reason is on stderr), 2 for a bad option.\n";
}

int supervisor_parse_seconds(const char *text, int64_t max_ns, int64_t *out)
{
    int64_t ns = 0;
    int64_t scale = NS_PER_SEC / 10;
    const char *p = text;

    if (*p < '0' || *p > '9')
        return -1;

    for (; *p >= '0' && *p <= '9'; p++) {
        ns = ns * 10 + (*p - '0') * NS_PER_SEC;
        if (ns > max_ns)
            return -1;
    }

    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9' && scale > 0; p++) {
            ns += (*p - '0') * scale;
            scale /= 10;
        }
    }

    if (*p != '\0' || ns > max_ns)
        return -1;
    *out = ns;
    return 0;
}

static int fail(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_port(const char *text, uint16_t *out)
{
    uint64_t value;

    if (parse_u64(text, 65535, &value) < 0 || value == 0)
        return -1;
    *out = (uint16_t)value;
    return 0;
}

/* One option with its value; return 0 or -1 with err set. */
static int parse_one(struct supervisor_options *o, const char *name,
                     const char *value, char *err, size_t err_size)
{
    uint64_t number;
    struct sockaddr_in unused;

    if (strcmp(name, "procs") == 0) {
        if (parse_u64(value, SUPERVISOR_MAX_PROCS, &number) < 0 ||
            number == 0)
            return fail(err, err_size, "--procs must be 1 to %d, not '%s'",
                        SUPERVISOR_MAX_PROCS, value);
        o->procs = (unsigned)number;
    } else if (strcmp(name, "base-port") == 0) {
        if (parse_port(value, &o->base_port) < 0)
            return fail(err, err_size, "bad --base-port '%s'", value);
    } else if (strcmp(name, "port") == 0) {
        if (parse_port(value, &o->port) < 0)
            return fail(err, err_size, "bad --port '%s'", value);
    } else if (strcmp(name, "listen") == 0) {
        if (net_address(value, 0, &unused) < 0)
            return fail(err, err_size,
                        "--listen needs an IPv4 address, not '%s'", value);
        o->listen_address = value;
    } else if (strcmp(name, "dir") == 0) {
        o->dir = value;
    } else if (strcmp(name, "server") == 0) {
        o->server = value;
    } else if (strcmp(name, "server-arg") == 0) {
        if (o->server_arg_count == SUPERVISOR_MAX_SERVER_ARGS)
            return fail(err, err_size, "more than %d --server-arg",
                        SUPERVISOR_MAX_SERVER_ARGS);
        o->server_args[o->server_arg_count++] = value;
    } else if (strcmp(name, "front") == 0) {
        if (strcmp(value, "haproxy") == 0)
            /* As the original study ran its process spawner: behind haproxy, so
     * that "./supervisor --procs 8" serves on one address. */
    o->front = SUPERVISOR_FRONT_HAPROXY;
        else if (strcmp(value, "reuseport") == 0)
            o->front = SUPERVISOR_FRONT_REUSEPORT;
        else if (strcmp(value, "none") == 0)
            o->front = SUPERVISOR_FRONT_NONE;
        else
            return fail(err, err_size,
                        "--front is haproxy, reuseport or none, not '%s'",
                        value);
    } else if (strcmp(name, "haproxy-variant") == 0) {
        if (strcmp(value, "http") == 0)
            o->haproxy_variant = SUPERVISOR_HAPROXY_HTTP;
        else if (strcmp(value, "tcp") == 0)
            o->haproxy_variant = SUPERVISOR_HAPROXY_TCP;
        else
            return fail(err, err_size,
                        "--haproxy-variant is http or tcp, not '%s'", value);
    } else if (strcmp(name, "haproxy-gen") == 0) {
        o->haproxy_generator = value;
    } else if (strcmp(name, "ready-file") == 0) {
        o->ready_file = value;
    } else if (strcmp(name, "grace") == 0) {
        if (supervisor_parse_seconds(value, MAX_SECONDS * NS_PER_SEC,
                                     &o->grace_ns) < 0)
            return fail(err, err_size, "bad --grace '%s' (seconds)", value);
    } else if (strcmp(name, "start-timeout") == 0) {
        if (supervisor_parse_seconds(value, MAX_SECONDS * NS_PER_SEC,
                                     &o->start_timeout_ns) < 0 ||
            o->start_timeout_ns == 0)
            return fail(err, err_size, "bad --start-timeout '%s' (seconds)",
                        value);
    } else if (strcmp(name, "start-attempts") == 0) {
        if (parse_u64(value, MAX_START_ATTEMPTS, &number) < 0 ||
            number == 0)
            return fail(err, err_size,
                        "--start-attempts must be 1 to %d, not '%s'",
                        MAX_START_ATTEMPTS, value);
        o->start_attempts = (unsigned)number;
    } else if (strcmp(name, "haproxy") == 0) {
        o->haproxy = value;
    } else {
        return fail(err, err_size, "unknown option --%s", name);
    }
    return 0;
}

static bool known_option(const char *name)
{
    for (size_t i = 0; i < sizeof(option_names) / sizeof(*option_names); i++)
        if (strcmp(name, option_names[i]) == 0)
            return true;
    return false;
}

/* The ports must not overlap: haproxy cannot share a port with a server,
 * and every server port must exist. */
static int check_ports(const struct supervisor_options *o, char *err,
                       size_t err_size)
{
    unsigned last = (unsigned)o->base_port + o->procs - 1;

    if (o->front == SUPERVISOR_FRONT_REUSEPORT)
        return 0;

    if (last > 65535)
        return fail(err, err_size, "--base-port %u leaves no room for %u "
                    "servers", o->base_port, o->procs);

    if (o->front == SUPERVISOR_FRONT_HAPROXY && o->port >= o->base_port &&
        o->port <= last)
        return fail(err, err_size, "--port %u is one of the servers' ports "
                    "%u-%u", o->port, o->base_port, last);
    return 0;
}

int supervisor_options_parse(struct supervisor_options *o, int argc,
                             char **argv, char *err, size_t err_size)
{
    supervisor_options_init(o);

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char name[32];
        const char *value;
        const char *equals;
        size_t name_len;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return 1;

        if (strncmp(arg, "--", 2) != 0)
            return fail(err, err_size, "unexpected argument '%s'", arg);

        arg += 2;
        equals = strchr(arg, '=');
        name_len = equals ? (size_t)(equals - arg) : strlen(arg);
        if (name_len == 0 || name_len >= sizeof(name))
            return fail(err, err_size, "unknown option '%s'", argv[i]);
        memcpy(name, arg, name_len);
        name[name_len] = '\0';
        if (!known_option(name))
            return fail(err, err_size, "unknown option --%s", name);

        if (equals) {
            value = equals + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return fail(err, err_size, "--%s needs a value", name);
        }

        if (parse_one(o, name, value, err, err_size) < 0)
            return -1;
    }

    return check_ports(o, err, err_size);
}
