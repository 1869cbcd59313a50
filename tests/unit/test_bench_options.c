/*
 * The load client's command line and target URL: what the original took
 * still works, defaults are the agreed ones, and every bad option is
 * refused with a message that names it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "bench_options.h"

#define MAX_ARGS 32

static struct bench_options options;
static char err[512];

/* Parse a command line given as one string split at spaces. */
static enum bench_parse_result parse(const char *line)
{
    static char copy[1024];
    char *argv[MAX_ARGS] = { "blobs-bench" };
    int argc = 1;

    snprintf(copy, sizeof(copy), "%s", line);
    for (char *word = strtok(copy, " "); word; word = strtok(NULL, " ")) {
        assert_true(argc < MAX_ARGS - 1);
        argv[argc++] = word;
    }
    argv[argc] = NULL;
    err[0] = '\0';
    return bench_options_parse(argc, argv, &options, err, sizeof(err));
}

static void expect_error(const char *line, const char *needle)
{
    if (parse(line) != BENCH_PARSE_ERROR)
        fail_msg("'%s' was accepted", line);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", line, err, needle);
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse("--get 1000 10"), BENCH_PARSE_RUN);
    assert_int_equal(options.action, BENCH_GET);
    assert_int_equal(options.amount, 1000);
    assert_int_equal(options.size_kib, 10);
    assert_string_equal(options.url_text, "http://127.0.0.1:8000");
    assert_string_equal(options.url.authority, "127.0.0.1:8000");
    assert_int_equal(options.url.port, 8000);
    assert_string_equal(options.url.prefix, "");
    assert_string_equal(options.user, "");
    assert_int_equal(options.connections, 10);
    assert_int_equal(options.threads, 1);
    assert_int_equal(options.repeats, 1);
    assert_int_equal(options.warmup, 0);
    assert_true(options.duration_s == 0);
    assert_true(options.rate == 0);
    assert_true(options.timeout_s == 10);
    assert_true(options.time_limit_s == 0);
    assert_int_equal(options.format, BENCH_FORMAT_SUMMARY);
    assert_int_equal(options.procs, 1);
    assert_int_equal(options.progress, -1);
    assert_int_equal(options.expect_length, -1);
}

/* argparse let the original's numbers and flag come in any order. */
static void test_any_order(void **state)
{
    (void)state;
    assert_int_equal(parse("1000 10 --put"), BENCH_PARSE_RUN);
    assert_int_equal(options.action, BENCH_PUT);
    assert_int_equal(options.amount, 1000);

    assert_int_equal(parse("100 --delete 1000 -c 4"), BENCH_PARSE_RUN);
    assert_int_equal(options.action, BENCH_DELETE);
    assert_int_equal(options.amount, 100);
    assert_int_equal(options.size_kib, 1000);
    assert_int_equal(options.connections, 4);

    /* Repeating the same action is harmless. */
    assert_int_equal(parse("--flag --flag 5 1"), BENCH_PARSE_RUN);
    assert_int_equal(options.action, BENCH_FLAG);
}

static void test_every_option(void **state)
{
    (void)state;
    assert_int_equal(parse("--list 5 0 --url=http://localhost:9000/api/ "
                           "--user alice_1 --connections 50 -t 2 -r 3 "
                           "--warmup 100 --timeout 2.5 --time-limit 60 "
                           "-f tsv --procs 8 --no-progress"),
                     BENCH_PARSE_RUN);
    assert_int_equal(options.action, BENCH_LIST);
    assert_string_equal(options.url.authority, "localhost:9000");
    assert_string_equal(options.url.host, "localhost");
    assert_int_equal(options.url.port, 9000);
    assert_string_equal(options.url.prefix, "/api");
    assert_int_equal(options.url.address.sin_addr.s_addr,
                     htonl(INADDR_LOOPBACK));
    assert_string_equal(options.user, "alice_1");
    assert_int_equal(options.connections, 50);
    assert_int_equal(options.threads, 2);
    assert_int_equal(options.repeats, 3);
    assert_int_equal(options.warmup, 100);
    assert_true(options.timeout_s == 2.5);
    assert_true(options.time_limit_s == 60);
    assert_int_equal(options.format, BENCH_FORMAT_TSV);
    assert_int_equal(options.procs, 8);
    assert_int_equal(options.progress, 0);

    assert_int_equal(parse("--baseline 0 0 -d 1.5 -R 2000 --path /x/y.txt "
                           "--expect-length 10240 --format json --progress"),
                     BENCH_PARSE_RUN);
    assert_true(options.duration_s == 1.5);
    assert_true(options.rate == 2000);
    assert_string_equal(options.path, "/x/y.txt");
    assert_int_equal(options.expect_length, 10240);
    assert_int_equal(options.format, BENCH_FORMAT_JSON);
    assert_int_equal(options.progress, 1);

    assert_int_equal(parse("--put 1 1 --format seed"), BENCH_PARSE_RUN);
    assert_int_equal(options.format, BENCH_FORMAT_SEED);
}

