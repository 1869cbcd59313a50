/*
 * blobs-server: the blob API of API.md over HTTP/1.1, one process, one
 * epoll loop. Run several behind haproxy (or with --reuseport) to use
 * several cores: ./supervisor does that.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"
#include "net.h"
#include "server.h"

#define VERSION "0.1.0"

static void usage(FILE *out)
{
    fprintf(out,
"Usage: blobs-server [options] DIR PORT\n"
"\n"
"Serve the blobs stored under DIR over HTTP/1.1 on PORT.\n"
"\n"
"Options:\n"
"  --listen ADDR          IPv4 address to listen on (default 127.0.0.1)\n"
"  --quota BYTES          bytes of blobs per user, K/M/G suffixes\n"
"                         (default 200M)\n"
"  --max-body BYTES       largest blob accepted (default 2G)\n"
"  --fsync                make every blob durable before answering 200\n"
"  --reuseport            share PORT with other processes (SO_REUSEPORT)\n"
"  --access-log[=FILE]    one line per request, on stderr or to FILE\n"
"                         (SIGHUP reopens FILE)\n"
"  --tokens FILE          require Authorization: Token on /blobs/; FILE has\n"
"                         lines \"USER SHA256-OF-TOKEN\" (SIGHUP reloads it)\n"
"  --head-timeout SECS    to receive a request head (default 20)\n"
"  --body-timeout SECS    between two reads of a body or two writes of a\n"
"                         response (default 30)\n"
"  --idle-timeout SECS    between two requests on a connection (default 60)\n"
"  --grace SECS           to finish requests after SIGTERM (default 10)\n"
"  --max-connections N    open connections at most; more get 503\n"
"                         (default 10000, or what the fd limit allows)\n"
"  --ready-fd FD          write \"READY PORT\" to FD once listening\n"
"  --log-level LEVEL      debug, info, warn or error (default info)\n"
"  -h, --help             this help\n"
"  --version              the version\n");
}

static int fail_usage(const char *what, const char *value)
{
    fprintf(stderr, "blobs-server: invalid %s: '%s' (see --help)\n", what,
            value ? value : "");
    return 2;
}

/* Seconds as a decimal with up to 3 fractional digits, e.g. "0.5". */
static int parse_seconds(const char *text, int64_t *out_ns)
{
    char *end;
    double seconds = strtod(text, &end);

    if (end == text || *end != '\0' || !(seconds > 0) || seconds > 86400)
        return -1;
    *out_ns = (int64_t)(seconds * 1e9);
    return 0;
}

/*
 * 10000, or fewer under a low descriptor limit: a quarter of the limit
 * (16 to 256) stays free for the files that requests open (an upload
 * holds three) and 8 for the server's own (listener, epoll, signals,
 * log...), so that a server full of connections can still serve them.
 */
static unsigned default_max_connections(void)
{
    struct rlimit limit;
    uint64_t files, cap = 10000;

    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
        limit.rlim_cur == RLIM_INFINITY)
        return (unsigned)cap;

    files = limit.rlim_cur / 4;
    files = files < 16 ? 16 : files > 256 ? 256 : files;
    if (limit.rlim_cur <= files + 8 + 1)
        return 1;
    if (limit.rlim_cur - files - 8 < cap)
        cap = limit.rlim_cur - files - 8;
    return (unsigned)cap;
}

