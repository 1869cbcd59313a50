/*
 * The command line.
 *
 * The original client took `--ACTION AMOUNT SIZE` through argparse, so
 * options and the two numbers may come in any order, "--name value" or
 * "--name=value". A small table-driven parser does that and names the bad
 * option exactly, which getopt's own messages would not.
 */
#include "bench_options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net.h"

#define DEFAULT_URL "http://127.0.0.1:8000"
#define DEFAULT_CONNECTIONS 10
#define DEFAULT_TIMEOUT_S 10.0

enum option_id {
    OPT_ACTION,
    OPT_URL,
    OPT_USER,
    OPT_CONNECTIONS,
    OPT_THREADS,
    OPT_REPEATS,
    OPT_DURATION,
    OPT_WARMUP,
    OPT_RATE,
    OPT_TIMEOUT,
    OPT_TIME_LIMIT,
    OPT_PATH,
    OPT_EXPECT_LENGTH,
    OPT_FORMAT,
    OPT_PROCS,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_HELP,
    OPT_VERSION,
};

struct option_spec {
    const char *name;
    char short_name;
    bool takes_value;
    enum option_id id;
    enum bench_action action;        /* with OPT_ACTION */
};

static const struct option_spec option_specs[] = {
    { "baseline", 0, false, OPT_ACTION, BENCH_BASELINE },
    { "list", 0, false, OPT_ACTION, BENCH_LIST },
    { "put", 0, false, OPT_ACTION, BENCH_PUT },
    { "get", 0, false, OPT_ACTION, BENCH_GET },
    { "flag", 0, false, OPT_ACTION, BENCH_FLAG },
    { "delete", 0, false, OPT_ACTION, BENCH_DELETE },
    { "url", 'u', true, OPT_URL, 0 },
    { "user", 0, true, OPT_USER, 0 },
    { "connections", 'c', true, OPT_CONNECTIONS, 0 },
    { "threads", 't', true, OPT_THREADS, 0 },
    { "repeats", 'r', true, OPT_REPEATS, 0 },
    { "duration", 'd', true, OPT_DURATION, 0 },
    { "warmup", 0, true, OPT_WARMUP, 0 },
    { "rate", 'R', true, OPT_RATE, 0 },
    { "timeout", 0, true, OPT_TIMEOUT, 0 },
    { "time-limit", 0, true, OPT_TIME_LIMIT, 0 },
    { "path", 0, true, OPT_PATH, 0 },
    { "expect-length", 0, true, OPT_EXPECT_LENGTH, 0 },
    { "format", 'f', true, OPT_FORMAT, 0 },
    { "procs", 0, true, OPT_PROCS, 0 },
    { "progress", 0, false, OPT_PROGRESS, 0 },
    { "no-progress", 0, false, OPT_NO_PROGRESS, 0 },
    { "help", 'h', false, OPT_HELP, 0 },
    { "version", 0, false, OPT_VERSION, 0 },
};

#define OPTION_COUNT (sizeof(option_specs) / sizeof(option_specs[0]))

