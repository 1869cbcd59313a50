/*
 * Children's output cut into lines, so that the supervisor can write each
 * one whole with the child's name in front, whatever the pipe delivers.
 */
#include "supervisor_child.h"

#include <string.h>

void supervisor_lines_feed(struct supervisor_lines *lines, const char *data,
                           size_t len, supervisor_line_fn *emit,
                           void *context)
{
    while (len > 0) {
        const char *newline = memchr(data, '\n', len);
        size_t take = newline ? (size_t)(newline - data) : len;
        size_t room = sizeof(lines->buf) - lines->len;

        /* Too long to keep: pass on what fits as a line of its own, and
         * go on with the rest. */
        if (take > room || (take == room && newline == NULL)) {
            memcpy(lines->buf + lines->len, data, room);
            emit(context, lines->buf, sizeof(lines->buf));
            lines->len = 0;
            data += room;
            len -= room;
            continue;
        }

        memcpy(lines->buf + lines->len, data, take);
        lines->len += take;
        if (newline == NULL)
            return;

        emit(context, lines->buf, lines->len);
        lines->len = 0;
        data += take + 1;
        len -= take + 1;
    }
}

void supervisor_lines_flush(struct supervisor_lines *lines,
                            supervisor_line_fn *emit, void *context)
{
    if (lines->len == 0)
        return;

    emit(context, lines->buf, lines->len);
    lines->len = 0;
}
