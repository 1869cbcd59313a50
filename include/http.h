/*
 * http.h: HTTP/1.1 requests, parsed by hand.
 *
 * The parser is pure: bytes in, spans into those bytes out, no allocation.
 * It is meant to be called again from the start whenever more bytes
 * arrive; -2 means "incomplete", -1 "refuse it" with the status to send in
 * req->error_status. It knows nothing of sockets or blobs.
 *
 * Framing is strict (RFC 9112): lines end in CRLF, no obsolete folding, no
 * whitespace before a colon, one unambiguous body length. Anything else is
 * an error, never a guess.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MAX_HEAD_BYTES (16 * 1024)      /* 431 past this */
#define HTTP_MAX_TARGET_BYTES (8 * 1024)     /* 414 past this */
#define HTTP_MAX_REQUEST_LINE (HTTP_MAX_TARGET_BYTES + 64) /* 414 too */
#define HTTP_MAX_HEADERS 64                  /* 431 past this */
#define HTTP_MAX_CHUNK_LINE 256              /* 400 past this */
#define HTTP_MAX_TRAILER_BYTES (8 * 1024)    /* 400 past this */

struct http_span {
    const char *ptr;
    size_t len;
};

enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_PUT,
    HTTP_POST,
    HTTP_DELETE,
    HTTP_OTHER,                      /* a valid token we do not serve */
};

struct http_header {
    struct http_span name;
    struct http_span value;
};

struct http_request {
    enum http_method method;
    struct http_span method_name;
    struct http_span target;         /* as sent */
    struct http_span path;           /* target up to '?', origin form */
    struct http_span query;          /* after '?', empty if none */
    int minor_version;               /* HTTP/1.0 or HTTP/1.1 */

    /* What the headers say, checked for consistency. */
    int64_t content_length;          /* -1 when absent */
    bool chunked;
    bool keep_alive;
    bool expect_continue;
    bool transfer_encoding;          /* a Transfer-Encoding header came */
    bool connection_close;           /* "Connection: close" was sent */
    bool connection_keep_alive;      /* "Connection: keep-alive" was sent */
    struct http_span authorization;  /* empty when absent */
    struct http_span range;

    /* When parsing fails: the status to answer and a one-line reason. */
    int error_status;
    const char *error_reason;

    size_t header_count;
    struct http_header headers[HTTP_MAX_HEADERS];
};

/* Parse a request head. Return its length in bytes (including the final
 * empty line), -2 when more bytes are needed, or -1 on error. */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/*
 * A chunked body, decoded as bytes arrive. Each call consumes what it can
 * and points *data at the body bytes found (inside buf), stopping after one
 * run of data so the caller can write it. Return the bytes consumed, or -1
 * on malformed framing. The body is over when http_chunked_done().
 */
struct http_chunked {
    int state;
    uint64_t remaining;              /* data left in the current chunk */
    size_t line_len;                 /* bytes of the current size line */
    size_t trailer_len;
    bool digits;                     /* saw a hex digit on the size line */
};

void http_chunked_init(struct http_chunked *c);
ssize_t http_chunked_parse(struct http_chunked *c, const char *buf,
                           size_t len, struct http_span *data);
bool http_chunked_done(const struct http_chunked *c);

/*
 * Percent-decoding. Decode src into dst (which needs len bytes at most);
 * '+' becomes a space only when plus_is_space (queries, never paths).
 * Return the decoded length, or -1 on a malformed escape.
 */
ssize_t http_decode(const char *src, size_t len, char *dst,
                    bool plus_is_space);

/* Find a query parameter by its (decoded) name; the first one wins.
 * *raw is its value still encoded, empty for "name" or "name=". */
bool http_query_param(struct http_span query, const char *name,
                      struct http_span *raw);

/* Booleans as API.md reads them: 1, true, yes, on / 0, false, no, off, or
 * empty (any case). Return 1, 0, or -1 for anything else. */
int http_parse_bool(const char *text, size_t len);

/* A Range header against a representation of `size` bytes.
 * Return 1 with the inclusive [*first, *last] for one satisfiable range,
 * 0 when the header should be ignored (several ranges: send it all), or
 * -1 when it is malformed or unsatisfiable (416). */
int http_parse_range(struct http_span value, uint64_t size,
                     uint64_t *first, uint64_t *last);

/* Lexing that the request and the response parsers share. */

/* tchar of RFC 9110, as a table: one lookup per byte. */
extern const unsigned char http_token_chars[256];

/* The length of the line at p without its CRLF; -2 when the buffer ends
 * before the line does, -1 on a bare CR or a bare LF. */
ssize_t http_line_length(const char *p, const char *end);

/* [p, end) without the spaces and tabs around it. */
struct http_span http_trim(const char *p, const char *end);

/* Step through a comma-separated list; empty elements are skipped.
 * Return false when the list is used up. */
bool http_next_element(const char **cursor, const char *end,
                       struct http_span *element);

/* The value of a hex digit, or -1. */
int http_hex_value(char c);

/* Case-insensitive comparison of a span with a C string. */
bool http_span_equals(struct http_span span, const char *text);

/* The reason phrase of a status code ("Not Found"). */
const char *http_status_reason(int status);

/* URL-safe base64 with padding: out needs 4 * ((len + 2) / 3) + 1. */
size_t http_base64url(const unsigned char *in, size_t len, char *out);

/* Standard base64 decoding (Authorization headers). Return the length or
 * -1; out needs len * 3 / 4 bytes. */
ssize_t http_base64_decode(const char *in, size_t len, unsigned char *out);

#endif
