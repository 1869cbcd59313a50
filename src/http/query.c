/*
 * Percent-decoding, query parameters and the API's booleans.
 *
 * Names are decoded before they are checked, never the other way round,
 * so "%2e%2e" meets the same check as "..".
 */
#include "http.h"

#include <string.h>
#include <strings.h>

ssize_t http_decode(const char *src, size_t len, char *dst,
                    bool plus_is_space)
{
    size_t out = 0;

    for (size_t i = 0; i < len; i++) {
        char c = src[i];

        if (c == '%') {
            int hi, lo;

            if (i + 2 >= len)
                return -1;
            hi = http_hex_value(src[i + 1]);
            lo = http_hex_value(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            dst[out++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            dst[out++] = ' ';
        } else {
            dst[out++] = c;
        }
    }
    return (ssize_t)out;
}

/* Parameter names we look for are short; a longer one cannot match. */
#define QUERY_NAME_MAX 64

bool http_query_param(struct http_span query, const char *name,
                      struct http_span *raw)
{
    const char *p = query.ptr;
    const char *end = query.ptr + query.len;
    size_t name_len = strlen(name);

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *key_end = eq ? eq : stop;
        char key[QUERY_NAME_MAX];
        ssize_t key_len = -1;

        if ((size_t)(key_end - p) <= sizeof(key))
            key_len = http_decode(p, (size_t)(key_end - p), key, true);

        if (key_len == (ssize_t)name_len &&
            memcmp(key, name, name_len) == 0) {
            raw->ptr = eq ? eq + 1 : stop;
            raw->len = eq ? (size_t)(stop - eq - 1) : 0;
            return true;
        }
        p = amp ? amp + 1 : end;
    }
    return false;
}

int http_parse_bool(const char *text, size_t len)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };

    if (len == 0)
        return 0;
    for (size_t i = 0; i < 4; i++) {
        if (len == strlen(yes[i]) && strncasecmp(text, yes[i], len) == 0)
            return 1;
        if (len == strlen(no[i]) && strncasecmp(text, no[i], len) == 0)
            return 0;
    }
    return -1;
}
