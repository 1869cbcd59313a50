/*
 * The supervisor's pure parts: its command line, the back-off between
 * restarts, the readiness line a server writes, and the ready line and
 * file that scripts read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "reactor.h"
#include "supervisor.h"
#include "supervisor_child.h"

#define MAX_ARGS 80

static struct supervisor_options options;
static char err[256];

/* Parse a command line given as one string split at spaces. */
static int parse(const char *line)
{
    static char copy[1024];
    char *argv[MAX_ARGS] = { "supervisor" };
    int argc = 1;

    snprintf(copy, sizeof(copy), "%s", line);
    for (char *word = strtok(copy, " "); word; word = strtok(NULL, " ")) {
        assert_true(argc < MAX_ARGS - 1);
        argv[argc++] = word;
    }
    argv[argc] = NULL;
    err[0] = '\0';
    return supervisor_options_parse(&options, argc, argv, err, sizeof(err));
}

static void expect_error(const char *line, const char *needle)
{
    if (parse(line) != -1)
        fail_msg("'%s' was accepted", line);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", line, err, needle);
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_int_equal(options.procs, 4);
    assert_int_equal(options.base_port, 8001);
    assert_int_equal(options.port, 8000);
    assert_string_equal(options.listen_address, "127.0.0.1");
    assert_string_equal(options.dir, "/tmp/blobs");
    assert_null(options.server);
    assert_int_equal(options.server_arg_count, 0);
    assert_int_equal(options.front, SUPERVISOR_FRONT_HAPROXY);
    assert_int_equal(options.haproxy_variant, SUPERVISOR_HAPROXY_HTTP);
    assert_string_equal(options.haproxy, "/usr/sbin/haproxy");
    assert_null(options.haproxy_generator);
    assert_null(options.ready_file);
    assert_true(options.grace_ns > 10 * NS_PER_SEC);
    assert_int_equal(options.start_timeout_ns, 10 * NS_PER_SEC);
    assert_int_equal(options.start_attempts, 5);
}

static void test_every_option(void **state)
{
    (void)state;
    assert_int_equal(parse("--procs 8 --base-port 9001 --port=9000 "
                           "--listen 127.0.0.2 --dir /tmp/x --server ./s "
                           "--server-arg --access-log --server-arg=--fsync "
                           "--front reuseport --haproxy-variant tcp "
                           "--haproxy /bin/hap --haproxy-gen ./gen "
                           "--ready-file /tmp/r --grace 0.5 "
                           "--start-timeout 2 --start-attempts 3"), 0);
    assert_int_equal(options.procs, 8);
    assert_int_equal(options.base_port, 9001);
    assert_int_equal(options.port, 9000);
    assert_string_equal(options.listen_address, "127.0.0.2");
    assert_string_equal(options.dir, "/tmp/x");
    assert_string_equal(options.server, "./s");
    assert_int_equal(options.server_arg_count, 2);
    assert_string_equal(options.server_args[0], "--access-log");
    assert_string_equal(options.server_args[1], "--fsync");
    assert_int_equal(options.front, SUPERVISOR_FRONT_REUSEPORT);
    assert_int_equal(options.haproxy_variant, SUPERVISOR_HAPROXY_TCP);
    assert_string_equal(options.haproxy, "/bin/hap");
    assert_string_equal(options.haproxy_generator, "./gen");
    assert_string_equal(options.ready_file, "/tmp/r");
    assert_int_equal(options.grace_ns, 500 * NS_PER_MS);
    assert_int_equal(options.start_timeout_ns, 2 * NS_PER_SEC);
    assert_int_equal(options.start_attempts, 3);

    assert_int_equal(parse("--front none"), 0);
    assert_int_equal(options.front, SUPERVISOR_FRONT_NONE);
    assert_int_equal(parse("--front haproxy --haproxy-variant http"), 0);
    assert_int_equal(options.front, SUPERVISOR_FRONT_HAPROXY);
    assert_int_equal(options.haproxy_variant, SUPERVISOR_HAPROXY_HTTP);
}

static void test_help(void **state)
{
    (void)state;
    assert_int_equal(parse("--procs 2 --help"), 1);
    assert_int_equal(parse("-h"), 1);
    assert_non_null(strstr(supervisor_usage(), "--front"));
}

