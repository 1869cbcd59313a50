/*
 * The response-head parser.
 *
 * The client's job is to notice when a server gets HTTP wrong, so this
 * parser refuses what a browser would forgive: a bare LF, folded lines,
 * two lengths, a length next to a transfer coding. Heads are small and
 * capped, so re-parsing from the first byte on every read costs little
 * and keeps the parser without state.
 */
#include "http_response.h"

#include <ctype.h>
#include <string.h>
#include <sys/types.h>

/* The longest Content-Length we read: 18 digits cannot overflow. */
#define CONTENT_LENGTH_DIGITS 18

/* Bytes a field value or reason phrase may hold: visible ASCII, space,
 * tab and obs-text; no control byte, no DEL. */
static bool is_text_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* "HTTP/1.x SSS reason": the reason may be empty, and so may the space
 * before it, which some servers leave out. */
static int parse_status_line(const char *p, size_t len,
                             struct http_response *resp)
{
    if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
        !isdigit((unsigned char)p[7]) || p[8] != ' ')
        return -1;
    resp->minor_version = p[7] - '0';

    for (int i = 9; i < 12; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
    }
    resp->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (resp->status < 100)
        return -1;

    if (len > 12 && p[12] != ' ')
        return -1;
    for (size_t i = 13; i < len; i++) {
        if (!is_text_char((unsigned char)p[i]))
            return -1;
    }
    resp->reason = len > 13 ? (struct http_span){ p + 13, len - 13 }
                            : (struct http_span){ p + len, 0 };
    return 0;
}

static int parse_header_line(const char *p, size_t len,
                             struct http_response *resp)
{
    const char *colon = memchr(p, ':', len);
    struct http_header *h;

    /* A leading space is obsolete folding; a space before the colon
     * makes the name unreadable. Both fail the token check. */
    if (colon == NULL || colon == p)
        return -1;
    for (const char *q = p; q < colon; q++) {
        if (!http_token_chars[(unsigned char)*q])
            return -1;
    }
    for (const char *q = colon + 1; q < p + len; q++) {
        if (!is_text_char((unsigned char)*q))
            return -1;
    }

    if (resp->header_count == HTTP_MAX_HEADERS)
        return -1;
    h = &resp->headers[resp->header_count++];
    h->name = (struct http_span){ p, (size_t)(colon - p) };
    h->value = http_trim(colon + 1, p + len);
    return 0;
}

static int read_content_length(struct http_span value, bool *seen,
                               uint64_t *length)
{
    uint64_t n = 0;

    if (value.len == 0 || value.len > CONTENT_LENGTH_DIGITS)
        return -1;
    for (size_t i = 0; i < value.len; i++) {
        if (!isdigit((unsigned char)value.ptr[i]))
            return -1;
        n = n * 10 + (uint64_t)(value.ptr[i] - '0');
    }

    if (*seen && *length != n)
        return -1;
    *seen = true;
    *length = n;
    return 0;
}

/* Decide the framing and the connection's fate from the fields. */
static int interpret_headers(struct http_response *resp)
{
    bool has_length = false, has_coding = false, chunked_last = false;
    bool close = false, keep_alive = false;
    struct http_span element;

    for (size_t i = 0; i < resp->header_count; i++) {
        struct http_span name = resp->headers[i].name;
        struct http_span value = resp->headers[i].value;
        const char *cursor = value.ptr;
        const char *end = value.ptr + value.len;

        if (http_span_equals(name, "Content-Length")) {
            if (read_content_length(value, &has_length,
                                    &resp->content_length) < 0)
                return -1;
        } else if (http_span_equals(name, "Transfer-Encoding")) {
            while (http_next_element(&cursor, end, &element)) {
                /* chunked may come once, and only last. */
                if (chunked_last)
                    return -1;
                chunked_last = http_span_equals(element, "chunked");
                has_coding = true;
            }
        } else if (http_span_equals(name, "Connection")) {
            while (http_next_element(&cursor, end, &element)) {
                close |= http_span_equals(element, "close");
                keep_alive |= http_span_equals(element, "keep-alive");
            }
        }
    }

    resp->keep_alive = !close && (resp->minor_version >= 1 || keep_alive);

    /* A length beside a coding is how responses get smuggled; an HTTP/1.0
     * message has no business with codings at all (RFC 9112, 6.1). */
    if (has_coding && (has_length || resp->minor_version == 0))
        return -1;

    if (resp->status < 200 || resp->status == 204 || resp->status == 304)
        resp->framing = HTTP_BODY_NONE;
    else if (chunked_last)
        resp->framing = HTTP_BODY_CHUNKED;
    else if (has_length && !has_coding)
        resp->framing = HTTP_BODY_LENGTH;
    else
        resp->framing = HTTP_BODY_UNTIL_CLOSE;

    if (resp->framing == HTTP_BODY_UNTIL_CLOSE)
        resp->keep_alive = false;
    return 0;
}

int http_parse_response(const char *buf, size_t len,
                        struct http_response *resp)
{
    const char *p = buf;
    const char *end = buf + len;
    ssize_t line;

    memset(resp, 0, offsetof(struct http_response, headers));

    line = http_line_length(p, end);
    if (line == -1)
        return -1;
    if (line >= 0) {
        if (parse_status_line(p, (size_t)line, resp) < 0)
            return -1;
        p += line + 2;
    }

    while (line >= 0) {
        line = http_line_length(p, end);
        if (line < 0)
            break;
        if (line == 0) {
            p += 2;
            if (p - buf > HTTP_MAX_HEAD_BYTES || interpret_headers(resp) < 0)
                return -1;
            return (int)(p - buf);
        }
        if (parse_header_line(p, (size_t)line, resp) < 0)
            return -1;
        p += line + 2;
    }

    if (line == -1 || len > HTTP_MAX_HEAD_BYTES)
        return -1;

    /* An incomplete status line can already be wrong: say so now rather
     * than wait for bytes that cannot make it right. */
    if (p == buf && memcmp(buf, "HTTP/", len < 5 ? len : 5) != 0)
        return -1;
    return -2;
}

const struct http_span *http_response_header(const struct http_response *r,
                                             const char *name)
{
    for (size_t i = 0; i < r->header_count; i++) {
        if (http_span_equals(r->headers[i].name, name))
            return &r->headers[i].value;
    }
    return NULL;
}
