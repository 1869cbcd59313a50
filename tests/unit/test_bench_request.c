/*
 * The bytes the load client sends for each action and step, exactly, and
 * the ids and upload bodies it makes.
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
#include "bench_request.h"

#define TAG "0123456789abcdef"
#define HOST "Host: 127.0.0.1:8000\r\n"

static struct bench_options options;
static struct bench_plan plan;
static struct bench_request request;
static char wire[8192];
static size_t wire_len;

static void make_plan(const char *action, const char *size, const char *url)
{
    char err[256];
    char *argv[] = { "blobs-bench", (char *)action, "3", (char *)size,
                     "--url", (char *)url, NULL };

    assert_int_equal(bench_options_parse(6, argv, &options, err,
                                         sizeof(err)), BENCH_PARSE_RUN);
    strcpy(options.user, "tester");
    bench_plan_free(&plan);
    assert_int_equal(bench_plan_init(&plan, &options), 0);
    memcpy(plan.tag, TAG, sizeof(TAG));
}

/* Build a request and lay its iovecs end to end, as they go out. */
static void build(uint64_t n, unsigned step)
{
    bench_request_build(&plan, n, step, &request);
    wire_len = 0;
    for (int i = 0; i < request.iov_count; i++) {
        assert_true(wire_len + request.iov[i].iov_len <= sizeof(wire));
        memcpy(wire + wire_len, request.iov[i].iov_base,
               request.iov[i].iov_len);
        wire_len += request.iov[i].iov_len;
    }
    assert_int_equal(wire_len, request.total_len);
}

static void expect_wire(const char *head, const void *body, size_t body_len)
{
    size_t head_len = strlen(head);

    if (wire_len != head_len + body_len ||
        memcmp(wire, head, head_len) != 0)
        fail_msg("sent:\n%.*s\nexpected:\n%s", (int)wire_len, wire, head);
    assert_int_equal(request.head_len, head_len);
    if (body_len > 0)
        assert_memory_equal(wire + head_len, body, body_len);
}

static void test_baseline_and_list(void **state)
{
    (void)state;
    make_plan("--baseline", "10", "http://127.0.0.1:8000");
    build(0, 0);
    expect_wire("GET / HTTP/1.1\r\n" HOST "\r\n", NULL, 0);
    assert_int_equal(request.expect.status, 200);
    assert_int_equal(request.expect.check, BENCH_BODY_LENGTH);
    assert_int_equal(request.expect.length, 0);

    make_plan("--list", "10", "http://127.0.0.1:8000/");
    build(5, 0);
    expect_wire("GET /blobs/tester/ HTTP/1.1\r\n" HOST "\r\n", NULL, 0);
    assert_int_equal(request.expect.check, BENCH_BODY_JSON_ARRAY);

    make_plan("--list", "10", "http://127.0.0.1:8000/a/b/");
    build(5, 0);
    expect_wire("GET /a/b/blobs/tester/ HTTP/1.1\r\n" HOST "\r\n", NULL, 0);
}

static void test_put(void **state)
{
    const char *id = TAG "-42";
    unsigned char body[1024];

    (void)state;
    make_plan("--put", "1", "http://127.0.0.1:8000");
    assert_int_equal(plan.steps, 1);
    build(42, 0);

    memcpy(body, plan.pattern, sizeof(body));
    memcpy(body, id, strlen(id));
    expect_wire("PUT /blobs/tester/" TAG "-42 HTTP/1.1\r\n" HOST
                "Content-Length: 1024\r\n\r\n", body, sizeof(body));
    assert_int_equal(request.expect.check, BENCH_BODY_LENGTH);
    assert_int_equal(request.expect.length, 0);
}

/* SIZE 0 is an empty upload, still with its Content-Length. */
static void test_empty_put(void **state)
{
    (void)state;
    make_plan("--put", "0", "http://127.0.0.1:8000");
    assert_null(plan.pattern);
    build(1, 0);
    expect_wire("PUT /blobs/tester/" TAG "-1 HTTP/1.1\r\n" HOST
                "Content-Length: 0\r\n\r\n", NULL, 0);
    assert_int_equal(request.iov_count, 1);
}

