/*
 * Small pieces of HTTP that are not parsing: hex digits, ranges, reason
 * phrases and the two base64 flavours the API uses.
 */
#include "http.h"

#include <string.h>
#include <strings.h>

int http_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Read a decimal number; one too large for 62 bits reads as that limit,
 * which is past any blob's end, so "bytes=0-99999999999999999999" still
 * means "to the end". */
static const char *read_number(const char *p, const char *end, uint64_t *out)
{
    const uint64_t limit = UINT64_MAX >> 2;
    uint64_t n = 0;
    const char *start = p;

    while (p < end && *p >= '0' && *p <= '9') {
        n = n > (limit - 9) / 10 ? limit : n * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (p == start)
        return NULL;
    *out = n;
    return p;
}

int http_parse_range(struct http_span value, uint64_t size,
                     uint64_t *first, uint64_t *last)
{
    const char *p = value.ptr;
    const char *end = value.ptr + value.len;
    uint64_t a, b;

    /* Units are case-insensitive; one we do not know is ignored (RFC
     * 9110, 14.2), which means sending the whole blob. */
    if (value.len < 6 || strncasecmp(p, "bytes=", 6) != 0)
        return memchr(p, '=', value.len) != NULL ? 0 : -1;
    p += 6;

    /* Several ranges: RFC 9110 lets us answer with the whole blob. */
    if (memchr(p, ',', (size_t)(end - p)) != NULL)
        return 0;

    if (p < end && *p == '-') {
        /* bytes=-N: the last N bytes. */
        p = read_number(p + 1, end, &b);
        if (p == NULL || p != end || b == 0 || size == 0)
            return -1;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return 1;
    }

    p = read_number(p, end, &a);
    if (p == NULL || p == end || *p != '-')
        return -1;
    p++;
    if (p == end) {
        b = UINT64_MAX;
    } else {
        p = read_number(p, end, &b);
        if (p == NULL || p != end || b < a)
            return -1;
    }

    if (a >= size)
        return -1;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return 1;
}

const char *http_status_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

size_t http_base64url(const unsigned char *in, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;

    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;

        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];

        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

ssize_t http_base64_decode(const char *in, size_t len, unsigned char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    size_t pad = 0;

    if (len % 4 != 0)
        return -1;

    for (size_t i = 0; i < len; i++) {
        int v;

        if (in[i] == '=') {
            /* Padding only at the very end, at most two. */
            if (i < len - 2)
                return -1;
            pad++;
            continue;
        }
        if (pad > 0)
            return -1;

        v = base64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (ssize_t)o;
}
