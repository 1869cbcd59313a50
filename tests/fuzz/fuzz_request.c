/*
 * fuzz_request.c: libFuzzer target for the request-head parser and the
 * chunked decoder of include/http.h.
 *
 * "No crash" is the least of it. Every input is also held to what http.h
 * and API.md promise, and a broken promise aborts like a crash would:
 *
 *   - a head's length lies within the input and under the head limit, and
 *     every span the parser hands out lies inside that head;
 *   - the same bytes give the same answer however they arrive: a head
 *     that parses whole parses identically with more bytes after it, each
 *     of its prefixes is merely incomplete, and a refusal stays a refusal
 *     when more bytes follow (the server re-parses on every read, so
 *     anything else makes its answer depend on TCP segmentation);
 *   - framing is never ambiguous: no Content-Length beside chunked, no
 *     Transfer-Encoding header that does not end up framing the body;
 *   - the chunked decoder gives the same bytes, the same end and the same
 *     refusal whether fed at once, byte by byte or split anywhere, never
 *     consumes more than it was given and points only inside its input.
 *
 * Built by tests/fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined
 * against the sources of src/http.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* Longer inputs teach the parser nothing new: every limit is under this. */
#define FUZZ_MAX_INPUT (3 * HTTP_MAX_HEAD_BYTES)
/* How many prefixes of a good head are re-parsed (each costs a parse). */
#define FUZZ_PREFIXES 6

#define FUZZ_CHECK(cond)                                                   \
    do {                                                                   \
        if (!(cond))                                                       \
            fuzz_broken(#cond, __LINE__);                                  \
    } while (0)

static void fuzz_broken(const char *what, int line)
{
    fprintf(stderr, "fuzz_request.c:%d: promise broken: %s\n", line, what);
    abort();
}

/* A private copy of exactly len bytes, so that ASan sees any read past
 * the end of what the parser was given. */
static char *fuzz_copy(const uint8_t *data, size_t len, const char *more,
                       size_t more_len)
{
    char *buf = malloc(len + more_len ? len + more_len : 1);

    if (buf == NULL)
        abort();
    if (len > 0)
        memcpy(buf, data, len);
    if (more_len > 0)
        memcpy(buf + len, more, more_len);
    return buf;
}

/* An empty span may point anywhere (the parser uses a static "" for an
 * absent query); one with bytes must lie inside the buffer. */
static int fuzz_span_inside(struct http_span span, const char *buf,
                            size_t len)
{
    if (span.len == 0)
        return 1;
    return span.ptr >= buf && span.ptr + span.len <= buf + len;
}

/* The offset of a span, to compare two parses of different buffers. */
static long fuzz_offset(struct http_span span, const char *buf)
{
    return span.ptr == NULL ? -1 : (long)(span.ptr - buf);
}

static int fuzz_is_token(struct http_span span)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (span.len == 0)
        return 0;
    for (size_t i = 0; i < span.len; i++) {
        unsigned char c = (unsigned char)span.ptr[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || (c != '\0' && strchr(extra, c))))
            return 0;
    }
    return 1;
}

/* Methods are case-sensitive: only the exact names are known ones. */
static enum http_method fuzz_method_of(struct http_span name)
{
    static const struct {
        const char *name;
        enum http_method method;
    } known[] = {
        { "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "PUT", HTTP_PUT },
        { "POST", HTTP_POST }, { "DELETE", HTTP_DELETE },
    };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (name.len == strlen(known[i].name) &&
            memcmp(name.ptr, known[i].name, name.len) == 0)
            return known[i].method;
    }
    return HTTP_OTHER;
}

static int fuzz_known_status(int status)
{
    switch (status) {
    case 400: case 414: case 417: case 431: case 501: case 505:
        return 1;
    default:
        return 0;
    }
}

