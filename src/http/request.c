/*
 * The request-head parser.
 *
 * It walks the head once, line by line, and refuses at the first byte
 * that breaks the grammar: a server that guesses at framing is one that
 * two parsers (a proxy's and ours) can read differently, which is how
 * requests get smuggled. Re-parsing from the start on every read is the
 * normal path; heads are small and capped.
 */
#include "http.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static int fail(struct http_request *req, int status, const char *reason)
{
    req->error_status = status;
    req->error_reason = reason;
    return -1;
}

bool http_span_equals(struct http_span span, const char *text)
{
    size_t len = strlen(text);

    return span.len == len && strncasecmp(span.ptr, text, len) == 0;
}

static enum http_method method_from(struct http_span m)
{
    static const struct {
        const char *name;
        enum http_method method;
    } methods[] = {
        { "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "PUT", HTTP_PUT },
        { "POST", HTTP_POST }, { "DELETE", HTTP_DELETE },
    };

    /* Methods are case-sensitive (RFC 9110, 9.1). */
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (m.len == strlen(methods[i].name) &&
            memcmp(m.ptr, methods[i].name, m.len) == 0)
            return methods[i].method;
    }
    return HTTP_OTHER;
}

static int parse_request_line(const char *p, size_t len,
                              struct http_request *req)
{
    const char *end = p + len;
    const char *sp1, *sp2;
    const char *q;

    sp1 = memchr(p, ' ', len);
    if (sp1 == NULL || sp1 == p)
        return fail(req, 400, "malformed request line");
    for (q = p; q < sp1; q++) {
        if (!http_token_chars[(unsigned char)*q])
            return fail(req, 400, "malformed method");
    }
    req->method_name = (struct http_span){ p, (size_t)(sp1 - p) };
    req->method = method_from(req->method_name);

    sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
    if (sp2 == NULL || sp2 == sp1 + 1)
        return fail(req, 400, "malformed request line");
    if ((size_t)(sp2 - sp1 - 1) > HTTP_MAX_TARGET_BYTES)
        return fail(req, 414, "request target too long");
    for (q = sp1 + 1; q < sp2; q++) {
        unsigned char c = (unsigned char)*q;

        if (c <= 0x20 || c >= 0x7f)
            return fail(req, 400, "invalid byte in request target");
    }
    req->target = (struct http_span){ sp1 + 1, (size_t)(sp2 - sp1 - 1) };

    q = sp2 + 1;
    if (end - q != 8 || memcmp(q, "HTTP/", 5) != 0 ||
        q[5] < '0' || q[5] > '9' || q[6] != '.' || q[7] < '0' || q[7] > '9')
        return fail(req, 400, "malformed HTTP version");
    if (q[5] != '1')
        return fail(req, 505, "only HTTP/1.x is served");
    req->minor_version = q[7] - '0';
    return 0;
}

/* Split the target into path and query; accept the absolute form too
 * (RFC 9112, 3.2.2), whose authority we ignore. */
static int split_target(struct http_request *req)
{
    const char *p = req->target.ptr;
    const char *end = p + req->target.len;
    const char *question;

    if (req->target.len > 7 && strncasecmp(p, "http://", 7) == 0) {
        p = memchr(p + 7, '/', (size_t)(end - p - 7));
        if (p == NULL) {
            req->path = (struct http_span){ "/", 1 };
            req->query = (struct http_span){ "", 0 };
            return 0;
        }
    }
    if (p == end || *p != '/')
        return fail(req, 400, "request target must be a path");

    question = memchr(p, '?', (size_t)(end - p));
    if (question == NULL) {
        req->path = (struct http_span){ p, (size_t)(end - p) };
        req->query = (struct http_span){ end, 0 };
    } else {
        req->path = (struct http_span){ p, (size_t)(question - p) };
        req->query = (struct http_span){ question + 1,
                                         (size_t)(end - question - 1) };
    }

    /* A fragment never travels in a request; refuse rather than guess. */
    if (memchr(req->target.ptr, '#', req->target.len) != NULL)
        return fail(req, 400, "fragment in request target");
    return 0;
}

static int parse_header_line(const char *p, size_t len,
                             struct http_request *req)
{
    const char *end = p + len;
    const char *colon;
    struct http_header *h;

    if (*p == ' ' || *p == '\t')
        return fail(req, 400, "obsolete line folding");

    colon = memchr(p, ':', len);
    if (colon == NULL || colon == p)
        return fail(req, 400, "malformed header line");
    for (const char *q = p; q < colon; q++) {
        if (!http_token_chars[(unsigned char)*q])
            return fail(req, 400, "malformed header name");
    }
    for (const char *q = colon + 1; q < end; q++) {
        unsigned char c = (unsigned char)*q;

        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(req, 400, "control byte in header value");
    }

    if (req->header_count == HTTP_MAX_HEADERS)
        return fail(req, 431, "too many header fields");
    h = &req->headers[req->header_count++];
    h->name = (struct http_span){ p, (size_t)(colon - p) };
    h->value = http_trim(colon + 1, end);
    return 0;
}

