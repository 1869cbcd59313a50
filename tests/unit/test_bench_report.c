/*
 * What the load client prints. The TSV columns and the seed line are a
 * contract with the matrix script and the plotter, so they are checked
 * to the byte; JSON and the summary are checked for the facts they must
 * carry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench_options.h"
#include "bench_report.h"
#include "bench_run.h"

/* Agreed with the matrix script and the plotter: these come first, in
 * this order. */
#define AGREED_COLUMNS \
    "version\taction\tamount\tsize_kib\tconnections\testablished\t" \
    "threads\tseconds\toperations\trequests\tops_per_s\treq_per_s\t" \
    "errors\terr_connect\terr_timeout\terr_reset\terr_status\t" \
    "err_framing\terr_body\tlat_mean_us\tlat_p50_us\tlat_p90_us\t" \
    "lat_p99_us\tlat_p999_us\tlat_max_us\tcpu_user_s\tcpu_sys_s"

static struct bench_options options;
static struct bench_result result;
static struct bench_host host;
static char *text;
static size_t text_len;

static void parse_options(const char *format)
{
    char err[256];
    char *argv[] = { "blobs-bench", "--get", "100", "10", "--format",
                     (char *)format, "--procs", "4", "--user", "u1", NULL };

    assert_int_equal(bench_options_parse(10, argv, &options, err,
                                         sizeof(err)), BENCH_PARSE_RUN);
}

/* 100 operations in 2 s, 3 of them answered 500, latencies 1..197 us. */
static void make_result(void)
{
    memset(&result, 0, offsetof(struct bench_result, stats));
    bench_stats_init(&result.stats);
    bench_stats_init(&result.warmup);
    result.repeat = 1;
    result.connections = 10;
    result.established = 9;
    result.threads = 2;
    result.seconds = 2.0;
    result.cpu_user_s = 0.25;
    result.cpu_sys_s = 0.5;
    result.stats.ops_ok = 97;
    result.stats.ops_failed = 3;
    result.stats.requests = 197;
    result.stats.errors[BENCH_ERR_STATUS] = 3;
    result.stats.unexpected_status[500] = 3;
    for (uint64_t v = 1; v <= 197; v++)
        histogram_record(&result.stats.latency_us, v);

    memset(&host, 0, sizeof(host));
    strcpy(host.cpu_model, "Test \"CPU\" @ 1GHz");
    host.cpus = 2;
    host.mem_total_kib = 1024;
    strcpy(host.kernel, "Linux 6.1");
}

static void capture(void (*print)(FILE *))
{
    FILE *out;

    free(text);
    text = NULL;
    out = open_memstream(&text, &text_len);
    assert_non_null(out);
    print(out);
    fclose(out);
}

static void print_run(FILE *out)
{
    bench_report_begin(out, &options);
    bench_report_run(out, &options, &host, &result);
}

static void print_columns(FILE *out)
{
    bench_report_columns(out);
}

static void expect_text(const char *needle)
{
    if (strstr(text, needle) == NULL)
        fail_msg("output lacks '%s':\n%s", needle, text);
}

static void test_columns(void **state)
{
    (void)state;
    capture(print_columns);
    assert_memory_equal(text, AGREED_COLUMNS "\t",
                        strlen(AGREED_COLUMNS "\t"));
    assert_null(strchr(text, '\n'));
}

/* The value of a TSV column in a header and row pair. */
static const char *tsv_value(const char *name)
{
    static char value[128];
    char *copy = strdup(text);
    char *row = strchr(copy, '\n') + 1;
    char *header_save, *row_save;
    char *h = strtok_r(copy, "\t\n", &header_save);
    char *v = strtok_r(row, "\t\n", &row_save);

    value[0] = '\0';
    while (h != NULL && v != NULL) {
        if (strcmp(h, name) == 0) {
            snprintf(value, sizeof(value), "%s", v);
            break;
        }
        h = strtok_r(NULL, "\t\n", &header_save);
        v = strtok_r(NULL, "\t\n", &row_save);
    }
    free(copy);
    return value;
}

