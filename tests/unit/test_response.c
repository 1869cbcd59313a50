/*
 * The response-head parser, table-driven. Each head is fed whole, then
 * as every one of its prefixes (byte by byte, the way a slow server
 * delivers it), then at random split points: a complete head must give
 * the same answer whatever came before, and an incomplete one must never
 * be taken for complete.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_response.h"

enum { VALID, INVALID };

struct head_case {
    const char *name;
    const char *bytes;
    int verdict;
    int status;
    enum http_body_framing framing;
    uint64_t content_length;
    int keep_alive;
};

#define OK200 "HTTP/1.1 200 OK\r\n"
#define CL0 "Content-Length: 0\r\n\r\n"
#define GOOD(name, bytes, status, framing, length, keep_alive) \
    { name, bytes, VALID, status, framing, length, keep_alive }
#define BAD(name, bytes) { name, bytes, INVALID, 0, HTTP_BODY_NONE, 0, 0 }

static const struct head_case cases[] = {
    GOOD("length", OK200 "Content-Length: 5\r\n\r\n",
         200, HTTP_BODY_LENGTH, 5, 1),
    GOOD("length zero", OK200 CL0, 200, HTTP_BODY_LENGTH, 0, 1),
    GOOD("many fields", OK200 "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
         "Server: x\r\nContent-Type: application/octet-stream\r\n"
         "Tag: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
         "content-length:   12  \r\n\r\n",
         200, HTTP_BODY_LENGTH, 12, 1),
    GOOD("chunked", OK200 "Transfer-Encoding: chunked\r\n\r\n",
         200, HTTP_BODY_CHUNKED, 0, 1),
    GOOD("chunked last of two codings",
         OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n",
         200, HTTP_BODY_CHUNKED, 0, 1),
    GOOD("chunked over two fields", OK200 "Transfer-Encoding: gzip\r\n"
         "Transfer-Encoding: chunked\r\n\r\n",
         200, HTTP_BODY_CHUNKED, 0, 1),
    GOOD("no length: until close", OK200 "Server: x\r\n\r\n",
         200, HTTP_BODY_UNTIL_CLOSE, 0, 0),
    GOOD("a coding without chunked: until close",
         OK200 "Transfer-Encoding: gzip\r\n\r\n",
         200, HTTP_BODY_UNTIL_CLOSE, 0, 0),
    GOOD("same length twice",
         OK200 "Content-Length: 7\r\nContent-Length: 7\r\n\r\n",
         200, HTTP_BODY_LENGTH, 7, 1),
    GOOD("close", OK200 "Connection: close\r\nContent-Length: 1\r\n\r\n",
         200, HTTP_BODY_LENGTH, 1, 0),
    GOOD("close among options", OK200 "Connection: Upgrade, CLOSE\r\n"
         "Content-Length: 1\r\n\r\n", 200, HTTP_BODY_LENGTH, 1, 0),
    GOOD("HTTP/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n",
         200, HTTP_BODY_LENGTH, 1, 0),
    GOOD("HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\n"
         "Connection: keep-alive\r\nContent-Length: 1\r\n\r\n",
         200, HTTP_BODY_LENGTH, 1, 1),
    GOOD("no reason", "HTTP/1.1 404\r\n" CL0, 404, HTTP_BODY_LENGTH, 0, 1),
    GOOD("empty reason", "HTTP/1.1 507 \r\n" CL0,
         507, HTTP_BODY_LENGTH, 0, 1),
    GOOD("no fields", OK200 "\r\n", 200, HTTP_BODY_UNTIL_CLOSE, 0, 0),
    GOOD("204 has no body", "HTTP/1.1 204 No Content\r\n\r\n",
         204, HTTP_BODY_NONE, 0, 1),
    GOOD("304 has no body", "HTTP/1.1 304 Not Modified\r\n"
         "Content-Length: 9\r\n\r\n", 304, HTTP_BODY_NONE, 9, 1),
    GOOD("100 continue", "HTTP/1.1 100 Continue\r\n\r\n",
         100, HTTP_BODY_NONE, 0, 1),
    GOOD("obs-text in reason", "HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\n" CL0,
         200, HTTP_BODY_LENGTH, 0, 1),

    BAD("length and coding", OK200 "Content-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"),
    BAD("two lengths",
        OK200 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
    BAD("length list", OK200 "Content-Length: 5, 5\r\n\r\n"),
    BAD("signed length", OK200 "Content-Length: +5\r\n\r\n"),
    BAD("hex length", OK200 "Content-Length: 0x5\r\n\r\n"),
    BAD("empty length", OK200 "Content-Length: \r\n\r\n"),
    BAD("huge length", OK200 "Content-Length: 1234567890123456789\r\n\r\n"),
    BAD("chunked not last", OK200 "Transfer-Encoding: chunked, gzip\r\n\r\n"),
    BAD("chunked twice", OK200 "Transfer-Encoding: chunked, chunked\r\n\r\n"),
    BAD("coding in HTTP/1.0",
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
    BAD("bare LF ends a field", OK200 "Content-Length: 0\n\r\n"),
    BAD("bare LF ends the head", OK200 "Content-Length: 0\r\n\n"),
    BAD("bare LF status", "HTTP/1.1 200 OK\n" CL0),
    BAD("bare CR", OK200 "Content-Length: 0\rX: y\r\n\r\n"),
    BAD("folded field", OK200 "X: a\r\n  b\r\n" CL0),
    BAD("space before colon", OK200 "Content-Length : 0\r\n\r\n"),
    BAD("empty name", OK200 ": x\r\n" CL0),
    BAD("no colon", OK200 "Content-Length 0\r\n\r\n"),
    BAD("control byte in value", OK200 "X: a\x01z\r\n" CL0),
    BAD("HTTP/2", "HTTP/2.0 200 OK\r\n" CL0),
    BAD("lowercase version", "http/1.1 200 OK\r\n" CL0),
    BAD("two-digit status", "HTTP/1.1 20 OK\r\n" CL0),
    BAD("status below 100", "HTTP/1.1 099 Odd\r\n" CL0),
    BAD("status glued to reason", "HTTP/1.1 200OK\r\n" CL0),
    BAD("not HTTP at all", "SSH-2.0-OpenSSH\r\n\r\n"),
    BAD("leading empty line", "\r\n" OK200 CL0),
};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static struct http_response response;

static void check_result(const struct head_case *c, int result, size_t len)
{
    if (c->verdict == INVALID) {
        if (result != -1)
            fail_msg("%s: expected -1, got %d", c->name, result);
        return;
    }
    if (result != (int)len)
        fail_msg("%s: expected %zu, got %d", c->name, len, result);
    assert_int_equal(response.status, c->status);
    assert_int_equal(response.framing, c->framing);
    if (c->framing == HTTP_BODY_LENGTH)
        assert_int_equal(response.content_length, c->content_length);
    if (response.keep_alive != (c->keep_alive != 0))
        fail_msg("%s: keep_alive is %d", c->name, response.keep_alive);
}

/* A prefix is either incomplete or, for a bad head, possibly already
 * refused; it is never complete. */