void bench_options_usage(FILE *out)
{
    fputs(
"Usage: blobs-bench --ACTION AMOUNT SIZE [options]\n"
"\n"
"Load a blobs server with AMOUNT operations of one ACTION and check every\n"
"answer. Exit status: 0 when every operation succeeded, 1 when any failed,\n"
"2 for bad usage.\n"
"\n"
"Actions (one of):\n"
"  --baseline          GET /, an empty 200\n"
"  --list              GET /blobs/USER/, a JSON array\n"
"  --put               PUT a fresh blob of SIZE KiB\n"
"  --get               PUT, then GET it back (bytes compared)\n"
"  --flag              PUT, then POST [\"PROCESSING\"] to it\n"
"  --delete            PUT, then DELETE it\n"
"  AMOUNT              operations per run (get, flag, delete: 2 requests\n"
"                      each); 0 means no limit, with --duration only\n"
"  SIZE                upload size in KiB (read but unused by baseline\n"
"                      and list, as in the original)\n"
"\n"
"Target and load:\n"
"  -u, --url URL       http://HOST[:PORT][/PREFIX], HOST an IPv4 address or\n"
"                      localhost (default " DEFAULT_URL ")\n"
"      --user NAME     blob owner (default: bench-TIME-PID, fresh per\n"
"                      invocation, so runs never collide)\n"
"  -c, --connections N keep-alive connections (default 10)\n"
"  -t, --threads N     threads, one epoll loop each (default 1); the\n"
"                      connections are shared out among them\n"
"  -r, --repeats N     runs, each on fresh connections (default 1)\n"
"  -d, --duration S    run for S seconds (AMOUNT, if not 0, still caps\n"
"                      the operations); answers due at the end still count\n"
"      --warmup N      first run N operations that are not counted\n"
"  -R, --rate R        open loop: R operations per second on a fixed\n"
"                      schedule, latency measured from when each was due\n"
"                      (default: closed loop, each connection sends when\n"
"                      its last answer came)\n"
"      --timeout S     deadline of each request and connect (default 10)\n"
"      --time-limit S  end each run after S seconds; operations still\n"
"                      open count as timeouts, those not begun as\n"
"                      unfinished (default: none)\n"
"      --path PATH     with --baseline: GET PATH instead of /, accepting\n"
"                      any body unless --expect-length is given\n"
"      --expect-length N  with --baseline: the body must be N bytes\n"
"\n"
"Output:\n"
"  -f, --format F      summary (default, readable), seed (the original's\n"
"                      line `PROCS ACTION AMOUNT SIZE SECONDS`, one line\n"
"                      per repeat), tsv (a header, then one row per\n"
"                      repeat), json (one object per line per repeat, with\n"
"                      the options and the host)\n"
"      --procs N       the PROCS column of --format seed (default 1)\n"
"      --progress, --no-progress\n"
"                      a progress line on stderr (default: when stderr is\n"
"                      a terminal)\n"
"  -h, --help          this text\n"
"      --version       the version\n",
        out);
}

bool bench_name_valid(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > BENCH_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!isalnum(c) && c != '_' && c != '-')
            return false;
    }
    return true;
}

int bench_parse_positive(const char *text, double *out)
{
    char *end;
    double value;

    if (text == NULL || !(isdigit((unsigned char)text[0]) || text[0] == '.'))
        return -1;

    errno = 0;
    value = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !isfinite(value) || value <= 0 ||
        value > BENCH_MAX_DECIMAL)
        return -1;

    *out = value;
    return 0;
}

int bench_url_parse(const char *text, struct bench_url *url,
                    const char **why)
{
    const char *authority, *slash, *colon;
    size_t authority_len, host_len;
    uint64_t port = 80;

    memset(url, 0, sizeof(*url));

    if (strncasecmp(text, "http://", 7) != 0) {
        *why = "only http:// URLs are supported";
        return -1;
    }
    authority = text + 7;
    slash = strchr(authority, '/');
    authority_len = slash ? (size_t)(slash - authority) : strlen(authority);

    if (strcspn(text, "?#") != strlen(text)) {
        *why = "a query or fragment has no place in the target URL";
        return -1;
    }
    if (memchr(authority, '@', authority_len) != NULL ||
        memchr(authority, '[', authority_len) != NULL) {
        *why = "user info and IPv6 addresses are not supported";
        return -1;
    }
    if (authority_len == 0 || authority_len >= sizeof(url->authority)) {
        *why = "missing or overlong host";
        return -1;
    }
    memcpy(url->authority, authority, authority_len);

    colon = memchr(authority, ':', authority_len);
    host_len = colon ? (size_t)(colon - authority) : authority_len;
    if (host_len == 0 || host_len > BENCH_HOST_MAX) {
        *why = "missing or overlong host";
        return -1;
    }
    memcpy(url->host, authority, host_len);

    if (colon != NULL) {
        char digits[8];
        size_t digits_len = authority_len - host_len - 1;

        if (digits_len == 0 || digits_len >= sizeof(digits)) {
            *why = "bad port";
            return -1;
        }
        memcpy(digits, colon + 1, digits_len);
        digits[digits_len] = '\0';
        if (parse_u64(digits, 65535, &port) < 0 || port == 0) {
            *why = "bad port";
            return -1;
        }
    }
    url->port = (uint16_t)port;

    if (slash != NULL) {
        size_t len = strlen(slash);

        /* The prefix is joined to paths that begin with '/'. */
        while (len > 0 && slash[len - 1] == '/')
            len--;
        if (len > BENCH_PREFIX_MAX) {
            *why = "path too long";
            return -1;
        }
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)slash[i];

            if (c <= 0x20 || c >= 0x7f) {
                *why = "the path must be printable ASCII without spaces";
                return -1;
            }
        }
        memcpy(url->prefix, slash, len);
    }

    if (net_address(url->host, url->port, &url->address) < 0) {
        *why = "the host must be a dotted IPv4 address or localhost";
        return -1;
    }
    return 0;
}