static void test_tsv(void **state)
{
    (void)state;
    parse_options("tsv");
    make_result();
    capture(print_run);

    assert_memory_equal(text, AGREED_COLUMNS, strlen(AGREED_COLUMNS));
    assert_string_equal(tsv_value("version"), BENCH_VERSION);
    assert_string_equal(tsv_value("action"), "get");
    assert_string_equal(tsv_value("amount"), "100");
    assert_string_equal(tsv_value("size_kib"), "10");
    assert_string_equal(tsv_value("connections"), "10");
    assert_string_equal(tsv_value("established"), "9");
    assert_string_equal(tsv_value("threads"), "2");
    assert_string_equal(tsv_value("seconds"), "2.000000");
    assert_string_equal(tsv_value("operations"), "97");
    assert_string_equal(tsv_value("requests"), "197");
    assert_string_equal(tsv_value("ops_per_s"), "48.500000");
    assert_string_equal(tsv_value("req_per_s"), "98.500000");
    assert_string_equal(tsv_value("errors"), "3");
    assert_string_equal(tsv_value("err_status"), "3");
    assert_string_equal(tsv_value("err_timeout"), "0");
    assert_string_equal(tsv_value("lat_mean_us"), "99.000000");
    assert_string_equal(tsv_value("lat_p50_us"), "99");
    assert_string_equal(tsv_value("lat_p90_us"), "178");
    assert_string_equal(tsv_value("lat_max_us"), "197");
    assert_string_equal(tsv_value("cpu_user_s"), "0.250000");
    assert_string_equal(tsv_value("cpu_sys_s"), "0.500000");
    assert_string_equal(tsv_value("ops_failed"), "3");
    assert_string_equal(tsv_value("user"), "u1");
}

static void test_seed(void **state)
{
    (void)state;
    parse_options("seed");
    make_result();
    capture(print_run);
    assert_string_equal(text, "4 get 100 10 2.000000\n");
}

static void test_json(void **state)
{
    (void)state;
    parse_options("json");
    make_result();
    capture(print_run);

    assert_int_equal(text[0], '{');
    assert_string_equal(text + text_len - 2, "}\n");
    assert_null(memchr(text, '\n', text_len - 1));
    expect_text("\"version\":\"" BENCH_VERSION "\"");
    expect_text("\"action\":\"get\"");
    expect_text("\"established\":9,");
    expect_text("\"err_status\":3,");
    expect_text("\"lat_p50_us\":99,");
    expect_text("\"unexpected_status\":{\"500\":3}");
    expect_text("\"options\":{\"url\":\"http://127.0.0.1:8000\"");
    expect_text("\"procs\":4}");
    expect_text("\"cpu_model\":\"Test \\\"CPU\\\" @ 1GHz\"");
    expect_text("\"mem_total_kib\":1024");
}

static void test_summary_names_the_failures(void **state)
{
    (void)state;
    parse_options("summary");
    make_result();
    result.stats.errors[BENCH_ERR_TIMEOUT] = 2;
    result.unfinished = 5;
    result.time_limit_hit = true;
    capture(print_run);

    expect_text("run 1/1: 97 operations in 2.000 s");
    expect_text("10 asked, 9 established, on 2 threads");
    expect_text("p50 99");
    expect_text("FAILED: 3 of 100 operations; timeout 2, status 3 "
                "(500 x3)");
    expect_text("FAILED: 5 operations never begun (time limit)");
}

static void test_summary_when_all_is_well(void **state)
{
    (void)state;
    parse_options("summary");
    make_result();
    result.stats.errors[BENCH_ERR_STATUS] = 0;
    result.stats.unexpected_status[500] = 0;
    result.stats.ops_failed = 0;
    capture(print_run);

    expect_text("errors: none");
    assert_null(strstr(text, "FAILED"));
}

static void test_host(void **state)
{
    struct bench_host h;

    (void)state;
    bench_host_read(&h);
    assert_true(h.cpus >= 1);
    assert_true(h.mem_total_kib > 0);
    assert_true(strlen(h.cpu_model) > 0);
    assert_null(strchr(h.cpu_model, '\n'));
}

static int teardown(void **state)
{
    (void)state;
    free(text);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_summary_names_the_failures),
        cmocka_unit_test(test_summary_when_all_is_well),
        cmocka_unit_test(test_host),
    };

    return cmocka_run_group_tests(tests, NULL, teardown);
}