static void check_prefix(const struct head_case *c, const char *buf,
                         size_t len)
{
    int result = http_parse_response(buf, len, &response);

    if (result == -2)
        return;
    if (result == -1 && c->verdict == INVALID)
        return;
    fail_msg("%s: a prefix of %zu bytes gave %d", c->name, len, result);
}

static void test_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < CASE_COUNT; i++) {
        size_t len = strlen(cases[i].bytes);

        check_result(&cases[i],
                     http_parse_response(cases[i].bytes, len, &response),
                     len);
    }
}

/* The head followed by body bytes: only the head is taken. */
static void test_with_body_after(void **state)
{
    char buf[1024];

    (void)state;
    for (size_t i = 0; i < CASE_COUNT; i++) {
        size_t len = strlen(cases[i].bytes);

        memcpy(buf, cases[i].bytes, len);
        memcpy(buf + len, "HELLO\r\n\r\n", 9);
        check_result(&cases[i], http_parse_response(buf, len + 9, &response),
                     len);
    }
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < CASE_COUNT; i++) {
        size_t len = strlen(cases[i].bytes);
        /* A private copy, so that reading past a prefix would show in
         * the sanitized build. */
        char *copy = malloc(len);

        assert_non_null(copy);
        memcpy(copy, cases[i].bytes, len);
        for (size_t n = 0; n < len; n++)
            check_prefix(&cases[i], copy, n);
        check_result(&cases[i], http_parse_response(copy, len, &response),
                     len);
        free(copy);
    }
}