static void test_two_step_actions(void **state)
{
    const char *put_line = "PUT /blobs/tester/" TAG "-7 HTTP/1.1\r\n";

    (void)state;
    make_plan("--get", "2", "http://127.0.0.1:8000");
    assert_int_equal(plan.steps, 2);
    build(7, 0);
    assert_memory_equal(wire, put_line, strlen(put_line));
    build(7, 1);
    expect_wire("GET /blobs/tester/" TAG "-7 HTTP/1.1\r\n" HOST "\r\n",
                NULL, 0);
    assert_int_equal(request.expect.check, BENCH_BODY_BLOB);
    assert_int_equal(request.expect.length, 2048);
    assert_int_equal(request.expect.stamp_len, strlen(TAG "-7"));
    assert_memory_equal(request.expect.stamp, TAG "-7", 18);
    assert_ptr_equal(request.expect.pattern, plan.pattern);

    make_plan("--flag", "2", "http://127.0.0.1:8000");
    build(8, 1);
    expect_wire("POST /blobs/tester/" TAG "-8 HTTP/1.1\r\n" HOST
                "Content-Type: application/json\r\n"
                "Content-Length: 14\r\n\r\n", "[\"PROCESSING\"]", 14);
    assert_int_equal(request.expect.check, BENCH_BODY_LENGTH);

    make_plan("--delete", "2", "http://127.0.0.1:8000");
    build(9, 1);
    expect_wire("DELETE /blobs/tester/" TAG "-9 HTTP/1.1\r\n" HOST "\r\n",
                NULL, 0);
}

/* The longest prefix and user the options allow still fit a head. */
static void test_longest_head_fits(void **state)
{
    static char url[600];
    char prefix[BENCH_PREFIX_MAX + 1];

    (void)state;
    memset(prefix, 'p', BENCH_PREFIX_MAX);
    prefix[0] = '/';
    prefix[BENCH_PREFIX_MAX] = '\0';
    snprintf(url, sizeof(url), "http://127.0.0.1:65535%s", prefix);

    make_plan("--flag", "1", url);
    memset(options.user, 'u', BENCH_NAME_MAX);
    options.user[BENCH_NAME_MAX] = '\0';
    bench_plan_free(&plan);
    assert_int_equal(bench_plan_init(&plan, &options), 0);
    build(UINT64_MAX, 1);

    assert_true(request.head_len < BENCH_HEAD_MAX);
    assert_int_equal(request.id_len, 16 + 1 + 20);
    assert_true(request.id_len < BENCH_ID_MAX);
    assert_memory_equal(wire + request.head_len - 4, "\r\n\r\n", 4);
}

static void test_ids(void **state)
{
    char a[BENCH_ID_MAX], b[BENCH_ID_MAX];
    struct bench_plan other;

    (void)state;
    make_plan("--put", "1", "http://127.0.0.1:8000");
    assert_int_equal(bench_blob_id(&plan, 0, a), 18);
    assert_string_equal(a, TAG "-0");
    bench_blob_id(&plan, 12345678901234567890ULL, a);
    assert_string_equal(a, TAG "-12345678901234567890");
    assert_true(bench_name_valid(a));

    for (uint64_t n = 1; n < 1000; n++) {
        bench_blob_id(&plan, n - 1, a);
        bench_blob_id(&plan, n, b);
        assert_string_not_equal(a, b);
    }

    /* Two invocations draw two tags. */
    assert_int_equal(bench_plan_init(&other, &options), 0);
    assert_memory_not_equal(other.tag, TAG, 16);
    bench_blob_id(&other, 0, b);
    assert_true(bench_name_valid(b));
    bench_plan_free(&other);
}

static void test_pattern(void **state)
{
    unsigned char a[4096], b[4096];
    unsigned counts[256] = { 0 };

    (void)state;
    bench_fill_pattern(a, sizeof(a));
    bench_fill_pattern(b, sizeof(b));
    assert_memory_equal(a, b, sizeof(a));

    /* Not zeros, not text: every byte value turns up. */
    for (size_t i = 0; i < sizeof(a); i++)
        counts[a[i]]++;
    for (int v = 0; v < 256; v++)
        assert_true(counts[v] > 0);
}

static int teardown(void **state)
{
    (void)state;
    bench_plan_free(&plan);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_and_list),
        cmocka_unit_test(test_put),
        cmocka_unit_test(test_empty_put),
        cmocka_unit_test(test_two_step_actions),
        cmocka_unit_test(test_longest_head_fits),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_pattern),
    };

    return cmocka_run_group_tests(tests, NULL, teardown);
}
