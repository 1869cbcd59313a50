/*
 * The chunked transfer coding (RFC 9112, 7.1), decoded as bytes arrive.
 *
 * The decoder never copies: it hands back spans of body data that lie in
 * the caller's buffer, so an upload goes from the socket buffer to the
 * file without another copy. Chunk extensions are skipped, trailer fields
 * are read and dropped; both are capped so a peer cannot make us wait on
 * an endless line.
 */
#include "http.h"

enum chunked_state {
    CHUNK_SIZE,                      /* hex digits */
    CHUNK_EXTENSION,                 /* ";name=value" up to CR */
    CHUNK_SIZE_LF,
    CHUNK_DATA,
    CHUNK_DATA_CR,
    CHUNK_DATA_LF,
    CHUNK_TRAILER,                   /* start of a trailer line */
    CHUNK_TRAILER_LINE,
    CHUNK_TRAILER_LF,
    CHUNK_FINAL_LF,
    CHUNK_DONE,
};

void http_chunked_init(struct http_chunked *c)
{
    c->state = CHUNK_SIZE;
    c->remaining = 0;
    c->line_len = 0;
    c->trailer_len = 0;
    c->digits = false;
}

bool http_chunked_done(const struct http_chunked *c)
{
    return c->state == CHUNK_DONE;
}

ssize_t http_chunked_parse(struct http_chunked *c, const char *buf,
                           size_t len, struct http_span *data)
{
    size_t i = 0;

    data->ptr = buf;
    data->len = 0;

    while (i < len && c->state != CHUNK_DONE) {
        char ch = buf[i];

        switch (c->state) {
        case CHUNK_SIZE: {
            int digit = http_hex_value(ch);

            if (digit >= 0) {
                /* 15 hex digits is 2^60: no body of ours comes near it. */
                if (c->remaining >> 56)
                    return -1;
                c->remaining = c->remaining * 16 + (uint64_t)digit;
                c->digits = true;
            } else if (ch == ';' && c->digits) {
                c->state = CHUNK_EXTENSION;
            } else if (ch == '\r' && c->digits) {
                c->state = CHUNK_SIZE_LF;
            } else {
                return -1;
            }
            break;
        }

        case CHUNK_EXTENSION:
            if (ch == '\r')
                c->state = CHUNK_SIZE_LF;
            else if (ch == '\n' || ((unsigned char)ch < 0x20 && ch != '\t'))
                return -1;
            break;

        case CHUNK_SIZE_LF:
            if (ch != '\n')
                return -1;
            c->line_len = 0;
            c->digits = false;
            c->state = c->remaining ? CHUNK_DATA : CHUNK_TRAILER;
            break;

        case CHUNK_DATA: {
            size_t take = len - i;

            if (take > c->remaining)
                take = (size_t)c->remaining;
            data->ptr = buf + i;
            data->len = take;
            c->remaining -= take;
            if (c->remaining == 0)
                c->state = CHUNK_DATA_CR;
            return (ssize_t)(i + take);
        }

        case CHUNK_DATA_CR:
            if (ch != '\r')
                return -1;
            c->state = CHUNK_DATA_LF;
            break;

        case CHUNK_DATA_LF:
            if (ch != '\n')
                return -1;
            c->state = CHUNK_SIZE;
            break;

        case CHUNK_TRAILER:
            if (ch == '\r') {
                c->state = CHUNK_FINAL_LF;
                break;
            }
            c->state = CHUNK_TRAILER_LINE;
            /* This byte starts a trailer field. */
            __attribute__((fallthrough));
        case CHUNK_TRAILER_LINE:
            if (ch == '\r')
                c->state = CHUNK_TRAILER_LF;
            else if (ch == '\n')
                return -1;
            break;

        case CHUNK_TRAILER_LF:
            if (ch != '\n')
                return -1;
            c->state = CHUNK_TRAILER;
            break;

        case CHUNK_FINAL_LF:
            if (ch != '\n')
                return -1;
            c->state = CHUNK_DONE;
            break;
        }

        i++;
        if (c->state == CHUNK_SIZE || c->state == CHUNK_EXTENSION) {
            if (++c->line_len > HTTP_MAX_CHUNK_LINE)
                return -1;
        }
        if (c->state >= CHUNK_TRAILER && c->state <= CHUNK_TRAILER_LF) {
            if (++c->trailer_len > HTTP_MAX_TRAILER_BYTES)
                return -1;
        }
    }
    return (ssize_t)i;
}
