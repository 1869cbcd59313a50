/*
 * The answer checker of the load client. Each answer is fed whole, byte
 * by byte and in random pieces, keeping the bytes it did not use as the
 * connection does; the verdict must not depend on how the bytes came.
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
#include "bench_reply.h"
#include "bench_request.h"

#define BLOB_KIB 1
#define BLOB_LEN (BLOB_KIB * 1024)

enum feeding { WHOLE, BYTE_BY_BYTE, RANDOM_PIECES, FEEDINGS };

struct outcome {
    enum bench_reply_result result;
    enum bench_error error;
    int status;
    size_t leftover;                 /* bytes not part of the answer */
    bool keep_alive;
};

static struct bench_plan plan;
static struct bench_request request;

static void make_plan(enum bench_action action)
{
    struct bench_options o;
    char err[256];
    char amount[] = "1", size[] = "1";
    char *argv[] = { "blobs-bench", "--put", amount, size, NULL };

    assert_int_equal(bench_options_parse(4, argv, &o, err, sizeof(err)),
                     BENCH_PARSE_RUN);
    o.action = action;
    strcpy(o.user, "tester");
    bench_plan_free(&plan);
    assert_int_equal(bench_plan_init(&plan, &o), 0);
}

/* Feed `len` bytes the way `how` says; stop at the first verdict. */
static struct outcome feed(const struct bench_expect *e, const char *bytes,
                           size_t len, enum feeding how, unsigned *seed)
{
    struct bench_reply reply;
    struct outcome out = { BENCH_REPLY_MORE, 0, 0, 0, false };
    char *buf = malloc(len + 1);
    size_t buffered = 0, pos = 0;

    assert_non_null(buf);
    bench_reply_start(&reply, e);

    while (pos < len) {
        size_t piece = how == WHOLE ? len
                     : how == BYTE_BY_BYTE ? 1
                     : 1 + (size_t)rand_r(seed) % 300;
        size_t used = 0;

        if (piece > len - pos)
            piece = len - pos;
        memcpy(buf + buffered, bytes + pos, piece);
        buffered += piece;
        pos += piece;

        out.result = bench_reply_feed(&reply, buf, buffered, &used);
        assert_true(used <= buffered);
        if (out.result != BENCH_REPLY_MORE) {
            out.leftover = buffered - used + (len - pos);
            break;
        }
        memmove(buf, buf + used, buffered - used);
        buffered -= used;
    }

    out.error = reply.error;
    out.status = reply.status;
    out.keep_alive = bench_reply_keep_alive(&reply);
    free(buf);
    return out;
}

/* The same verdict whatever the feeding. */
static struct outcome check_all_ways(const struct bench_expect *e,
                                     const char *bytes, size_t len)
{
    unsigned seed = 7;
    struct outcome first = feed(e, bytes, len, WHOLE, &seed);

    for (int how = BYTE_BY_BYTE; how < FEEDINGS; how++) {
        for (int round = 0; round < (how == RANDOM_PIECES ? 50 : 1);
             round++) {
            struct outcome o = feed(e, bytes, len, (enum feeding)how, &seed);

            assert_int_equal(o.result, first.result);
            if (o.result == BENCH_REPLY_FAILED)
                assert_int_equal(o.error, first.error);
            if (o.result == BENCH_REPLY_DONE)
                assert_int_equal(o.leftover, first.leftover);
        }
    }
    return first;
}

/* An answer built from a head and a body, both possibly with NULs. */
struct answer {
    char bytes[4 * BLOB_LEN];
    size_t len;
};

static void answer_add(struct answer *a, const void *bytes, size_t len)
{
    assert_true(a->len + len <= sizeof(a->bytes));
    memcpy(a->bytes + a->len, bytes, len);
    a->len += len;
}

static void answer_text(struct answer *a, const char *text)
{
    answer_add(a, text, strlen(text));
}

/* The bytes uploaded for operation n: its id, then the pattern. */
static void blob_bytes(uint64_t n, unsigned char *out)
{
    char id[BENCH_ID_MAX];
    size_t id_len = bench_blob_id(&plan, n, id);

    memcpy(out, plan.pattern, BLOB_LEN);
    memcpy(out, id, id_len);
}

static const struct bench_expect *get_expect(uint64_t n)
{
    make_plan(BENCH_GET);
    bench_request_build(&plan, n, 1, &request);
    assert_int_equal(request.expect.check, BENCH_BODY_BLOB);
    return &request.expect;
}

