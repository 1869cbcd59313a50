/*
 * http_response.h: the client's side of HTTP/1.1, a response-head parser.
 *
 * Pure like the request parser: bytes in, spans into those bytes out, no
 * allocation; call again from the start when more bytes arrive. Return the
 * head's length, -2 when it is incomplete, -1 when it is not valid HTTP.
 * It also says how the body is framed (RFC 9112, 6.3, for an answer to a
 * request other than HEAD or CONNECT); a chunked body is decoded with
 * http_chunked_parse() from http.h, the same decoder the server uses.
 *
 * Framing is strict, because the client exists to check a server: CRLF
 * line ends, no folding, one unambiguous length. A length that is absent
 * is reported (HTTP_BODY_UNTIL_CLOSE), not refused: that is the caller's
 * call.
 */
#ifndef HTTP_RESPONSE_H
#define HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

enum http_body_framing {
    HTTP_BODY_NONE,                  /* 1xx, 204, 304: no body at all */
    HTTP_BODY_LENGTH,                /* Content-Length bytes */
    HTTP_BODY_CHUNKED,
    HTTP_BODY_UNTIL_CLOSE,           /* no length: the body ends at EOF */
};

struct http_response {
    int minor_version;
    int status;
    struct http_span reason;
    enum http_body_framing framing;
    uint64_t content_length;         /* with HTTP_BODY_LENGTH */
    bool keep_alive;                 /* false: the server will close */

    size_t header_count;
    struct http_header headers[HTTP_MAX_HEADERS];
};

int http_parse_response(const char *buf, size_t len,
                        struct http_response *resp);

/* The value of the first header field with this name, or NULL. */
const struct http_span *http_response_header(const struct http_response *r,
                                             const char *name);

#endif
