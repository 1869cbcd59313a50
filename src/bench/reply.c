/*
 * Checking an answer as it arrives.
 *
 * The client must never count a wrong answer as a fast one, so every
 * answer is read to its last byte and held against what the API promises
 * for that step. Bodies are compared in place against the shared upload
 * pattern, so a 1 MiB download costs a memcmp, not a copy.
 */
#include "bench_reply.h"

#include <string.h>

void bench_reply_start(struct bench_reply *r, const struct bench_expect *e)
{
    r->expect = e;
    r->in_body = false;
    r->why = NULL;
    r->status = 0;
    r->remaining = 0;
    r->body_len = 0;
    r->first_byte = 0;
    r->last_byte = 0;
}

static enum bench_reply_result reply_failed(struct bench_reply *r,
                                            enum bench_error error,
                                            const char *why)
{
    r->error = error;
    r->why = why;
    return BENCH_REPLY_FAILED;
}

static bool is_json_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Compare len body bytes at the current offset with the uploaded blob:
 * its id first, then the pattern. */
static bool blob_matches(const struct bench_expect *e, uint64_t offset,
                         const char *data, size_t len)
{
    if (offset < e->stamp_len) {
        size_t head = e->stamp_len - (size_t)offset;

        if (head > len)
            head = len;
        if (memcmp(data, e->stamp + offset, head) != 0)
            return false;
        data += head;
        len -= head;
        offset += head;
    }
    return len == 0 || memcmp(data, e->pattern + offset, len) == 0;
}

static enum bench_reply_result take_body(struct bench_reply *r,
                                         const char *data, size_t len)
{
    const struct bench_expect *e = r->expect;
    uint64_t offset = r->body_len;

    if (len == 0)
        return BENCH_REPLY_MORE;
    r->body_len += len;

    switch (e->check) {
    case BENCH_BODY_ANY:
        break;
    case BENCH_BODY_LENGTH:
        if (r->body_len > e->length)
            return reply_failed(r, BENCH_ERR_BODY, "body too long");
        break;
    case BENCH_BODY_JSON_ARRAY:
        if (offset == 0)
            r->first_byte = (unsigned char)data[0];
        for (size_t i = len; i > 0; i--) {
            if (!is_json_space((unsigned char)data[i - 1])) {
                r->last_byte = (unsigned char)data[i - 1];
                break;
            }
        }
        break;
    case BENCH_BODY_BLOB:
        if (r->body_len > e->length)
            return reply_failed(r, BENCH_ERR_BODY, "body too long");
        if (!blob_matches(e, offset, data, len))
            return reply_failed(r, BENCH_ERR_BODY,
                                "body differs from the upload");
        break;
    }
    return BENCH_REPLY_MORE;
}

static enum bench_reply_result finish_body(struct bench_reply *r)
{
    const struct bench_expect *e = r->expect;

    if ((e->check == BENCH_BODY_LENGTH || e->check == BENCH_BODY_BLOB) &&
        r->body_len != e->length)
        return reply_failed(r, BENCH_ERR_BODY, "body too short");
    if (e->check == BENCH_BODY_JSON_ARRAY &&
        (r->first_byte != '[' || r->last_byte != ']'))
        return reply_failed(r, BENCH_ERR_BODY, "body is not a JSON array");
    return BENCH_REPLY_DONE;
}

static enum bench_reply_result start_body(struct bench_reply *r)
{
    const struct bench_expect *e = r->expect;

    r->in_body = true;
    switch (r->head.framing) {
    case HTTP_BODY_UNTIL_CLOSE:
        return reply_failed(r, BENCH_ERR_FRAMING,
                            "neither Content-Length nor chunked");
    case HTTP_BODY_LENGTH:
        r->remaining = r->head.content_length;
        if ((e->check == BENCH_BODY_LENGTH || e->check == BENCH_BODY_BLOB) &&
            r->remaining != e->length)
            return reply_failed(r, BENCH_ERR_BODY,
                                "Content-Length differs from the body "
                                "expected");
        break;
    case HTTP_BODY_CHUNKED:
        http_chunked_init(&r->chunked);
        break;
    case HTTP_BODY_NONE:
        break;
    }
    return BENCH_REPLY_MORE;
}

/* Parse heads until the final one (1xx answers are skipped) and check
 * its status. */
static enum bench_reply_result take_head(struct bench_reply *r,
                                         const char *buf, size_t len,
                                         size_t *pos)
{
    for (;;) {
        int n = http_parse_response(buf + *pos, len - *pos, &r->head);

        if (n == -2)
            return BENCH_REPLY_MORE;
        if (n < 0)
            return reply_failed(r, BENCH_ERR_FRAMING, "malformed head");

        *pos += (size_t)n;
        r->status = r->head.status;
        if (r->status >= 200 || r->status == 101)
            break;
    }

    if (r->status != r->expect->status)
        return reply_failed(r, BENCH_ERR_STATUS, "unexpected status");
    return start_body(r);
}

enum bench_reply_result bench_reply_feed(struct bench_reply *r,
                                         const char *buf, size_t len,
                                         size_t *used)
{
    enum bench_reply_result result = BENCH_REPLY_MORE;
    size_t pos = 0;

    if (!r->in_body) {
        result = take_head(r, buf, len, &pos);
        if (result != BENCH_REPLY_MORE || !r->in_body) {
            *used = pos;
            return result;
        }
    }

    switch (r->head.framing) {
    case HTTP_BODY_NONE:
        *used = pos;
        return finish_body(r);

    case HTTP_BODY_LENGTH: {
        size_t take = len - pos;

        if (take > r->remaining)
            take = (size_t)r->remaining;
        result = take_body(r, buf + pos, take);
        r->remaining -= take;
        pos += take;
        if (result == BENCH_REPLY_MORE && r->remaining == 0)
            result = finish_body(r);
        break;
    }

    case HTTP_BODY_CHUNKED:
        while (pos < len && result == BENCH_REPLY_MORE) {
            struct http_span data;
            ssize_t n = http_chunked_parse(&r->chunked, buf + pos,
                                           len - pos, &data);

            if (n <= 0)
                return reply_failed(r, BENCH_ERR_FRAMING,
                                    "malformed chunked body");
            pos += (size_t)n;
            result = take_body(r, data.ptr, data.len);
            if (result == BENCH_REPLY_MORE && http_chunked_done(&r->chunked))
                result = finish_body(r);
        }
        break;

    case HTTP_BODY_UNTIL_CLOSE:
        result = reply_failed(r, BENCH_ERR_FRAMING,
                              "neither Content-Length nor chunked");
        break;
    }

    *used = pos;
    return result;
}