/* The baseline expects the empty body of GET / unless told otherwise. */
static void test_baseline_expectation(void **state)
{
    (void)state;
    assert_int_equal(parse("--baseline 1 1"), BENCH_PARSE_RUN);
    assert_int_equal(options.expect_length, 0);
    assert_int_equal(parse("--baseline 1 1 --path /index.html"),
                     BENCH_PARSE_RUN);
    assert_int_equal(options.expect_length, -1);
}

static void test_help_and_version(void **state)
{
    (void)state;
    assert_int_equal(parse("--help"), BENCH_PARSE_HELP);
    assert_int_equal(parse("-h"), BENCH_PARSE_HELP);
    assert_int_equal(parse("--get 1 1 --help"), BENCH_PARSE_HELP);
    assert_int_equal(parse("--version"), BENCH_PARSE_VERSION);
}

static void test_bad_usage(void **state)
{
    (void)state;
    expect_error("", "no action");
    expect_error("1000 10", "no action");
    expect_error("--get 1000", "AMOUNT and SIZE");
    expect_error("--get", "AMOUNT and SIZE");
    expect_error("--get 1 2 3", "unexpected argument '3'");
    expect_error("--get --put 1 1", "only one action");
    expect_error("--fetch 1 1", "unknown option '--fetch'");
    expect_error("--get 1 1 -x", "unknown option '-x'");
    expect_error("--get 1 1 -c5", "unknown option '-c5'");
    expect_error("--get 1 1 --list=yes", "--list takes no value");
    expect_error("--get 1 1 --connections", "--connections needs a value");
    expect_error("--get ten 1", "AMOUNT");
    expect_error("--get -5 1", "unknown option '-5'");
    expect_error("--get 0 1", "AMOUNT: must be at least 1");
    expect_error("--get 1 1048577", "SIZE");
    expect_error("--get 1 1k", "SIZE");
    expect_error("--get 1 1 -c 0", "--connections");
    expect_error("--get 1 1 -c 100001", "--connections");
    expect_error("--get 1 1 -c 1x", "got '1x'");
    expect_error("--get 1 1 -t 0", "--threads");
    expect_error("--get 1 1 -t 257", "--threads");
    expect_error("--get 1 1 -r 0", "--repeats");
    expect_error("--get 1 1 -d 0", "--duration");
    expect_error("--get 1 1 -d -1", "--duration");
    expect_error("--get 1 1 -d nan", "--duration");
    expect_error("--get 1 1 -d 1e99", "--duration");
    expect_error("--get 1 1 --rate 0", "--rate");
    expect_error("--get 1 1 --timeout 0", "--timeout");
    expect_error("--get 1 1 --time-limit x", "--time-limit");
    expect_error("--get 1 1 --user a/b", "--user");
    expect_error("--get 1 1 --user ..", "--user");
    expect_error("--get 1 1 -f xml", "summary, seed, tsv or json");
    expect_error("--get 1 1 --path /x", "--baseline only");
    expect_error("--get 1 1 --expect-length 4", "--baseline only");
    expect_error("--baseline 1 1 --path x", "--path");
    expect_error("--get 1 1 --url https://127.0.0.1/", "only http://");
    expect_error("--get 1 1 --url http://example.com/", "IPv4");
}

