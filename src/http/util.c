/*
 * Small pieces of HTTP: the lexing both parsers share (tokens, lines,
 * lists), hex digits, ranges, reason phrases and the two base64 flavours
 * the API uses.
 */
#include "http.h"

#include <string.h>
#include <strings.h>

const unsigned char http_token_chars[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
    ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

ssize_t http_line_length(const char *p, const char *end)
{
    const char *cr = memchr(p, '\r', (size_t)(end - p));
    const char *lf = memchr(p, '\n', cr ? (size_t)(cr - p) : (size_t)(end - p));

    if (lf != NULL)
        return -1;
    if (cr == NULL)
        return -2;
    if (cr + 1 == end)
        return -2;
    if (cr[1] != '\n')
        return -1;
    return cr - p;
}

struct http_span http_trim(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return (struct http_span){ p, (size_t)(end - p) };
}

bool http_next_element(const char **cursor, const char *end,
                       struct http_span *element)
{
    while (*cursor < end) {
        const char *comma = memchr(*cursor, ',', (size_t)(end - *cursor));
        const char *stop = comma ? comma : end;

        *element = http_trim(*cursor, stop);
        *cursor = comma ? comma + 1 : end;
        if (element->len > 0)
            return true;
    }
    return false;
}

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