static void expect_done(struct outcome o, size_t leftover, bool keep_alive)
{
    assert_int_equal(o.result, BENCH_REPLY_DONE);
    assert_int_equal(o.leftover, leftover);
    assert_int_equal(o.keep_alive, keep_alive);
}

static void expect_failed(struct outcome o, enum bench_error error)
{
    assert_int_equal(o.result, BENCH_REPLY_FAILED);
    assert_int_equal(o.error, error);
}

static void test_blob_with_length(void **state)
{
    static struct answer a;
    unsigned char blob[BLOB_LEN];
    const struct bench_expect *e = get_expect(41);

    (void)state;
    blob_bytes(41, blob);
    a.len = 0;
    answer_text(&a, "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n"
                "Content-Type: application/octet-stream\r\n\r\n");
    answer_add(&a, blob, BLOB_LEN);
    expect_done(check_all_ways(e, a.bytes, a.len), 0, true);

    /* One more byte after it belongs to no answer. */
    answer_text(&a, "X");
    expect_done(check_all_ways(e, a.bytes, a.len), 1, true);
}

static void test_blob_chunked(void **state)
{
    static struct answer a;
    unsigned char blob[BLOB_LEN];
    const struct bench_expect *e = get_expect(7);

    (void)state;
    blob_bytes(7, blob);
    a.len = 0;
    answer_text(&a, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n");
    answer_text(&a, "10;name=value\r\n");
    answer_add(&a, blob, 16);
    answer_text(&a, "\r\n3F0\r\n");
    answer_add(&a, blob + 16, 1008);
    answer_text(&a, "\r\n0\r\nX-Trailer: yes\r\n\r\n");
    expect_done(check_all_ways(e, a.bytes, a.len), 0, false);
}

static void test_blob_wrong_bytes(void **state)
{
    static struct answer a;
    unsigned char blob[BLOB_LEN];
    const size_t offsets[] = { 0, 5, 16, 17, 100, BLOB_LEN - 1 };
    const struct bench_expect *e = get_expect(3);

    (void)state;
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        blob_bytes(3, blob);
        blob[offsets[i]] ^= 0x20;
        a.len = 0;
        answer_text(&a, "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n");
        answer_add(&a, blob, BLOB_LEN);
        expect_failed(check_all_ways(e, a.bytes, a.len), BENCH_ERR_BODY);
    }
}

/* The bytes of another blob are as wrong as garbage. */
static void test_blob_of_another_id(void **state)
{
    static struct answer a;
    unsigned char blob[BLOB_LEN];
    const struct bench_expect *e = get_expect(3);

    (void)state;
    blob_bytes(4, blob);
    a.len = 0;
    answer_text(&a, "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n");
    answer_add(&a, blob, BLOB_LEN);
    expect_failed(check_all_ways(e, a.bytes, a.len), BENCH_ERR_BODY);
}

static void test_blob_wrong_length(void **state)
{
    static struct answer a;
    unsigned char blob[BLOB_LEN + 1];
    const struct bench_expect *e = get_expect(9);
    char line[64];

    (void)state;
    blob_bytes(9, blob);
    blob[BLOB_LEN] = 'x';

    /* Short or long by the header: refused before the body. */
    a.len = 0;
    answer_text(&a, "HTTP/1.1 200 OK\r\nContent-Length: 1023\r\n\r\n");
    answer_add(&a, blob, BLOB_LEN - 1);
    expect_failed(check_all_ways(e, a.bytes, a.len), BENCH_ERR_BODY);

    /* Short or long by the chunks. */
    for (int delta = -1; delta <= 1; delta += 2) {
        a.len = 0;
        answer_text(&a, "HTTP/1.1 200 OK\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n");
        snprintf(line, sizeof(line), "%x\r\n", BLOB_LEN + delta);
        answer_text(&a, line);
        answer_add(&a, blob, (size_t)(BLOB_LEN + delta));
        answer_text(&a, "\r\n0\r\n\r\n");
        expect_failed(check_all_ways(e, a.bytes, a.len), BENCH_ERR_BODY);
    }
}

static void test_unexpected_status(void **state)
{
    const char *not_found = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n"
                            "\r\nNot Found";
    const char *wrong = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    struct outcome o;

    (void)state;
    o = check_all_ways(get_expect(1), not_found, strlen(not_found));
    expect_failed(o, BENCH_ERR_STATUS);
    assert_int_equal(o.status, 404);

    make_plan(BENCH_PUT);
    bench_request_build(&plan, 1, 0, &request);
    o = check_all_ways(&request.expect, wrong, strlen(wrong));
    expect_failed(o, BENCH_ERR_STATUS);
    assert_int_equal(o.status, 201);
}

