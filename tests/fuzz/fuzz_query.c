/*
 * fuzz_query.c: libFuzzer target for what a request's target and headers
 * go through after the parser: percent-decoding, query parameters, the
 * API's booleans, Range headers and base64.
 *
 * The checks, beyond "no crash":
 *
 *   - decoding never grows a string, fails exactly on a malformed escape,
 *     and undoes an encoding of every byte; '+' is a space only when asked,
 *     and then exactly as "%20" would be;
 *   - a parameter found lies inside the query, holds no '&', sits after
 *     its own name, and no earlier parameter has that name (first wins);
 *   - a boolean reads the same in any case, and only the words of API.md
 *     are true or false;
 *   - a range served is one range, in bytes, inside the representation;
 *   - base64url encoding decodes back to the same bytes, and decoding
 *     never writes more than len * 3 / 4 bytes.
 *
 * Built by tests/fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined
 * against the sources of src/http.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define FUZZ_MAX_INPUT (2 * HTTP_MAX_TARGET_BYTES)

#define FUZZ_CHECK(cond)                                                   \
    do {                                                                   \
        if (!(cond))                                                       \
            fuzz_broken(#cond, __LINE__);                                  \
    } while (0)

static void fuzz_broken(const char *what, int line)
{
    fprintf(stderr, "fuzz_query.c:%d: promise broken: %s\n", line, what);
    abort();
}

static void *fuzz_alloc(size_t len)
{
    void *p = malloc(len ? len : 1);

    if (p == NULL)
        abort();
    return p;
}

static int fuzz_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* How many escapes a string holds, or -1 if one is malformed. */
static long fuzz_escapes(const char *s, size_t len)
{
    long count = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%')
            continue;
        if (i + 2 >= len || !fuzz_hex(s[i + 1]) || !fuzz_hex(s[i + 2]))
            return -1;
        count++;
        i += 2;
    }
    return count;
}

static void fuzz_decoding(const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *plain = fuzz_alloc(len);
    char *spaced = fuzz_alloc(len);
    char *encoded = fuzz_alloc(3 * len);
    char *again = fuzz_alloc(3 * len);
    char *plus_as_escape = fuzz_alloc(3 * len);
    long escapes = fuzz_escapes(s, len);
    ssize_t n = http_decode(s, len, plain, false);
    ssize_t m = http_decode(s, len, spaced, true);
    size_t e = 0;

    FUZZ_CHECK((n < 0) == (escapes < 0));
    FUZZ_CHECK((m < 0) == (escapes < 0));
    if (n < 0)
        goto out;
    FUZZ_CHECK((size_t)n == len - 2 * (size_t)escapes);
    FUZZ_CHECK(m == n);

    /* '+' as space is exactly '+' written as %20. */
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            memcpy(plus_as_escape + e, "%20", 3);
            e += 3;
        } else {
            plus_as_escape[e++] = s[i];
        }
    }
    FUZZ_CHECK(http_decode(plus_as_escape, e, again, false) == m);
    FUZZ_CHECK(memcmp(again, spaced, (size_t)m) == 0);

    /* Every byte escaped comes back as itself. */
    for (ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)plain[i];

        encoded[3 * i] = '%';
        encoded[3 * i + 1] = hex[c >> 4];
        encoded[3 * i + 2] = hex[c & 15];
    }
    FUZZ_CHECK(http_decode(encoded, 3 * (size_t)n, again, true) == n);
    FUZZ_CHECK(memcmp(again, plain, (size_t)n) == 0);

out:
    free(plain);
    free(spaced);
    free(encoded);
    free(again);
    free(plus_as_escape);
}

/* Does the key of the parameter [p, stop) decode (as a query) to name? */
static int fuzz_key_is(const char *p, const char *stop, const char *name)
{
    const char *eq = memchr(p, '=', (size_t)(stop - p));
    const char *key_end = eq ? eq : stop;
    size_t raw_len = (size_t)(key_end - p);
    char *key = fuzz_alloc(raw_len);
    ssize_t n = http_decode(p, raw_len, key, true);
    int same = n == (ssize_t)strlen(name) && memcmp(key, name, n) == 0;

    free(key);
    return same;
}