struct url_case {
    const char *text;
    int ok;
    const char *authority;
    uint16_t port;
    const char *prefix;
};

static void test_urls(void **state)
{
    static const struct url_case cases[] = {
        { "http://127.0.0.1:8000", 1, "127.0.0.1:8000", 8000, "" },
        { "http://127.0.0.1:8000/", 1, "127.0.0.1:8000", 8000, "" },
        { "HTTP://127.0.0.1", 1, "127.0.0.1", 80, "" },
        { "http://localhost:1/a/b//", 1, "localhost:1", 1, "/a/b" },
        { "http://10.1.2.3:65535/x", 1, "10.1.2.3:65535", 65535, "/x" },
        { "http://127.0.0.1:0", 0, NULL, 0, NULL },
        { "http://127.0.0.1:65536", 0, NULL, 0, NULL },
        { "http://127.0.0.1:", 0, NULL, 0, NULL },
        { "http://127.0.0.1:80a", 0, NULL, 0, NULL },
        { "http://:80", 0, NULL, 0, NULL },
        { "http://", 0, NULL, 0, NULL },
        { "http:///path", 0, NULL, 0, NULL },
        { "127.0.0.1:8000", 0, NULL, 0, NULL },
        { "https://127.0.0.1", 0, NULL, 0, NULL },
        { "http://user@127.0.0.1", 0, NULL, 0, NULL },
        { "http://[::1]:80", 0, NULL, 0, NULL },
        { "http://127.0.0.1/?q=1", 0, NULL, 0, NULL },
        { "http://127.0.0.1/#top", 0, NULL, 0, NULL },
        { "http://127.0.0.1/a b", 0, NULL, 0, NULL },
        { "http://256.0.0.1", 0, NULL, 0, NULL },
        { "http://blobs.example", 0, NULL, 0, NULL },
    };
    struct bench_url url;
    const char *why;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct url_case *c = &cases[i];
        int result = bench_url_parse(c->text, &url, &why);

        if (!c->ok) {
            if (result != -1)
                fail_msg("'%s' was accepted", c->text);
            assert_non_null(why);
            continue;
        }
        if (result != 0)
            fail_msg("'%s' was refused: %s", c->text, why);
        assert_string_equal(url.authority, c->authority);
        assert_int_equal(url.port, c->port);
        assert_string_equal(url.prefix, c->prefix);
        assert_int_equal(ntohs(url.address.sin_port), c->port);
    }
}

static void test_names(void **state)
{
    char longest[BENCH_NAME_MAX + 2];

    (void)state;
    assert_true(bench_name_valid("bench-20240101-120000-42"));
    assert_true(bench_name_valid("A_z-09"));
    assert_false(bench_name_valid(""));
    assert_false(bench_name_valid("a.b"));
    assert_false(bench_name_valid("a b"));
    assert_false(bench_name_valid("%2e"));

    memset(longest, 'x', BENCH_NAME_MAX);
    longest[BENCH_NAME_MAX] = '\0';
    assert_true(bench_name_valid(longest));
    longest[BENCH_NAME_MAX] = 'x';
    longest[BENCH_NAME_MAX + 1] = '\0';
    assert_false(bench_name_valid(longest));
}

static void test_positive_numbers(void **state)
{
    double value;

    (void)state;
    assert_int_equal(bench_parse_positive("0.25", &value), 0);
    assert_true(value == 0.25);
    assert_int_equal(bench_parse_positive(".5", &value), 0);
    assert_int_equal(bench_parse_positive("3", &value), 0);
    assert_int_equal(bench_parse_positive("0", &value), -1);
    assert_int_equal(bench_parse_positive("-1", &value), -1);
    assert_int_equal(bench_parse_positive("1s", &value), -1);
    assert_int_equal(bench_parse_positive("inf", &value), -1);
    assert_int_equal(bench_parse_positive("", &value), -1);
    assert_int_equal(bench_parse_positive(" 1", &value), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_any_order),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_baseline_expectation),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_bad_usage),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_positive_numbers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
