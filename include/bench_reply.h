/*
 * bench_reply.h: one answer checked as its bytes arrive.
 *
 * Fed from the connection's buffer, it parses the head, checks the status
 * the API promises, follows the framing (Content-Length or chunked) and
 * compares the body with what it must be, without copying it anywhere.
 * It knows no sockets: the tests feed it bytes whole, one by one, or cut
 * at random.
 */
#ifndef BENCH_REPLY_H
#define BENCH_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "bench_request.h"
#include "http.h"
#include "http_response.h"

enum bench_reply_result {
    BENCH_REPLY_MORE,                /* keep the unused bytes, read more */
    BENCH_REPLY_DONE,                /* complete and as expected */
    BENCH_REPLY_FAILED,              /* see error */
};

struct bench_reply {
    const struct bench_expect *expect;
    bool in_body;
    enum bench_error error;
    const char *why;                 /* a few words on the failure */
    int status;                      /* as received, 0 before the head */

    struct http_response head;
    uint64_t remaining;              /* HTTP_BODY_LENGTH: bytes to come */
    uint64_t body_len;               /* body bytes seen so far */
    struct http_chunked chunked;
    unsigned char first_byte;        /* for BENCH_BODY_JSON_ARRAY */
    unsigned char last_byte;         /* last one that was not a space */
};

void bench_reply_start(struct bench_reply *r, const struct bench_expect *e);

/* Feed the bytes received so far that were not used yet. On
 * BENCH_REPLY_MORE, *used bytes were taken and the rest must be fed again
 * with what comes next; on BENCH_REPLY_DONE, bytes past *used are not part
 * of this answer. */
enum bench_reply_result bench_reply_feed(struct bench_reply *r,
                                         const char *buf, size_t len,
                                         size_t *used);

/* Whether the connection may carry another request after a DONE. */
static inline bool bench_reply_keep_alive(const struct bench_reply *r)
{
    return r->head.keep_alive;
}

#endif