/* Bytes arrive in random pieces; the caller re-parses from the start
 * after each, as the client does. */
static void test_random_splits(void **state)
{
    unsigned seed = 20240601;

    (void)state;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < CASE_COUNT; i++) {
            size_t len = strlen(cases[i].bytes);
            size_t have = 0;
            int result = -2;

            while (have < len) {
                have += 1 + (size_t)rand_r(&seed) % 7;
                if (have > len)
                    have = len;
                result = http_parse_response(cases[i].bytes, have, &response);
                if (have < len)
                    check_prefix(&cases[i], cases[i].bytes, have);
                if (result == -1)
                    break;
            }
            check_result(&cases[i], result, len);
        }
    }
}

static void test_header_lookup(void **state)
{
    const char *head =
        OK200 "Tag: abc\r\nX-Empty:\r\ncontent-LENGTH: 3\r\n\r\n";
    const struct http_span *tag, *empty;

    (void)state;
    assert_int_equal(http_parse_response(head, strlen(head), &response),
                     (int)strlen(head));
    assert_int_equal(response.header_count, 3);

    tag = http_response_header(&response, "TAG");
    assert_non_null(tag);
    assert_int_equal(tag->len, 3);
    assert_memory_equal(tag->ptr, "abc", 3);

    empty = http_response_header(&response, "x-empty");
    assert_non_null(empty);
    assert_int_equal(empty->len, 0);

    assert_null(http_response_header(&response, "Server"));
    assert_int_equal(response.reason.len, 2);
    assert_memory_equal(response.reason.ptr, "OK", 2);
}

/* HTTP_MAX_HEAD_BYTES and HTTP_MAX_HEADERS bound what a server can make
 * the client hold. */
static void test_limits(void **state)
{
    size_t cap = HTTP_MAX_HEAD_BYTES + 4096;
    char *buf = malloc(cap);
    size_t len;

    (void)state;
    assert_non_null(buf);

    /* An endless field: refused once past the limit, even unfinished. */
    len = (size_t)sprintf(buf, OK200 "X: ");
    memset(buf + len, 'a', cap - len);
    assert_int_equal(http_parse_response(buf, HTTP_MAX_HEAD_BYTES, &response),
                     -2);
    assert_int_equal(http_parse_response(buf, HTTP_MAX_HEAD_BYTES + 1,
                                         &response), -1);

    /* A complete head just over the limit. */
    len = (size_t)sprintf(buf, OK200 "X: ");
    memset(buf + len, 'a', HTTP_MAX_HEAD_BYTES);
    len += HTTP_MAX_HEAD_BYTES;
    memcpy(buf + len, "\r\n\r\n", 4);
    assert_int_equal(http_parse_response(buf, len + 4, &response), -1);

    /* As many fields as allowed, then one more. */
    len = (size_t)sprintf(buf, OK200);
    for (int i = 0; i < HTTP_MAX_HEADERS - 1; i++)
        len += (size_t)sprintf(buf + len, "X-%d: y\r\n", i);
    len += (size_t)sprintf(buf + len, "Content-Length: 0\r\n\r\n");
    assert_int_equal(http_parse_response(buf, len, &response), (int)len);
    assert_int_equal(response.header_count, HTTP_MAX_HEADERS);

    len = (size_t)sprintf(buf, OK200);
    for (int i = 0; i < HTTP_MAX_HEADERS; i++)
        len += (size_t)sprintf(buf + len, "X-%d: y\r\n", i);
    len += (size_t)sprintf(buf + len, "Content-Length: 0\r\n\r\n");
    assert_int_equal(http_parse_response(buf, len, &response), -1);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_with_body_after),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_random_splits),
        cmocka_unit_test(test_header_lookup),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