static int parse_content_length(struct http_request *req,
                                 struct http_span value)
{
    int64_t n = 0;

    if (value.len == 0 || value.len > 18)
        return fail(req, 400, "malformed Content-Length");
    for (size_t i = 0; i < value.len; i++) {
        char c = value.ptr[i];

        if (c < '0' || c > '9')
            return fail(req, 400, "malformed Content-Length");
        n = n * 10 + (c - '0');
    }
    if (req->content_length >= 0 && req->content_length != n)
        return fail(req, 400, "conflicting Content-Length");
    req->content_length = n;
    return 0;
}

static int transfer_coding(struct http_request *req, struct http_span coding)
{
    /* chunked must be the last coding and may appear once; we decode no
     * other coding, so anything else cannot be framed by us. */
    if (req->chunked)
        return fail(req, 400, "chunked is not the final transfer coding");
    if (!http_span_equals(coding, "chunked"))
        return fail(req, 501, "unsupported transfer coding");
    req->chunked = true;
    return 0;
}

static void connection_option(struct http_request *req, struct http_span opt)
{
    if (http_span_equals(opt, "close"))
        req->connection_close = true;
    else if (http_span_equals(opt, "keep-alive"))
        req->connection_keep_alive = true;
}

static int interpret_headers(struct http_request *req)
{
    int hosts = 0;

    for (size_t i = 0; i < req->header_count; i++) {
        struct http_span name = req->headers[i].name;
        struct http_span value = req->headers[i].value;

        if (http_span_equals(name, "Content-Length")) {
            if (parse_content_length(req, value) < 0)
                return -1;
        } else if (http_span_equals(name, "Transfer-Encoding")) {
            if (req->minor_version == 0)
                return fail(req, 400, "Transfer-Encoding in HTTP/1.0");
            req->transfer_encoding = true;
            const char *cursor = value.ptr;
            struct http_span coding;

            while (http_next_element(&cursor, value.ptr + value.len,
                                     &coding)) {
                if (transfer_coding(req, coding) < 0)
                    return -1;
            }
        } else if (http_span_equals(name, "Connection")) {
            const char *cursor = value.ptr;
            struct http_span option;

            while (http_next_element(&cursor, value.ptr + value.len,
                                     &option))
                connection_option(req, option);
        } else if (http_span_equals(name, "Expect")) {
            if (!http_span_equals(value, "100-continue"))
                return fail(req, 417, "unsupported expectation");
            req->expect_continue = req->minor_version >= 1;
        } else if (http_span_equals(name, "Host")) {
            hosts++;
        } else if (http_span_equals(name, "Authorization")) {
            req->authorization = value;
        } else if (http_span_equals(name, "Range")) {
            req->range = value;
        }
    }

    /* HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes
     * unless asked to keep it. A close anywhere wins. */
    req->keep_alive = !req->connection_close &&
                      (req->minor_version >= 1 || req->connection_keep_alive);
    /* An empty Transfer-Encoding names no coding at all: refuse it rather
     * than guess whether the sender meant a body. */
    if (req->transfer_encoding && !req->chunked)
        return fail(req, 400, "empty Transfer-Encoding");
    if (req->transfer_encoding && req->content_length >= 0)
        return fail(req, 400, "both Content-Length and Transfer-Encoding");
    if (hosts > 1 || (hosts == 0 && req->minor_version >= 1))
        return fail(req, 400, "exactly one Host header is required");
    return 0;
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    const char *p = buf;
    const char *end = buf + len;
    ssize_t line;

    memset(req, 0, offsetof(struct http_request, headers));
    req->content_length = -1;

    /* Tolerate empty lines before a request (RFC 9112, 2.2). */
    while (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
        p += 2;

    /* The same cap whether the line is complete or still coming, so that
     * how the bytes were split never changes the answer. */
    line = http_line_length(p, end);
    if (line == -2) {
        if ((size_t)(end - p) > HTTP_MAX_REQUEST_LINE)
            return fail(req, 414, "request line too long");
        return -2;
    }
    if (line < 0)
        return fail(req, 400, "bare CR or LF");
    if ((size_t)line > HTTP_MAX_REQUEST_LINE)
        return fail(req, 414, "request line too long");
    if (parse_request_line(p, (size_t)line, req) < 0 ||
        split_target(req) < 0)
        return -1;
    p += line + 2;

    for (;;) {
        line = http_line_length(p, end);
        if (line == -2)
            break;
        if (line < 0)
            return fail(req, 400, "bare CR or LF");
        if (line == 0) {
            p += 2;
            if (p - buf > HTTP_MAX_HEAD_BYTES)
                return fail(req, 431, "request head too large");
            if (interpret_headers(req) < 0)
                return -1;
            return (int)(p - buf);
        }
        if (parse_header_line(p, (size_t)line, req) < 0)
            return -1;
        p += line + 2;
    }

    if (len > HTTP_MAX_HEAD_BYTES)
        return fail(req, 431, "request head too large");
    return -2;
}