static void test_bad_options(void **state)
{
    (void)state;
    expect_error("--procs 0", "--procs must be 1 to 64");
    expect_error("--procs 65", "--procs must be 1 to 64");
    expect_error("--procs four", "--procs");
    expect_error("--procs", "--procs needs a value");
    expect_error("--port 0", "bad --port");
    expect_error("--port 65536", "bad --port");
    expect_error("--base-port -1", "bad --base-port");
    expect_error("--listen example.org", "--listen needs an IPv4 address");
    expect_error("--front nginx", "--front is haproxy, reuseport or none");
    expect_error("--haproxy-variant udp", "--haproxy-variant is http or tcp");
    expect_error("--grace soon", "bad --grace");
    expect_error("--grace 1.5s", "bad --grace");
    expect_error("--start-timeout 0", "bad --start-timeout");
    expect_error("--start-attempts 0", "--start-attempts must be 1 to");
    expect_error("--bogus", "unknown option --bogus");
    expect_error("--bogus=1", "unknown option --bogus");
    expect_error("8", "unexpected argument '8'");
    expect_error("-p 8", "unexpected argument '-p'");
}

/* The ports must all exist and haproxy's must not be a server's. */
static void test_port_ranges(void **state)
{
    (void)state;
    expect_error("--procs 4 --base-port 65534", "leaves no room");
    assert_int_equal(parse("--procs 2 --base-port 65534 --port 8000"), 0);
    expect_error("--procs 4 --port 8003", "is one of the servers' ports");
    assert_int_equal(parse("--procs 4 --port 8003 --front none"), 0);
    assert_int_equal(parse("--procs 4 --base-port 65534 --front reuseport"),
                     0);
}

static void test_server_args_limit(void **state)
{
    char line[2048] = "";

    (void)state;
    for (int i = 0; i < SUPERVISOR_MAX_SERVER_ARGS; i++)
        strcat(line, "--server-arg x ");
    assert_int_equal(parse(line), 0);
    strcat(line, "--server-arg x");
    expect_error(line, "more than 32 --server-arg");
}

static void test_seconds(void **state)
{
    int64_t ns;

    (void)state;
    assert_int_equal(supervisor_parse_seconds("10", NS_PER_SEC * 60, &ns), 0);
    assert_int_equal(ns, 10 * NS_PER_SEC);
    assert_int_equal(supervisor_parse_seconds("0.25", NS_PER_SEC, &ns), 0);
    assert_int_equal(ns, 250 * NS_PER_MS);
    assert_int_equal(supervisor_parse_seconds("1.000000001", 2 * NS_PER_SEC,
                                              &ns), 0);
    assert_int_equal(ns, NS_PER_SEC + 1);
    assert_int_equal(supervisor_parse_seconds("0", NS_PER_SEC, &ns), 0);
    assert_int_equal(ns, 0);
    assert_int_equal(supervisor_parse_seconds("2.", 10 * NS_PER_SEC, &ns),
                     0);
    assert_int_equal(ns, 2 * NS_PER_SEC);

    assert_int_equal(supervisor_parse_seconds("61", NS_PER_SEC * 60, &ns),
                     -1);
    assert_int_equal(supervisor_parse_seconds("", NS_PER_SEC, &ns), -1);
    assert_int_equal(supervisor_parse_seconds(".5", NS_PER_SEC, &ns), -1);
    assert_int_equal(supervisor_parse_seconds("-1", NS_PER_SEC, &ns), -1);
    assert_int_equal(supervisor_parse_seconds("1e3", NS_PER_SEC, &ns), -1);
    assert_int_equal(supervisor_parse_seconds("99999999999999999999",
                                              NS_PER_SEC, &ns), -1);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(supervisor_backoff_ns(0), 100 * NS_PER_MS);
    assert_int_equal(supervisor_backoff_ns(1), 100 * NS_PER_MS);
    assert_int_equal(supervisor_backoff_ns(2), 200 * NS_PER_MS);
    assert_int_equal(supervisor_backoff_ns(3), 400 * NS_PER_MS);
    assert_int_equal(supervisor_backoff_ns(6), 3200 * NS_PER_MS);
    assert_int_equal(supervisor_backoff_ns(7), 5 * NS_PER_SEC);
    assert_int_equal(supervisor_backoff_ns(1000), 5 * NS_PER_SEC);
}

