/*
 * The request parser, the chunked decoder and the small HTTP helpers.
 *
 * Each parser case is fed whole, then as every prefix (byte by byte), then
 * split at random points: a prefix must say "incomplete" or fail with the
 * same status, never succeed early or differently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

struct request_case {
    const char *name;
    const char *raw;
    int status;                      /* 0: parses; else the error status */
    enum http_method method;
    const char *path;
    const char *query;
    int64_t content_length;
    bool chunked;
    bool keep_alive;
    bool expect_continue;
};

#define OK(n, r, m, p, q, cl, ch, ka, ex) \
    { n, r, 0, m, p, q, cl, ch, ka, ex }
#define BAD(n, r, s) { n, r, s, HTTP_OTHER, NULL, NULL, -1, false, false, false }

static const struct request_case request_cases[] = {
    OK("simple get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
       HTTP_GET, "/", "", -1, false, true, false),
    OK("query", "GET /blobs/u/?only_count=true HTTP/1.1\r\nHost: a\r\n\r\n",
       HTTP_GET, "/blobs/u/", "only_count=true", -1, false, true, false),
    OK("put with length",
       "PUT /blobs/u/x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n",
       HTTP_PUT, "/blobs/u/x", "", 10, false, true, false),
    OK("chunked", "PUT /b HTTP/1.1\r\nHost: a\r\n"
       "Transfer-Encoding: chunked\r\n\r\n",
       HTTP_PUT, "/b", "", -1, true, true, false),
    OK("chunked any case", "PUT /b HTTP/1.1\r\nHost: a\r\n"
       "transfer-encoding:  Chunked \r\n\r\n",
       HTTP_PUT, "/b", "", -1, true, true, false),
    OK("expect", "PUT /b HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
       "Expect: 100-continue\r\n\r\n",
       HTTP_PUT, "/b", "", 1, false, true, true),
    OK("http/1.0 closes", "GET / HTTP/1.0\r\n\r\n",
       HTTP_GET, "/", "", -1, false, false, false),
    OK("http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
       HTTP_GET, "/", "", -1, false, true, false),
    OK("http/1.1 close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
       HTTP_GET, "/", "", -1, false, false, false),
    OK("close wins", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
       "Connection: keep-alive\r\n\r\n",
       HTTP_GET, "/", "", -1, false, false, false),
    OK("close in a list", "GET / HTTP/1.1\r\nHost: a\r\n"
       "Connection: upgrade, close\r\n\r\n",
       HTTP_GET, "/", "", -1, false, false, false),
    OK("head", "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n",
       HTTP_HEAD, "/x", "", -1, false, true, false),
    OK("other method", "PATCH /x HTTP/1.1\r\nHost: a\r\n\r\n",
       HTTP_OTHER, "/x", "", -1, false, true, false),
    OK("absolute form", "GET http://a:80/x?y HTTP/1.1\r\nHost: a\r\n\r\n",
       HTTP_GET, "/x", "y", -1, false, true, false),
    OK("same length twice", "PUT /b HTTP/1.1\r\nHost: a\r\n"
       "Content-Length: 5\r\nContent-Length: 5\r\n\r\n",
       HTTP_PUT, "/b", "", 5, false, true, false),
    OK("leading empty line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
       HTTP_GET, "/", "", -1, false, true, false),
    OK("value with tab and utf-8", "GET / HTTP/1.1\r\nHost: a\r\n"
       "X-Note: a\tb \xc3\xa9\r\n\r\n",
       HTTP_GET, "/", "", -1, false, true, false),

    BAD("both lengths", "PUT /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n", 400),
    BAD("two lengths", "PUT /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
        "Content-Length: 6\r\n\r\n", 400),
    BAD("length list", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Content-Length: 5, 5\r\n\r\n", 400),
    BAD("negative length", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Content-Length: -1\r\n\r\n", 400),
    BAD("signed length", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Content-Length: +1\r\n\r\n", 400),
    BAD("huge length", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Content-Length: 99999999999999999999\r\n\r\n", 400),
    BAD("empty length", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Content-Length: \r\n\r\n", 400),
    BAD("gzip coding", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Transfer-Encoding: gzip\r\n\r\n", 501),
    BAD("chunked not last", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
    BAD("chunked twice", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        400),
    BAD("empty te with length", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Transfer-Encoding: \r\nContent-Length: 3\r\n\r\n", 400),
    BAD("comma te with length", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Transfer-Encoding: ,\r\nContent-Length: 3\r\n\r\n", 400),
    BAD("empty te alone", "PUT /b HTTP/1.1\r\nHost: a\r\n"
        "Transfer-Encoding: \r\n\r\n", 400),
    BAD("te in 1.0", "PUT /b HTTP/1.0\r\n"
        "Transfer-Encoding: chunked\r\n\r\n", 400),
    BAD("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400),
    BAD("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    BAD("bare lf", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400),
    BAD("bare lf in header", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400),
    BAD("bare cr", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400),
    BAD("lf lf end", "GET / HTTP/1.1\r\nHost: a\n\n", 400),
    BAD("no host", "GET / HTTP/1.1\r\n\r\n", 400),
    BAD("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    BAD("http/2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    BAD("garbage version", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400),
    BAD("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400),
    BAD("no target", "GET  HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    BAD("relative target", "GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    BAD("space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    BAD("nul in target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    BAD("fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    BAD("bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    BAD("control in value", "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400),
    BAD("bad header name", "GET / HTTP/1.1\r\nHost: a\r\nX[: b\r\n\r\n", 400),
    BAD("no colon", "GET / HTTP/1.1\r\nHost: a\r\nXYZ\r\n\r\n", 400),
    BAD("odd expectation", "GET / HTTP/1.1\r\nHost: a\r\n"
        "Expect: 200-ok\r\n\r\n", 417),
};

static void check_parsed(const struct request_case *tc,
                         const struct http_request *req, int n, size_t len)
{
    if (tc->status != 0) {
        if (n != -1)
            fail_msg("%s: expected error %d, got %d", tc->name, tc->status,
                     n);
        assert_int_equal(req->error_status, tc->status);
        assert_non_null(req->error_reason);
        return;
    }
    if (n != (int)len)
        fail_msg("%s: expected %zu, got %d (%s)", tc->name, len, n,
                 n == -1 ? req->error_reason : "incomplete");
    assert_int_equal(req->method, tc->method);
    assert_int_equal(req->path.len, strlen(tc->path));
    assert_memory_equal(req->path.ptr, tc->path, req->path.len);
    assert_int_equal(req->query.len, strlen(tc->query));
    assert_memory_equal(req->query.ptr, tc->query, req->query.len);
    assert_int_equal(req->content_length, tc->content_length);
    assert_int_equal(req->chunked, tc->chunked);
    assert_int_equal(req->keep_alive, tc->keep_alive);
    assert_int_equal(req->expect_continue, tc->expect_continue);
}

/* A prefix must be incomplete, or fail the way the whole does. */
static void check_prefix(const struct request_case *tc, const char *buf,
                         size_t len)
{
    struct http_request req;
    int n = http_parse_request(buf, len, &req);

    if (n == -2)
        return;
    if (n == -1 && tc->status != 0) {
        assert_int_equal(req.error_status, tc->status);
        return;
    }
    fail_msg("%s: prefix of %zu bytes gave %d", tc->name, len, n);
}

static void test_requests_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]);
         i++) {
        const struct request_case *tc = &request_cases[i];
        struct http_request req;
        size_t len = strlen(tc->raw);

        check_parsed(tc, &req, http_parse_request(tc->raw, len, &req), len);
    }
}

static void test_requests_byte_by_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]);
         i++) {
        const struct request_case *tc = &request_cases[i];
        size_t len = strlen(tc->raw);
        char *copy = malloc(len);

        /* Each prefix in a buffer of exactly its size, so that ASan sees
         * any read past the end. */
        for (size_t cut = 0; cut < len; cut++) {
            char *prefix = malloc(cut ? cut : 1);

            memcpy(prefix, tc->raw, cut);
            check_prefix(tc, prefix, cut);
            free(prefix);
        }
        memcpy(copy, tc->raw, len);
        {
            struct http_request req;

            check_parsed(tc, &req, http_parse_request(copy, len, &req), len);
        }
        free(copy);
    }
}

static void test_requests_random_splits(void **state)
{
    (void)state;
    srand(12345);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0;
             i < sizeof(request_cases) / sizeof(request_cases[0]); i++) {
            const struct request_case *tc = &request_cases[i];
            size_t len = strlen(tc->raw);
            size_t cut = 0;
            struct http_request req;

            /* Bytes arrive in random slices; parse after each one. */
            while (cut < len) {
                cut += 1 + (size_t)rand() % 7;
                if (cut >= len)
                    break;
                check_prefix(tc, tc->raw, cut);
            }
            check_parsed(tc, &req, http_parse_request(tc->raw, len, &req),
                         len);
        }
    }
}

static void test_pipelined_requests(void **state)
{
    const char two[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                       "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
    struct http_request req;
    int n;

    (void)state;
    n = http_parse_request(two, sizeof(two) - 1, &req);
    assert_int_equal(n, (int)(sizeof(two) - 1) / 2);
    assert_memory_equal(req.path.ptr, "/a", 2);
    n = http_parse_request(two + n, sizeof(two) - 1 - (size_t)n, &req);
    assert_int_equal(n, (int)(sizeof(two) - 1) / 2);
    assert_memory_equal(req.path.ptr, "/b", 2);
}

static char *repeat(char ch, size_t len)
{
    char *text = malloc(len + 1);

    memset(text, ch, len);
    text[len] = '\0';
    return text;
}

static void test_limits(void **state)
{
    char *buf = malloc(HTTP_MAX_HEAD_BYTES * 2);
    char *long_path = repeat('a', HTTP_MAX_TARGET_BYTES + 1);
    struct http_request req;
    int len;

    (void)state;

    /* Target over the limit: 414, complete or not. */
    len = snprintf(buf, HTTP_MAX_HEAD_BYTES * 2, "GET /%s HTTP/1.1\r\n"
                   "Host: a\r\n\r\n", long_path);
    assert_int_equal(http_parse_request(buf, (size_t)len, &req), -1);
    assert_int_equal(req.error_status, 414);
    len = snprintf(buf, HTTP_MAX_HEAD_BYTES * 2, "GET /%s%s", long_path,
                   long_path);
    assert_int_equal(http_parse_request(buf, (size_t)len, &req), -1);
    assert_int_equal(req.error_status, 414);

    /* A huge method is capped like a huge target, complete or not. */
    memset(buf, 'X', HTTP_MAX_REQUEST_LINE + 10);
    len = HTTP_MAX_REQUEST_LINE + 10;
    len += snprintf(buf + len, 64, " / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(http_parse_request(buf, (size_t)len, &req), -1);
    assert_int_equal(req.error_status, 414);
    assert_int_equal(http_parse_request(buf, HTTP_MAX_REQUEST_LINE - 100,
                                        &req), -2);
    assert_int_equal(http_parse_request(buf, HTTP_MAX_REQUEST_LINE + 5,
                                        &req), -1);
    assert_int_equal(req.error_status, 414);

    /* Too many headers: 431. */
    len = snprintf(buf, HTTP_MAX_HEAD_BYTES * 2, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
        len += snprintf(buf + len, 32, "X-%d: y\r\n", i);
    len += snprintf(buf + len, 8, "\r\n");
    assert_int_equal(http_parse_request(buf, (size_t)len, &req), -1);
    assert_int_equal(req.error_status, 431);

    /* A head over 16 KiB: 431, whether it is finished or still coming. */
    len = snprintf(buf, HTTP_MAX_HEAD_BYTES * 2, "GET / HTTP/1.1\r\n"
                   "Host: a\r\n");
    while (len < HTTP_MAX_HEAD_BYTES + 100)
        len += snprintf(buf + len, 64, "X-Pad: %040d\r\n", len);
    assert_int_equal(http_parse_request(buf, (size_t)len, &req), -1);
    assert_int_equal(req.error_status, 431);
    len += snprintf(buf + len, 8, "\r\n");
    assert_int_equal(http_parse_request(buf, (size_t)len, &req), -1);
    assert_int_equal(req.error_status, 431);

    free(long_path);
    free(buf);
}

/* The chunked decoder. */

static int decode_chunked(const char *raw, size_t len, size_t step,
                          char *out, size_t *out_len)
{
    struct http_chunked c;
    size_t pos = 0;
    size_t fed = 0;

    http_chunked_init(&c);
    *out_len = 0;
    /* Bytes become available `step` at a time (0: all at once). */
    while (!http_chunked_done(&c)) {
        struct http_span data;
        size_t avail = step ? fed + step : len;
        ssize_t n;

        if (avail > len)
            avail = len;
        fed = avail;
        n = http_chunked_parse(&c, raw + pos, avail - pos, &data);
        if (n < 0)
            return -1;
        memcpy(out + *out_len, data.ptr, data.len);
        *out_len += data.len;
        pos += (size_t)n;
        if (n == 0 && avail == len)
            return http_chunked_done(&c) ? (int)pos : -2;
    }
    return (int)pos;
}

static void test_chunked(void **state)
{
    static const struct {
        const char *raw;
        const char *body;            /* NULL: must fail */
        int trailing;                /* bytes after the body left alone */
    } cases[] = {
        { "5\r\nhello\r\n0\r\n\r\n", "hello", 0 },
        { "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 0 },
        { "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0 },
        { "a;name=value\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0 },
        { "0\r\n\r\n", "", 0 },
        { "3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n", "abc", 0 },
        { "3\r\nabc\r\n0\r\n\r\nGET", "abc", 3 },
        { "3\r\nabcd\r\n0\r\n\r\n", NULL, 0 },
        { "3\nabc\r\n0\r\n\r\n", NULL, 0 },
        { "x\r\nabc\r\n0\r\n\r\n", NULL, 0 },
        { "\r\nabc\r\n0\r\n\r\n", NULL, 0 },
        { "-1\r\nabc\r\n0\r\n\r\n", NULL, 0 },
        { "3 \r\nabc\r\n0\r\n\r\n", NULL, 0 },
        { "fffffffffffffffffff\r\n", NULL, 0 },
        { "3\r\nabc\r\n0\r\nX: y\n\r\n", NULL, 0 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].raw);

        for (size_t step = 0; step <= 3; step++) {
            char out[64];
            size_t out_len;
            int n = decode_chunked(cases[i].raw, len, step, out, &out_len);

            if (cases[i].body == NULL) {
                if (n != -1)
                    fail_msg("case %zu step %zu: expected failure, got %d",
                             i, step, n);
                continue;
            }
            if (n != (int)(len - (size_t)cases[i].trailing))
                fail_msg("case %zu step %zu: consumed %d", i, step, n);
            assert_int_equal(out_len, strlen(cases[i].body));
            assert_memory_equal(out, cases[i].body, out_len);
        }
    }
}

static void test_chunked_long_lines(void **state)
{
    struct http_chunked c;
    struct http_span data;
    char *ext = repeat('x', HTTP_MAX_CHUNK_LINE + 10);

    (void)state;
    ext[0] = '1';
    ext[1] = ';';
    http_chunked_init(&c);
    assert_int_equal(http_chunked_parse(&c, ext, strlen(ext), &data), -1);
    free(ext);
}

/* Decoding and query parameters. */

static void test_decode(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(http_decode("a%2Fb", 5, out, false), 3);
    assert_memory_equal(out, "a/b", 3);
    assert_int_equal(http_decode("%2e%2E", 6, out, false), 2);
    assert_memory_equal(out, "..", 2);
    assert_int_equal(http_decode("a+b", 3, out, false), 3);
    assert_memory_equal(out, "a+b", 3);
    assert_int_equal(http_decode("a+b", 3, out, true), 3);
    assert_memory_equal(out, "a b", 3);
    assert_int_equal(http_decode("%00", 3, out, false), 1);
    assert_int_equal(out[0], 0);
    assert_int_equal(http_decode("%", 1, out, false), -1);
    assert_int_equal(http_decode("%4", 2, out, false), -1);
    assert_int_equal(http_decode("%zz", 3, out, false), -1);
    assert_int_equal(http_decode("ab%", 3, out, false), -1);
}

static struct http_span span(const char *text)
{
    return (struct http_span){ text, strlen(text) };
}

static void test_query_params(void **state)
{
    struct http_span raw;

    (void)state;
    assert_true(http_query_param(span("a=1&b=2"), "b", &raw));
    assert_int_equal(raw.len, 1);
    assert_memory_equal(raw.ptr, "2", 1);

    /* The first value wins. */
    assert_true(http_query_param(span("a=1&a=2"), "a", &raw));
    assert_memory_equal(raw.ptr, "1", 1);

    /* Names are decoded before they are compared. */
    assert_true(http_query_param(span("only%5Fcount=yes"), "only_count",
                                 &raw));
    assert_int_equal(raw.len, 3);

    /* A bare name and an empty value are both empty. */
    assert_true(http_query_param(span("x&y=1"), "x", &raw));
    assert_int_equal(raw.len, 0);
    assert_true(http_query_param(span("x=&y=1"), "x", &raw));
    assert_int_equal(raw.len, 0);

    assert_false(http_query_param(span("ab=1"), "a", &raw));
    assert_false(http_query_param(span(""), "a", &raw));
    assert_false(http_query_param(span("a%zz=1"), "a", &raw));
}

static void test_booleans(void **state)
{
    static const char *const yes[] = { "1", "true", "True", "YES", "on" };
    static const char *const no[] = { "0", "false", "False", "no", "OFF", "" };
    static const char *const bad[] = { "2", "tru", "truee", "y", "nope" };

    (void)state;
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(http_parse_bool(yes[i], strlen(yes[i])), 1);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(http_parse_bool(no[i], strlen(no[i])), 0);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(http_parse_bool(bad[i], strlen(bad[i])), -1);
}

static void test_ranges(void **state)
{
    uint64_t a, b;

    (void)state;
    assert_int_equal(http_parse_range(span("bytes=0-9"), 100, &a, &b), 1);
    assert_int_equal(a, 0);
    assert_int_equal(b, 9);
    assert_int_equal(http_parse_range(span("bytes=90-200"), 100, &a, &b), 1);
    assert_int_equal(b, 99);
    assert_int_equal(http_parse_range(span("bytes=10-"), 100, &a, &b), 1);
    assert_int_equal(a, 10);
    assert_int_equal(b, 99);
    assert_int_equal(http_parse_range(span("bytes=-10"), 100, &a, &b), 1);
    assert_int_equal(a, 90);
    assert_int_equal(http_parse_range(span("bytes=-500"), 100, &a, &b), 1);
    assert_int_equal(a, 0);
    assert_int_equal(http_parse_range(span("bytes=0-0,5-6"), 100, &a, &b),
                     0);

    /* The unit is case-insensitive; numbers past 62 bits mean "the end". */
    assert_int_equal(http_parse_range(span("Bytes=0-5"), 100, &a, &b), 1);
    assert_int_equal(http_parse_range(span("BYTES=0-5"), 100, &a, &b), 1);
    assert_int_equal(http_parse_range(span("bytes=0-18446744073709551615"),
                                      100, &a, &b), 1);
    assert_int_equal(b, 99);
    assert_int_equal(http_parse_range(span("bytes=-18446744073709551615"),
                                      100, &a, &b), 1);
    assert_int_equal(a, 0);
    assert_int_equal(http_parse_range(span("bytes=99999999999999999999-"),
                                      100, &a, &b), -1);

    assert_int_equal(http_parse_range(span("bytes=100-"), 100, &a, &b), -1);
    assert_int_equal(http_parse_range(span("bytes=5-4"), 100, &a, &b), -1);
    assert_int_equal(http_parse_range(span("bytes=-0"), 100, &a, &b), -1);
    assert_int_equal(http_parse_range(span("bytes=x-1"), 100, &a, &b), -1);
    assert_int_equal(http_parse_range(span("items=0-1"), 100, &a, &b), 0);
    assert_int_equal(http_parse_range(span("garbage"), 100, &a, &b), -1);
    assert_int_equal(http_parse_range(span("bytes=0-1x"), 100, &a, &b), -1);
    assert_int_equal(http_parse_range(span("bytes=0-"), 0, &a, &b), -1);
}

static void test_base64(void **state)
{
    unsigned char raw[16];
    unsigned char back[16];
    char out[32];

    (void)state;
    for (int i = 0; i < 16; i++)
        raw[i] = (unsigned char)(0xf0 + i);
    assert_int_equal(http_base64url(raw, 16, out), 24);
    assert_string_equal(out, "8PHy8_T19vf4-fr7_P3-_w==");

    assert_int_equal(http_base64_decode("dXNlcjp0b2tlbg==", 16, back), 10);
    assert_memory_equal(back, "user:token", 10);
    assert_int_equal(http_base64_decode("dXNl", 4, back), 3);
    assert_int_equal(http_base64_decode("dXN", 3, back), -1);
    assert_int_equal(http_base64_decode("dX=l", 4, back), -1);
    assert_int_equal(http_base64_decode("dX*l", 4, back), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_whole),
        cmocka_unit_test(test_requests_byte_by_byte),
        cmocka_unit_test(test_requests_random_splits),
        cmocka_unit_test(test_pipelined_requests),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_chunked_long_lines),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_query_params),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_base64),
    };

    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