/* Everything a successful parse promises about one head of n bytes. */
static void fuzz_check_head(const struct http_request *req, const char *buf,
                            int n)
{
    size_t len = (size_t)n;
    int transfer_encoding = 0;
    int hosts = 0;

    FUZZ_CHECK(n >= 4 && n <= HTTP_MAX_HEAD_BYTES);
    FUZZ_CHECK(memcmp(buf + len - 4, "\r\n\r\n", 4) == 0);

    FUZZ_CHECK(fuzz_span_inside(req->method_name, buf, len));
    FUZZ_CHECK(fuzz_is_token(req->method_name));
    FUZZ_CHECK(fuzz_span_inside(req->target, buf, len));
    FUZZ_CHECK(req->target.len >= 1 &&
               req->target.len <= HTTP_MAX_TARGET_BYTES);
    for (size_t i = 0; i < req->target.len; i++) {
        unsigned char c = (unsigned char)req->target.ptr[i];

        FUZZ_CHECK(c > 0x20 && c < 0x7f);
    }

    /* An absolute-form target without a path ("http://host") gets a
     * static "/": the one span that may lie outside the input. */
    FUZZ_CHECK(fuzz_span_inside(req->path, buf, len) ||
               (req->path.len == 1 && req->path.ptr[0] == '/'));
    FUZZ_CHECK(req->path.len >= 1 && req->path.ptr[0] == '/');
    FUZZ_CHECK(fuzz_span_inside(req->query, buf, len));
    FUZZ_CHECK(memchr(req->path.ptr, '?', req->path.len) == NULL);
    FUZZ_CHECK(fuzz_span_inside(req->authorization, buf, len));
    FUZZ_CHECK(fuzz_span_inside(req->range, buf, len));

    /* HTTP/1.x for any x: a higher minor version reads as 1.1. */
    FUZZ_CHECK(req->minor_version >= 0 && req->minor_version <= 9);
    FUZZ_CHECK(req->header_count <= HTTP_MAX_HEADERS);
    FUZZ_CHECK(req->content_length >= -1);
    FUZZ_CHECK(!(req->chunked && req->content_length >= 0));
    FUZZ_CHECK(!(req->keep_alive && req->connection_close));
    FUZZ_CHECK(!(req->chunked && req->minor_version == 0));
    FUZZ_CHECK(req->method == fuzz_method_of(req->method_name));

    for (size_t i = 0; i < req->header_count; i++) {
        struct http_span name = req->headers[i].name;
        struct http_span value = req->headers[i].value;

        FUZZ_CHECK(fuzz_span_inside(name, buf, len));
        FUZZ_CHECK(fuzz_span_inside(value, buf, len));
        FUZZ_CHECK(fuzz_is_token(name));
        FUZZ_CHECK(memchr(value.ptr, '\r', value.len) == NULL);
        FUZZ_CHECK(memchr(value.ptr, '\n', value.len) == NULL);
        FUZZ_CHECK(memchr(value.ptr, '\0', value.len) == NULL);
        FUZZ_CHECK(value.len == 0 ||
                   (value.ptr[0] != ' ' && value.ptr[0] != '\t' &&
                    value.ptr[value.len - 1] != ' ' &&
                    value.ptr[value.len - 1] != '\t'));
        if (http_span_equals(name, "Transfer-Encoding"))
            transfer_encoding = 1;
        if (http_span_equals(name, "Host"))
            hosts++;
    }

    /* API.md: a Transfer-Encoding we accept is one that frames the body;
     * anything else beside or instead of a length is refused. */
    FUZZ_CHECK(!transfer_encoding || req->chunked);
    FUZZ_CHECK(hosts == 1 || (hosts == 0 && req->minor_version == 0));
}

/* Two parses of the same head in different buffers agree field by field. */
static void fuzz_check_same(const struct http_request *a, const char *abuf,
                            const struct http_request *b, const char *bbuf)
{
    FUZZ_CHECK(a->method == b->method);
    FUZZ_CHECK(a->minor_version == b->minor_version);
    FUZZ_CHECK(a->content_length == b->content_length);
    FUZZ_CHECK(a->chunked == b->chunked);
    FUZZ_CHECK(a->keep_alive == b->keep_alive);
    FUZZ_CHECK(a->expect_continue == b->expect_continue);
    FUZZ_CHECK(a->connection_close == b->connection_close);
    FUZZ_CHECK(a->header_count == b->header_count);
    FUZZ_CHECK(fuzz_offset(a->target, abuf) == fuzz_offset(b->target, bbuf));
    FUZZ_CHECK(a->target.len == b->target.len);
    FUZZ_CHECK(a->query.len == b->query.len);
    FUZZ_CHECK(a->path.len == b->path.len);
    for (size_t i = 0; i < a->header_count; i++) {
        FUZZ_CHECK(fuzz_offset(a->headers[i].value, abuf) ==
                   fuzz_offset(b->headers[i].value, bbuf));
        FUZZ_CHECK(a->headers[i].value.len == b->headers[i].value.len);
    }
}

/*
 * The i-th prefix length worth trying on a good head of n bytes: the one
 * that stops just short of the request line's CRLF (where the parser has
 * to guess whether an unfinished line will grow too long), the one a byte
 * short of the end, one picked by the input itself, and a few in between.
 */
static size_t fuzz_prefix_len(const char *buf, size_t n, int i)
{
    size_t skip = 0;
    const char *line_end;

    switch (i) {
    case 0:
        while (skip + 1 < n && buf[skip] == '\r' && buf[skip + 1] == '\n')
            skip += 2;
        line_end = memchr(buf + skip, '\r', n - skip);
        return line_end ? (size_t)(line_end - buf) : 0;
    case 1:
        return n - 1;
    case 2:
        return n * (unsigned char)buf[n / 2] / 256;
    default:
        return n * (size_t)(i - 2) / 4;
    }
}

static int fuzz_parse(const char *buf, size_t len, struct http_request *req)
{
    int n = http_parse_request(buf, len, req);

    FUZZ_CHECK(n == -1 || n == -2 || (n > 0 && (size_t)n <= len));
    if (n == -1) {
        FUZZ_CHECK(fuzz_known_status(req->error_status));
        FUZZ_CHECK(req->error_reason != NULL);
    }
    return n;
}