static void test_ready_parse(void **state)
{
    static const char whole[] = "READY 8001\n";
    unsigned port = 0;

    (void)state;
    assert_int_equal(supervisor_ready_parse(whole, strlen(whole), &port), 1);
    assert_int_equal(port, 8001);

    /* Every prefix of a good line may still become one. */
    for (size_t len = 0; len < strlen(whole); len++)
        assert_int_equal(supervisor_ready_parse(whole, len, &port), 0);

    assert_int_equal(supervisor_ready_parse("READY 1\n", 8, &port), 1);
    assert_int_equal(port, 1);
    assert_int_equal(supervisor_ready_parse("READY 65535\n", 12, &port), 1);
    assert_int_equal(port, 65535);

    assert_int_equal(supervisor_ready_parse("ready 8001\n", 11, &port), -1);
    assert_int_equal(supervisor_ready_parse("READY\n", 6, &port), -1);
    assert_int_equal(supervisor_ready_parse("READY \n", 7, &port), -1);
    assert_int_equal(supervisor_ready_parse("READY 0\n", 8, &port), -1);
    assert_int_equal(supervisor_ready_parse("READY 65536\n", 12, &port), -1);
    assert_int_equal(supervisor_ready_parse("READY 80a1\n", 11, &port), -1);
    assert_int_equal(supervisor_ready_parse("READY 8001\nX", 12, &port), -1);
    assert_int_equal(supervisor_ready_parse("info: x", 7, &port), -1);
}

static const pid_t pids[] = { 101, 102, 103, 104 };

static void test_ready_line_haproxy(void **state)
{
    char buf[256];

    (void)state;
    assert_int_equal(parse("--procs 4"), 0);
    assert_true(supervisor_ready_line(buf, sizeof(buf), &options, pids,
                                      105) > 0);
    assert_string_equal(buf, "ready: 4 servers on 127.0.0.1:8001-8004, "
                        "haproxy on 127.0.0.1:8000 (pids 101 102 103 104, "
                        "haproxy 105)");

    assert_int_equal(parse("--procs 1 --haproxy-variant tcp --port 7000"),
                     0);
    assert_true(supervisor_ready_line(buf, sizeof(buf), &options, pids,
                                      105) > 0);
    assert_string_equal(buf, "ready: 1 server on 127.0.0.1:8001, haproxy "
                        "(tcp) on 127.0.0.1:7000 (pid 101, haproxy 105)");
}

static void test_ready_line_other_fronts(void **state)
{
    char buf[256];

    (void)state;
    assert_int_equal(parse("--procs 2 --front none --base-port 9001"), 0);
    assert_true(supervisor_ready_line(buf, sizeof(buf), &options, pids,
                                      0) > 0);
    assert_string_equal(buf, "ready: 2 servers on 127.0.0.1:9001-9002 "
                        "(pids 101 102)");

    assert_int_equal(parse("--procs 3 --front reuseport"), 0);
    assert_true(supervisor_ready_line(buf, sizeof(buf), &options, pids,
                                      0) > 0);
    assert_string_equal(buf, "ready: 3 servers on 127.0.0.1:8000 with "
                        "SO_REUSEPORT (pids 101 102 103)");

    assert_int_equal(supervisor_ready_line(buf, 20, &options, pids, 0), -1);
}

static void test_ready_text(void **state)
{
    char buf[512];

    (void)state;
    assert_int_equal(parse("--procs 2"), 0);
    assert_true(supervisor_ready_text(buf, sizeof(buf), &options, pids,
                                      105) > 0);
    assert_string_equal(buf,
        "ready: 2 servers on 127.0.0.1:8001-8002, haproxy on "
        "127.0.0.1:8000 (pids 101 102, haproxy 105)\n"
        "server 8001 101\n"
        "server 8002 102\n"
        "haproxy 8000 105\n");

    assert_int_equal(parse("--procs 2 --front reuseport --port 9000"), 0);
    assert_true(supervisor_ready_text(buf, sizeof(buf), &options, pids,
                                      0) > 0);
    assert_string_equal(buf,
        "ready: 2 servers on 127.0.0.1:9000 with SO_REUSEPORT "
        "(pids 101 102)\n"
        "server 9000 101\n"
        "server 9000 102\n");

    assert_int_equal(supervisor_ready_text(buf, 90, &options, pids, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_port_ranges),
        cmocka_unit_test(test_server_args_limit),
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_ready_parse),
        cmocka_unit_test(test_ready_line_haproxy),
        cmocka_unit_test(test_ready_line_other_fronts),
        cmocka_unit_test(test_ready_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