enum {
    OPT_LISTEN = 256, OPT_QUOTA, OPT_MAX_BODY, OPT_FSYNC, OPT_REUSEPORT,
    OPT_ACCESS_LOG, OPT_HEAD_TIMEOUT, OPT_BODY_TIMEOUT, OPT_IDLE_TIMEOUT,
    OPT_GRACE, OPT_MAX_CONNECTIONS, OPT_READY_FD, OPT_LOG_LEVEL, OPT_VERSION,
    OPT_TOKENS,
};

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "quota", required_argument, NULL, OPT_QUOTA },
        { "max-body", required_argument, NULL, OPT_MAX_BODY },
        { "fsync", no_argument, NULL, OPT_FSYNC },
        { "reuseport", no_argument, NULL, OPT_REUSEPORT },
        { "access-log", optional_argument, NULL, OPT_ACCESS_LOG },
        { "tokens", required_argument, NULL, OPT_TOKENS },
        { "head-timeout", required_argument, NULL, OPT_HEAD_TIMEOUT },
        { "body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT },
        { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
        { "grace", required_argument, NULL, OPT_GRACE },
        { "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
        { "ready-fd", required_argument, NULL, OPT_READY_FD },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    struct server_options o = {
        .listen_address = "127.0.0.1",
        .quota = 200ull << 20,
        .max_body = 2ull << 30,
        .ready_fd = -1,
        .head_timeout_ns = 20 * NS_PER_SEC,
        .body_timeout_ns = 30 * NS_PER_SEC,
        .idle_timeout_ns = 60 * NS_PER_SEC,
        .grace_ns = 10 * NS_PER_SEC,
        .max_connections = default_max_connections(),
    };
    uint64_t number;
    int opt;

    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_LISTEN:
            o.listen_address = optarg;
            break;
        case OPT_QUOTA:
            if (parse_size(optarg, &o.quota) < 0)
                return fail_usage("--quota", optarg);
            break;
        case OPT_MAX_BODY:
            if (parse_size(optarg, &o.max_body) < 0)
                return fail_usage("--max-body", optarg);
            break;
        case OPT_FSYNC:
            o.fsync = true;
            break;
        case OPT_REUSEPORT:
            o.reuseport = true;
            break;
        case OPT_ACCESS_LOG:
            o.access_log = optarg ? optarg : "-";
            break;
        case OPT_TOKENS:
            o.tokens = optarg;
            break;
        case OPT_HEAD_TIMEOUT:
            if (parse_seconds(optarg, &o.head_timeout_ns) < 0)
                return fail_usage("--head-timeout", optarg);
            break;
        case OPT_BODY_TIMEOUT:
            if (parse_seconds(optarg, &o.body_timeout_ns) < 0)
                return fail_usage("--body-timeout", optarg);
            break;
        case OPT_IDLE_TIMEOUT:
            if (parse_seconds(optarg, &o.idle_timeout_ns) < 0)
                return fail_usage("--idle-timeout", optarg);
            break;
        case OPT_GRACE:
            if (parse_seconds(optarg, &o.grace_ns) < 0)
                return fail_usage("--grace", optarg);
            break;
        case OPT_MAX_CONNECTIONS:
            if (parse_u64(optarg, 1000000, &number) < 0 || number == 0)
                return fail_usage("--max-connections", optarg);
            o.max_connections = (unsigned)number;
            break;
        case OPT_READY_FD:
            if (parse_u64(optarg, 65535, &number) < 0)
                return fail_usage("--ready-fd", optarg);
            o.ready_fd = (int)number;
            break;
        case OPT_LOG_LEVEL:
            if (strcmp(optarg, "debug") == 0)
                log_threshold = LOG_DEBUG;
            else if (strcmp(optarg, "info") == 0)
                log_threshold = LOG_INFO;
            else if (strcmp(optarg, "warn") == 0)
                log_threshold = LOG_WARN;
            else if (strcmp(optarg, "error") == 0)
                log_threshold = LOG_ERROR;
            else
                return fail_usage("--log-level", optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("blobs-server %s\n", VERSION);
            return 0;
        default:
            fprintf(stderr, "blobs-server: see --help\n");
            return 2;
        }
    }

    if (argc - optind != 2) {
        fprintf(stderr, "blobs-server: expected DIR and PORT (see --help)\n");
        return 2;
    }
    o.root = argv[optind];
    if (parse_u64(argv[optind + 1], 65535, &number) < 0 || number == 0)
        return fail_usage("PORT", argv[optind + 1]);
    o.port = (uint16_t)number;

    return server_run(&o);
}