static void test_interim_answers_are_skipped(void **state)
{
    const char *bytes = "HTTP/1.1 100 Continue\r\n\r\n"
                        "HTTP/1.1 102 Processing\r\n\r\n"
                        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

    (void)state;
    make_plan(BENCH_PUT);
    bench_request_build(&plan, 1, 0, &request);
    expect_done(check_all_ways(&request.expect, bytes, strlen(bytes)), 0,
                true);
}

static void test_framing_errors(void **state)
{
    const char *bad[] = {
        "HTTP/1.1 200 OK\r\n\r\n",                       /* no length */
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",            /* both */
        "HTTP/1.1 200 OK\r\nContent-Length: 0\n\n",      /* bare LF */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "zz\r\n",                                        /* not hex */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\nX\r\r\n",                                  /* bad trailer */
        "garbage\r\n\r\n",
    };

    (void)state;
    make_plan(BENCH_PUT);
    bench_request_build(&plan, 1, 0, &request);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_failed(check_all_ways(&request.expect, bad[i], strlen(bad[i])),
                      BENCH_ERR_FRAMING);
}

/* PUT, POST and DELETE answer 200 with an empty body; a body is wrong. */
static void test_empty_bodies(void **state)
{
    const char *empty = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    const char *chunked_empty = "HTTP/1.1 200 OK\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    const char *not_empty = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    const char *chunked_not_empty = "HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
    const enum bench_action actions[] = { BENCH_PUT, BENCH_FLAG,
                                          BENCH_DELETE, BENCH_BASELINE };

    (void)state;
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        make_plan(actions[i]);
        plan.baseline_length = 0;
        bench_request_build(&plan, 1, bench_action_steps(actions[i]) - 1,
                            &request);
        expect_done(check_all_ways(&request.expect, empty, strlen(empty)),
                    0, true);
        expect_done(check_all_ways(&request.expect, chunked_empty,
                                   strlen(chunked_empty)), 0, true);
        expect_failed(check_all_ways(&request.expect, not_empty,
                                     strlen(not_empty)), BENCH_ERR_BODY);
        expect_failed(check_all_ways(&request.expect, chunked_not_empty,
                                     strlen(chunked_not_empty)),
                      BENCH_ERR_BODY);
    }
}

static void test_list_bodies(void **state)
{
    const char *good[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[\"a\",\"b\"]\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\n[\"a\"\r\n1\r\n]\r\n3\r\n \r\n\r\n0\r\n\r\n",
    };
    const char *bad[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n[\"a\"",
    };

    (void)state;
    make_plan(BENCH_LIST);
    bench_request_build(&plan, 0, 0, &request);
    assert_int_equal(request.expect.check, BENCH_BODY_JSON_ARRAY);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        expect_done(check_all_ways(&request.expect, good[i], strlen(good[i])),
                    0, true);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_failed(check_all_ways(&request.expect, bad[i], strlen(bad[i])),
                      BENCH_ERR_BODY);
}

/* --path without --expect-length: any body, but framing still counts. */
static void test_any_body(void **state)
{
    const char *page = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    const char *unframed = "HTTP/1.1 200 OK\r\n\r\nhello";

    (void)state;
    make_plan(BENCH_BASELINE);
    plan.baseline_length = -1;
    bench_request_build(&plan, 0, 0, &request);
    assert_int_equal(request.expect.check, BENCH_BODY_ANY);
    expect_done(check_all_ways(&request.expect, page, strlen(page)), 0, true);
    expect_failed(check_all_ways(&request.expect, unframed, strlen(unframed)),
                  BENCH_ERR_FRAMING);
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
        cmocka_unit_test(test_blob_with_length),
        cmocka_unit_test(test_blob_chunked),
        cmocka_unit_test(test_blob_wrong_bytes),
        cmocka_unit_test(test_blob_of_another_id),
        cmocka_unit_test(test_blob_wrong_length),
        cmocka_unit_test(test_unexpected_status),
        cmocka_unit_test(test_interim_answers_are_skipped),
        cmocka_unit_test(test_framing_errors),
        cmocka_unit_test(test_empty_bodies),
        cmocka_unit_test(test_list_bodies),
        cmocka_unit_test(test_any_body),
    };

    return cmocka_run_group_tests(tests, NULL, teardown);
}