static void fuzz_parameter(struct http_span query, const char *name)
{
    struct http_span raw;
    const char *end = query.ptr + query.len;
    const char *p = query.ptr;

    if (!http_query_param(query, name, &raw)) {
        /* Not found: no short parameter has this name. The parser skips
         * keys longer than it could hold, which no name of ours is. */
        while (p < end) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *stop = amp ? amp : end;

            FUZZ_CHECK(!fuzz_key_is(p, stop, name));
            p = amp ? amp + 1 : end;
        }
        return;
    }

    FUZZ_CHECK(raw.ptr >= query.ptr && raw.ptr + raw.len <= end);
    FUZZ_CHECK(memchr(raw.ptr, '&', raw.len) == NULL);
    FUZZ_CHECK(raw.ptr + raw.len == end || raw.ptr[raw.len] == '&');

    /* First wins: every parameter before this one has another name, and
     * this one has the name asked for. */
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;

        if (raw.ptr >= p && raw.ptr <= stop) {
            FUZZ_CHECK(fuzz_key_is(p, stop, name));
            return;
        }
        FUZZ_CHECK(!fuzz_key_is(p, stop, name));
        p = amp ? amp + 1 : end;
    }
    FUZZ_CHECK(!"the value found lies in no parameter");
}

static int fuzz_word_in(const char *text, size_t len,
                        const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(words[i]) == len && strncasecmp(text, words[i], len) == 0)
            return 1;
    }
    return 0;
}

static void fuzz_boolean(const char *text, size_t len)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    char *upper = fuzz_alloc(len);
    int value = http_parse_bool(text, len);

    for (size_t i = 0; i < len; i++)
        upper[i] = (char)toupper((unsigned char)text[i]);

    FUZZ_CHECK(value == -1 || value == 0 || value == 1);
    FUZZ_CHECK(http_parse_bool(upper, len) == value);
    FUZZ_CHECK((value == 1) == fuzz_word_in(text, len, yes, 4));
    FUZZ_CHECK((value == 0) == (len == 0 || fuzz_word_in(text, len, no, 4)));
    free(upper);
}

static void fuzz_range(const char *text, size_t len, uint64_t size)
{
    char *copy = fuzz_alloc(len);
    struct http_span value = { copy, len };
    uint64_t first = UINT64_MAX, last = UINT64_MAX;
    int result;

    if (len > 0)
        memcpy(copy, text, len);
    result = http_parse_range(value, size, &first, &last);

    /* 0 (send it all) is for what may be ignored: several ranges, or a
     * unit we do not know. One range served is one range in bytes. */
    FUZZ_CHECK(result == -1 || result == 0 || result == 1);
    if (result == 1) {
        FUZZ_CHECK(len >= 6 && strncasecmp(text, "bytes=", 6) == 0);
        FUZZ_CHECK(memchr(text, ',', len) == NULL);
        FUZZ_CHECK(first <= last && last < size);
    }
    free(copy);
}

static void fuzz_base64(const unsigned char *bytes, size_t len)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    char *encoded = fuzz_alloc(cap);
    unsigned char *decoded;
    size_t n = http_base64url(bytes, len, encoded);
    ssize_t back;

    FUZZ_CHECK(n == cap - 1 && encoded[n] == '\0');
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(isalnum((unsigned char)encoded[i]) || encoded[i] == '-' ||
                   encoded[i] == '_' || encoded[i] == '=');
        /* The standard alphabet, for the decoder. */
        if (encoded[i] == '-')
            encoded[i] = '+';
        else if (encoded[i] == '_')
            encoded[i] = '/';
    }

    decoded = fuzz_alloc(n * 3 / 4);
    back = http_base64_decode(encoded, n, decoded);
    FUZZ_CHECK(back == (ssize_t)len);
    FUZZ_CHECK(len == 0 || memcmp(decoded, bytes, len) == 0);
    free(decoded);
    free(encoded);

    /* Any text: never more than len * 3 / 4 bytes out (ASan sees it). */
    decoded = fuzz_alloc(len * 3 / 4);
    back = http_base64_decode((const char *)bytes, len, decoded);
    FUZZ_CHECK(back <= (ssize_t)(len * 3 / 4));
    free(decoded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {
        "namespace", "only_count", "only_flags", "deleted", "order_by",
        "filter_flag",
    };
    char *text;
    struct http_span query;
    uint64_t size_for_range = 0;

    if (size > FUZZ_MAX_INPUT)
        return 0;

    /* An exact-size copy: ASan sees a read one byte past the end. */
    text = fuzz_alloc(size);
    if (size > 0)
        memcpy(text, data, size);
    query = (struct http_span){ text, size };

    fuzz_decoding(text, size);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        fuzz_parameter(query, names[i]);
    fuzz_boolean(text, size);
    fuzz_boolean(text, size < 8 ? size : 8);

    /* The first bytes choose a representation size, tiny to huge. */
    for (size_t i = 0; i < size && i < 8; i++)
        size_for_range = size_for_range << 8 | data[i];
    fuzz_range(text, size, size_for_range >> (data[0] % 64));
    fuzz_range(text, size, size);
    fuzz_range(text, size, 0);

    fuzz_base64(data, size);
    free(text);
    return 0;
}