static void fuzz_heads(const uint8_t *data, size_t size)
{
    static struct http_request req, other;
    char *buf = fuzz_copy(data, size, NULL, 0);
    int n = fuzz_parse(buf, size, &req);

    if (n > 0) {
        /* Pipelined bytes after the head change nothing. */
        char *longer = fuzz_copy(data, size, "GET / HTTP/1.1\r\n", 16);

        fuzz_check_head(&req, buf, n);
        FUZZ_CHECK(fuzz_parse(longer, size + 16, &other) == n);
        fuzz_check_same(&req, buf, &other, longer);
        free(longer);

        /* No prefix of a good head is complete, or wrong. */
        for (int i = 0; i < FUZZ_PREFIXES; i++) {
            size_t cut = fuzz_prefix_len(buf, (size_t)n, i);
            char *prefix = fuzz_copy(data, cut, NULL, 0);

            FUZZ_CHECK(fuzz_parse(prefix, cut, &other) == -2);
            free(prefix);
        }
    } else {
        /* Incomplete or refused: more bytes cannot un-refuse it, and an
         * incomplete one's prefixes are incomplete too. */
        char *longer = fuzz_copy(data, size, "\r\n\r\n", 4);
        int m = fuzz_parse(longer, size + 4, &other);

        if (n == -1)
            FUZZ_CHECK(m == -1);
        free(longer);
        if (n == -2 && size > 1) {
            char *prefix = fuzz_copy(data, size / 2, NULL, 0);

            FUZZ_CHECK(fuzz_parse(prefix, size / 2, &other) == -2);
            free(prefix);
        }
    }
    free(buf);
}

/* ---- chunked ------------------------------------------------------- */

struct fuzz_decoded {
    char *bytes;                     /* the body, as decoded */
    size_t len;
    size_t consumed;                 /* input bytes taken */
    int done;
    int failed;
};

/* Feed buf to a fresh decoder in pieces of at most `step` bytes (0: all
 * at once), calling again until it takes nothing more. */
static void fuzz_decode(const char *buf, size_t len, size_t step,
                        struct fuzz_decoded *out)
{
    struct http_chunked c;
    size_t pos = 0;

    memset(out, 0, sizeof(*out));
    out->bytes = malloc(len ? len : 1);
    if (out->bytes == NULL)
        abort();
    http_chunked_init(&c);

    while (pos < len && !http_chunked_done(&c)) {
        size_t avail = step && len - pos > step ? step : len - pos;
        struct http_span data;
        ssize_t n = http_chunked_parse(&c, buf + pos, avail, &data);

        if (n < 0) {
            FUZZ_CHECK(n == -1);
            out->failed = 1;
            break;
        }
        FUZZ_CHECK((size_t)n <= avail);
        FUZZ_CHECK(data.len <= (size_t)n);
        if (data.len > 0) {
            FUZZ_CHECK(data.ptr >= buf + pos &&
                       data.ptr + data.len <= buf + pos + (size_t)n);
            memcpy(out->bytes + out->len, data.ptr, data.len);
            out->len += data.len;
        }
        pos += (size_t)n;
        if (n == 0 && !http_chunked_done(&c)) {
            /* No progress with bytes on offer is a stall. */
            FUZZ_CHECK(avail == 0);
            break;
        }
    }
    out->consumed = pos;
    out->done = http_chunked_done(&c);

    /* A finished body takes nothing more. */
    if (out->done) {
        struct http_span data;

        FUZZ_CHECK(http_chunked_parse(&c, "0\r\n\r\n", 5, &data) == 0);
    }
}

static void fuzz_chunked(const uint8_t *data, size_t size, size_t split)
{
    char *buf = fuzz_copy(data, size, NULL, 0);
    struct fuzz_decoded whole, bytewise, halves;

    fuzz_decode(buf, size, 0, &whole);
    fuzz_decode(buf, size, 1, &bytewise);
    fuzz_decode(buf, size, split ? split : 1, &halves);

    FUZZ_CHECK(whole.len <= size);
    FUZZ_CHECK(whole.failed == bytewise.failed &&
               whole.failed == halves.failed);
    FUZZ_CHECK(whole.done == bytewise.done && whole.done == halves.done);
    FUZZ_CHECK(whole.len == bytewise.len && whole.len == halves.len);
    FUZZ_CHECK(memcmp(whole.bytes, bytewise.bytes, whole.len) == 0);
    FUZZ_CHECK(memcmp(whole.bytes, halves.bytes, whole.len) == 0);
    if (whole.done)
        FUZZ_CHECK(whole.consumed == bytewise.consumed &&
                   whole.consumed == halves.consumed);

    free(whole.bytes);
    free(bytewise.bytes);
    free(halves.bytes);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct http_request req;
    int n;

    if (size > FUZZ_MAX_INPUT)
        return 0;

    fuzz_heads(data, size);

    /* The body after a chunked head, or the whole input as a body: the
     * seeds hold both kinds. */
    n = http_parse_request((const char *)data, size, &req);
    if (n > 0 && req.chunked)
        fuzz_chunked(data + n, size - (size_t)n, (size - (size_t)n) / 2);
    else
        fuzz_chunked(data, size, size / 3);
    return 0;
}