static const struct option_spec *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (strlen(option_specs[i].name) == len &&
            memcmp(option_specs[i].name, name, len) == 0)
            return &option_specs[i];
    }
    return NULL;
}

static const struct option_spec *find_short(char name)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (option_specs[i].short_name == name)
            return &option_specs[i];
    }
    return NULL;
}

static enum bench_parse_result fail(char *err, size_t err_len,
                                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum bench_parse_result fail(char *err, size_t err_len,
                                    const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return BENCH_PARSE_ERROR;
}

static int parse_count(const char *value, uint64_t min, uint64_t max,
                       unsigned *out)
{
    uint64_t n;

    if (parse_u64(value, max, &n) < 0 || n < min)
        return -1;
    *out = (unsigned)n;
    return 0;
}

static int parse_format(const char *value, enum bench_format *out)
{
    static const char *const names[] = {
        [BENCH_FORMAT_SUMMARY] = "summary",
        [BENCH_FORMAT_SEED] = "seed",
        [BENCH_FORMAT_TSV] = "tsv",
        [BENCH_FORMAT_JSON] = "json",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(value, names[i]) == 0) {
            *out = (enum bench_format)i;
            return 0;
        }
    }
    return -1;
}

static bool path_valid(const char *path)
{
    if (path[0] != '/' || strlen(path) > BENCH_PREFIX_MAX)
        return false;
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

/* Apply one option with its value; 0, or -1 when the value is bad. */
static int apply_option(struct bench_options *o, const struct option_spec *s,
                        const char *value, const char **why)
{
    uint64_t n;

    switch (s->id) {
    case OPT_URL:
        if (strlen(value) >= sizeof(o->url_text)) {
            *why = "URL too long";
            return -1;
        }
        strcpy(o->url_text, value);
        return bench_url_parse(value, &o->url, why);
    case OPT_USER:
        if (!bench_name_valid(value))
            return -1;
        strcpy(o->user, value);
        return 0;
    case OPT_CONNECTIONS:
        return parse_count(value, 1, BENCH_MAX_CONNECTIONS, &o->connections);
    case OPT_THREADS:
        return parse_count(value, 1, BENCH_MAX_THREADS, &o->threads);
    case OPT_REPEATS:
        return parse_count(value, 1, BENCH_MAX_REPEATS, &o->repeats);
    case OPT_PROCS:
        return parse_count(value, 1, 1000000, &o->procs);
    case OPT_DURATION:
        return bench_parse_positive(value, &o->duration_s);
    case OPT_RATE:
        return bench_parse_positive(value, &o->rate);
    case OPT_TIMEOUT:
        return bench_parse_positive(value, &o->timeout_s);
    case OPT_TIME_LIMIT:
        return bench_parse_positive(value, &o->time_limit_s);
    case OPT_WARMUP:
        return parse_u64(value, UINT32_MAX, &o->warmup);
    case OPT_EXPECT_LENGTH:
        if (parse_u64(value, INT64_MAX, &n) < 0)
            return -1;
        o->expect_length = (int64_t)n;
        return 0;
    case OPT_PATH:
        if (!path_valid(value))
            return -1;
        strcpy(o->path, value);
        return 0;
    case OPT_FORMAT:
        return parse_format(value, &o->format);
    default:
        return -1;
    }
}

/* What a good value looks like, for the error message. */
static const char *option_expects(enum option_id id)
{
    switch (id) {
    case OPT_USER:
        return "expected 1 to 200 of A-Z a-z 0-9 _ -";
    case OPT_CONNECTIONS:
        return "expected a whole number from 1 to 100000";
    case OPT_THREADS:
        return "expected a whole number from 1 to 256";
    case OPT_REPEATS:
        return "expected a whole number from 1 to 100000";
    case OPT_PROCS:
        return "expected a whole number from 1";
    case OPT_WARMUP:
        return "expected a whole number of operations";
    case OPT_EXPECT_LENGTH:
        return "expected a whole number of bytes";
    case OPT_PATH:
        return "expected a path starting with /, printable, no spaces";
    case OPT_FORMAT:
        return "expected summary, seed, tsv or json";
    case OPT_RATE:
        return "expected operations per second above 0";
    default:
        return "expected a number of seconds above 0";
    }
}

static void set_defaults(struct bench_options *o)
{
    const char *why;

    memset(o, 0, sizeof(*o));
    o->action = BENCH_ACTIONS;
    strcpy(o->url_text, DEFAULT_URL);
    bench_url_parse(DEFAULT_URL, &o->url, &why);
    o->connections = DEFAULT_CONNECTIONS;
    o->threads = 1;
    o->repeats = 1;
    o->timeout_s = DEFAULT_TIMEOUT_S;
    o->expect_length = -1;
    o->format = BENCH_FORMAT_SUMMARY;
    o->procs = 1;
    o->progress = -1;
}

/* The checks that need every option seen. */
static enum bench_parse_result check_whole(struct bench_options *o,
                                           const char *positional[2],
                                           int positional_count,
                                           char *err, size_t err_len)
{
    uint64_t max_amount = UINT64_MAX / 2;

    if (o->action == BENCH_ACTIONS)
        return fail(err, err_len, "no action: give one of --baseline "
                    "--list --put --get --flag --delete");
    if (positional_count != 2)
        return fail(err, err_len, "expected AMOUNT and SIZE after the "
                    "action, got %d number(s)", positional_count);

    if (parse_u64(positional[0], max_amount, &o->amount) < 0)
        return fail(err, err_len, "AMOUNT: expected a whole number, "
                    "got '%s'", positional[0]);
    if (o->amount == 0 && o->duration_s == 0)
        return fail(err, err_len, "AMOUNT: must be at least 1 (0 means "
                    "no limit, with --duration only)");
    if (parse_u64(positional[1], BENCH_MAX_SIZE_KIB, &o->size_kib) < 0)
        return fail(err, err_len, "SIZE: expected KiB from 0 to %d, "
                    "got '%s'", BENCH_MAX_SIZE_KIB, positional[1]);

    if ((o->path[0] != '\0' || o->expect_length >= 0) &&
        o->action != BENCH_BASELINE)
        return fail(err, err_len, "--path and --expect-length go with "
                    "--baseline only");
    if (o->path[0] == '\0' && o->expect_length < 0 &&
        o->action == BENCH_BASELINE)
        o->expect_length = 0;
    return BENCH_PARSE_RUN;
}

enum bench_parse_result bench_options_parse(int argc, char **argv,
                                            struct bench_options *o,
                                            char *err, size_t err_len)
{
    const char *positional[2];
    int positional_count = 0;
    bool options_done = false;

    set_defaults(o);

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const struct option_spec *spec = NULL;
        const char *value = NULL;
        const char *why;
        char shown[64];

        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (positional_count == 2)
                return fail(err, err_len, "unexpected argument '%s'", arg);
            positional[positional_count++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }

        if (arg[1] == '-') {
            const char *equals = strchr(arg + 2, '=');
            size_t len = equals ? (size_t)(equals - arg - 2)
                                : strlen(arg + 2);

            spec = find_long(arg + 2, len);
            if (equals != NULL)
                value = equals + 1;
            snprintf(shown, sizeof(shown), "--%.*s", (int)len, arg + 2);
        } else {
            spec = arg[2] == '\0' ? find_short(arg[1]) : NULL;
            snprintf(shown, sizeof(shown), "%s", arg);
        }
        if (spec == NULL)
            return fail(err, err_len, "unknown option '%s'", shown);
        snprintf(shown, sizeof(shown), "--%s", spec->name);

        if (!spec->takes_value && value != NULL)
            return fail(err, err_len, "%s takes no value", shown);
        if (spec->takes_value && value == NULL) {
            if (i + 1 == argc)
                return fail(err, err_len, "%s needs a value", shown);
            value = argv[++i];
        }

        switch (spec->id) {
        case OPT_HELP:
            return BENCH_PARSE_HELP;
        case OPT_VERSION:
            return BENCH_PARSE_VERSION;
        case OPT_PROGRESS:
            o->progress = 1;
            continue;
        case OPT_NO_PROGRESS:
            o->progress = 0;
            continue;
        case OPT_ACTION:
            if (o->action != BENCH_ACTIONS && o->action != spec->action)
                return fail(err, err_len, "%s: only one action per run "
                            "(already --%s)", shown,
                            bench_action_name(o->action));
            o->action = spec->action;
            continue;
        default:
            break;
        }

        why = NULL;
        if (apply_option(o, spec, value, &why) < 0)
            return fail(err, err_len, "%s: %s, got '%s'", shown,
                        why ? why : option_expects(spec->id), value);
    }

    return check_whole(o, positional, positional_count, err, err_len);
}
