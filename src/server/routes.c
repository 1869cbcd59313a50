/*
 * Routes: the blob API of API.md, from a parsed request to the store.
 *
 *   GET  /                          the benchmark's empty baseline
 *   GET  /blobs/<user>/             list (or count) a namespace
 *   PUT  /blobs/<user>/<id>         upload, never overwriting
 *   GET  /blobs/<user>/<id>         download (ranges, Tag), or its flags
 *   POST /blobs/<user>/<id>         replace its flags
 *   DELETE /blobs/<user>/<id>       delete, leaving a tombstone
 *
 * Names are percent-decoded first and checked after, so no encoding can
 * smuggle a dot segment or a slash past the check.
 */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define ROUTES_MAX_FLAGS_BODY 4096   /* 413 past this */
#define ROUTES_TAG_BYTES 16          /* the AES-GCM tag at a blob's end */

static const char allow_root[] = "Allow: GET, HEAD\r\n";
static const char allow_blob[] = "Allow: GET, HEAD, PUT, POST, DELETE\r\n";

/* Decode a path segment or a query value into out (STORE_NAME_MAX + 1
 * bytes) and check it is a valid name. Return 0, or -1 when it is not. */
static int decode_name(const char *raw, size_t len, bool is_query,
                       char *out)
{
    char decoded[HTTP_MAX_TARGET_BYTES];
    ssize_t n;

    if (len > sizeof(decoded))
        return -1;
    n = http_decode(raw, len, decoded, is_query);
    if (n < 0 || !store_name_valid(decoded, (size_t)n))
        return -1;

    memcpy(out, decoded, (size_t)n);
    out[n] = '\0';
    return 0;
}

/* Decode a query value into a small buffer; return its length or -1. */
static ssize_t query_value(const struct http_request *req, const char *name,
                           char *out, size_t cap, bool *present)
{
    struct http_span raw;
    char decoded[HTTP_MAX_TARGET_BYTES];
    ssize_t n;

    *present = http_query_param(req->query, name, &raw);
    if (!*present)
        return 0;
    if (raw.len > sizeof(decoded))
        return -1;
    n = http_decode(raw.ptr, raw.len, decoded, true);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    memcpy(out, decoded, (size_t)n);
    out[n] = '\0';
    return n;
}

/* A boolean parameter: 1, 0, or -1 (answered 400 already). */
static int query_bool(struct conn *c, const struct http_request *req,
                      const char *name)
{
    char value[16];
    bool present;
    ssize_t n = query_value(req, name, value, sizeof(value), &present);
    int result = n < 0 ? -1 : http_parse_bool(value, (size_t)n);

    if (!present)
        return 0;
    if (result < 0)
        conn_error(c, 400, "Invalid value for %s: expected true or false",
                   name);
    return result;
}

static int query_namespace(struct conn *c, const struct http_request *req,
                           char *ns)
{
    struct http_span raw;

    if (!http_query_param(req->query, "namespace", &raw) || raw.len == 0) {
        strcpy(ns, "default");
        return 0;
    }
    if (decode_name(raw.ptr, raw.len, true, ns) < 0) {
        conn_error(c, 400, "Invalid namespace");
        return -1;
    }
    return 0;
}

/* JSON output. Names are [A-Za-z0-9_-] only, so nothing needs escaping. */

static void respond_json(struct conn *c, const char *body, size_t len)
{
    conn_respond(c, 200, "application/json", body, len, NULL);
}

static size_t flags_to_json(unsigned flags, char *out)
{
    size_t len = 0;

    out[len++] = '[';
    for (unsigned bit = 1; bit < (1u << STORE_FLAG_COUNT); bit <<= 1) {
        if (!(flags & bit))
            continue;
        if (len > 1)
            out[len++] = ',';
        len += (size_t)sprintf(out + len, "\"%s\"", store_flag_name(bit));
    }
    out[len++] = ']';
    return len;
}

static void route_list(struct conn *c, const struct http_request *req,
                       const char *user)
{
    struct store_list_query query = { 0 };
    struct store_entry *entries = NULL;
    char ns[STORE_NAME_MAX + 1];
    char order[16];
    char flag[32];
    bool present;
    ssize_t n;
    size_t count = 0;
    int only_count, deleted, err;
    char *json;
    size_t len = 0;

    if (query_namespace(c, req, ns) < 0)
        return;
    query.ns = ns;

    if ((only_count = query_bool(c, req, "only_count")) < 0 ||
        (deleted = query_bool(c, req, "deleted")) < 0)
        return;
    query.deleted = deleted;

    n = query_value(req, "order_by", order, sizeof(order), &present);
    if (!present)
        query.order = STORE_ORDER_NONE;
    /* "+date" sent unencoded arrives as " date": '+' is a space in a
     * query. Both mean oldest first. */
    else if (n >= 0 && (strcmp(order, "date") == 0 ||
                        strcmp(order, "+date") == 0 ||
                        strcmp(order, " date") == 0))
        query.order = STORE_ORDER_DATE_ASC;
    else if (n >= 0 && strcmp(order, "-date") == 0)
        query.order = STORE_ORDER_DATE_DESC;
    else {
        conn_error(c, 400, "Invalid order_by: use date, +date or -date");
        return;
    }

    n = query_value(req, "filter_flag", flag, sizeof(flag), &present);
    if (present && n > 0) {
        query.filter_flag = store_flag_from_name(flag, (size_t)n);
        if (query.filter_flag == 0) {
            conn_error(c, 400, "Invalid filter_flag");
            return;
        }
    } else if (n < 0) {
        conn_error(c, 400, "Invalid filter_flag");
        return;
    }

    if (only_count && !query.deleted && query.filter_flag == 0)
        err = store_count(conn_store(c), user, ns, &count);
    else
        err = store_list(conn_store(c), user, &query, &entries, &count);
    if (err < 0) {
        free(entries);
        conn_error(c, 500, "Cannot list blobs: %s", strerror(-err));
        return;
    }

    if (only_count) {
        char body[48];

        free(entries);
        respond_json(c, body, (size_t)snprintf(body, sizeof(body),
                                               "{\"count\": %zu}", count));
        return;
    }

    json = malloc(2 + count * (STORE_NAME_MAX + 3));
    if (json == NULL) {
        free(entries);
        conn_error(c, 500, "Out of memory");
        return;
    }
    json[len++] = '[';
    for (size_t i = 0; i < count; i++) {
        size_t id_len = strlen(entries[i].id);

        if (i > 0)
            json[len++] = ',';
        json[len++] = '"';
        memcpy(json + len, entries[i].id, id_len);
        len += id_len;
        json[len++] = '"';
    }
    json[len++] = ']';
    respond_json(c, json, len);
    free(json);
    free(entries);
}

/* Answer a store error: the statuses API.md gives, else 500 saying what
 * failed ("Cannot open blob: ..."). */
static void respond_store_error(struct conn *c, int err,
                                const struct route_state *r,
                                const char *doing)
{
    switch (err) {
    case -ENOENT:
        conn_error(c, 404, "Blob not found: %s", r->id);
        break;
    case -EEXIST:
        conn_error(c, 409, "Blob already exists: %s", r->id);
        break;
    case -EDQUOT:
        conn_error(c, 507, "Quota exceeded");
        break;
    case -ENOSPC:
        conn_error(c, 507, "No space left on device");
        break;
    case -EMFILE:
    case -ENFILE:
        conn_respond(c, 503, "text/plain",
                     "Server busy: out of file descriptors\n", 37,
                     "Retry-After: 1\r\n");
        break;
    default:
        conn_error(c, 500, "Cannot %s: %s", doing, strerror(-err));
        break;
    }
}

static void route_get_blob(struct conn *c, const struct http_request *req,
                           const struct route_state *r)
{
    struct store *store = conn_store(c);
    char extra[160];
    size_t extra_len = 0;
    uint64_t size, first, last;
    int only_flags, err, fd;

    if ((only_flags = query_bool(c, req, "only_flags")) < 0)
        return;

    if (only_flags) {
        unsigned flags;
        char json[80];

        err = store_flags_get(store, r->user, r->ns, r->id, &flags);
        if (err < 0) {
            respond_store_error(c, err, r, "read flags");
            return;
        }
        respond_json(c, json, flags_to_json(flags, json));
        return;
    }

    err = store_blob_open(store, r->user, r->ns, r->id, &fd, &size);
    if (err < 0) {
        respond_store_error(c, err, r, "open blob");
        return;
    }

    /* Soledad's client refuses a download without its tag: the last 16
     * bytes, which for a shorter blob do not exist. */
    if (size >= ROUTES_TAG_BYTES) {
        unsigned char tag[ROUTES_TAG_BYTES];
        char encoded[32];

        if (pread(fd, tag, sizeof(tag), (off_t)(size - sizeof(tag))) ==
            (ssize_t)sizeof(tag)) {
            http_base64url(tag, sizeof(tag), encoded);
            extra_len = (size_t)snprintf(extra, sizeof(extra),
                                         "Tag: %s\r\n", encoded);
        }
    }

    if (req->range.len > 0) {
        switch (http_parse_range(req->range, size, &first, &last)) {
        case 1:
            snprintf(extra + extra_len, sizeof(extra) - extra_len,
                     "Content-Range: bytes %llu-%llu/%llu\r\n",
                     (unsigned long long)first, (unsigned long long)last,
                     (unsigned long long)size);
            conn_respond_file(c, 206, fd, first, last - first + 1, extra);
            return;
        case -1: {
            char unsatisfied[64];

            close(fd);
            snprintf(unsatisfied, sizeof(unsatisfied),
                     "Content-Range: bytes */%llu\r\n",
                     (unsigned long long)size);
            conn_respond(c, 416, "text/plain", "Range not satisfiable\n",
                         22, unsatisfied);
            return;
        }
        default:
            break;
        }
    }
    conn_respond_file(c, 200, fd, 0, size, extra_len ? extra : NULL);
}

static void route_put_blob(struct conn *c, const struct http_request *req,
                           const struct route_state *r)
{
    const struct server_options *options = conn_options(c);
    int64_t expected = req->chunked ? -1
                       : req->content_length < 0 ? 0 : req->content_length;
    int err;

    if (expected > 0 && (uint64_t)expected > options->max_body) {
        conn_error(c, 413, "Blob larger than %llu bytes",
                   (unsigned long long)options->max_body);
        return;
    }

    err = store_upload_begin(conn_store(c), conn_upload(c), r->user, r->ns,
                             r->id, expected);
    if (err < 0) {
        respond_store_error(c, err, r, "store blob");
        return;
    }
    conn_read_body(c, BODY_UPLOAD, 0);
}

static void route_put_done(struct conn *c, const struct route_state *r)
{
    int err = store_upload_commit(conn_upload(c));

    if (err < 0)
        respond_store_error(c, err, r, "store blob");
    else
        conn_respond(c, 200, NULL, NULL, 0, NULL);
}

static void route_post_blob(struct conn *c, const struct http_request *req,
                            const struct route_state *r)
{
    unsigned flags;
    int err = store_flags_get(conn_store(c), r->user, r->ns, r->id, &flags);

    if (err < 0) {
        respond_store_error(c, err, r, "read flags");
        return;
    }
    /* A length known to be too long is refused before any byte is read
     * (and before 100 Continue invites them). */
    if (req->content_length > ROUTES_MAX_FLAGS_BODY) {
        conn_error(c, 413, "Flags body larger than %d bytes",
                   ROUTES_MAX_FLAGS_BODY);
        return;
    }
    conn_read_body(c, BODY_BUFFER, ROUTES_MAX_FLAGS_BODY);
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/*
 * Read one JSON string starting at its opening quote into out (cap bytes,
 * longer strings are cut: they cannot be flags anyway). Return the byte
 * after the closing quote, or NULL if it is not a valid string.
 */
static const char *json_string(const char *p, const char *end, char *out,
                               size_t cap, size_t *out_len)
{
    size_t len = 0;

    if (p == end || *p != '"')
        return NULL;
    for (p++; p < end && *p != '"'; p++) {
        char ch = *p;

        if ((unsigned char)ch < 0x20)
            return NULL;
        if (ch == '\\') {
            if (++p == end)
                return NULL;
            switch (*p) {
            case '"': case '\\': case '/': ch = *p; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'n': ch = '\n'; break;
            case 'r': ch = '\r'; break;
            case 't': ch = '\t'; break;
            case 'u': {
                unsigned code = 0;

                if (end - p < 5)
                    return NULL;
                for (int i = 1; i <= 4; i++) {
                    int digit = http_hex_value(p[i]);

                    if (digit < 0)
                        return NULL;
                    code = code * 16 + (unsigned)digit;
                }
                /* ASCII escapes are the letters they name; nothing else
                 * can be part of a flag, so a placeholder will do. */
                ch = code < 0x80 ? (char)code : '?';
                p += 4;
                break;
            }
            default:
                return NULL;
            }
        }
        if (len + 1 < cap)
            out[len++] = ch;
    }
    if (p == end)
        return NULL;
    out[len] = '\0';
    *out_len = len;
    return p + 1;
}

/* Parse a JSON array of strings into a flag set. Return 0, or 400 when it
 * is not an array of strings, or 406 with the bad name in bad_flag. */
static int parse_flags(const char *body, size_t len, unsigned *flags,
                       char *bad_flag, size_t bad_cap)
{
    const char *p = body;
    const char *end = body + len;
    int status = 0;

    *flags = 0;
    p = skip_space(p, end);
    if (p == end || *p != '[')
        return 400;
    p = skip_space(p + 1, end);
    if (p < end && *p == ']') {
        p = skip_space(p + 1, end);
        return p == end ? 0 : 400;
    }

    for (;;) {
        char name[64];
        size_t name_len;
        unsigned bit;

        p = json_string(p, end, name, sizeof(name), &name_len);
        if (p == NULL)
            return 400;

        bit = store_flag_from_name(name, name_len);
        if (bit == 0 && status == 0) {
            status = 406;
            snprintf(bad_flag, bad_cap, "%s", name);
        }
        *flags |= bit;

        p = skip_space(p, end);
        if (p < end && *p == ',') {
            p = skip_space(p + 1, end);
            continue;
        }
        if (p < end && *p == ']')
            break;
        return 400;
    }

    p = skip_space(p + 1, end);
    if (p != end)
        return 400;
    return status;
}

static bool printable(const char *text)
{
    for (; *text; text++) {
        if ((unsigned char)*text < 0x20 || (unsigned char)*text >= 0x7f)
            return false;
    }
    return true;
}

static void route_post_done(struct conn *c, const struct route_state *r)
{
    size_t len;
    const char *body = conn_body(c, &len);
    unsigned flags;
    char bad[64];
    int status = parse_flags(body, len, &flags, bad, sizeof(bad));
    int err;

    if (status == 400) {
        conn_error(c, 400, "Body must be a JSON array of flag names");
        return;
    }
    if (status == 406) {
        conn_error(c, 406, "Invalid flag: %s",
                   printable(bad) ? bad : "(unprintable)");
        return;
    }

    err = store_flags_set(conn_store(c), r->user, r->ns, r->id, flags);
    if (err < 0)
        respond_store_error(c, err, r, "write flags");
    else
        conn_respond(c, 200, NULL, NULL, 0, NULL);
}

static void route_delete_blob(struct conn *c, const struct route_state *r)
{
    int err = store_delete(conn_store(c), r->user, r->ns, r->id);

    if (err < 0)
        respond_store_error(c, err, r, "delete blob");
    else
        conn_respond(c, 200, NULL, NULL, 0, NULL);
}

static void route_blob(struct conn *c, const struct http_request *req,
                       struct route_state *r)
{
    if (query_namespace(c, req, r->ns) < 0)
        return;

    switch (req->method) {
    case HTTP_GET:
    case HTTP_HEAD:
        route_get_blob(c, req, r);
        break;
    case HTTP_PUT:
        route_put_blob(c, req, r);
        break;
    case HTTP_POST:
        route_post_blob(c, req, r);
        break;
    case HTTP_DELETE:
        route_delete_blob(c, r);
        break;
    default:
        conn_respond(c, 405, "text/plain", "Method not allowed\n", 19,
                     allow_blob);
        break;
    }
}

/* With a tokens file, every /blobs/ request needs a token for its user.
 * Answer 401 or 403 and return false when it lacks one. */
static bool route_authorized(struct conn *c, const struct http_request *req,
                             const char *user)
{
    const struct auth_table *auth = conn_auth(c);

    if (auth == NULL)
        return true;
    switch (auth_check(auth, req->authorization, user)) {
    case AUTH_OK:
        return true;
    case AUTH_FORBIDDEN:
        conn_error(c, 403, "Token not valid for user %s", user);
        return false;
    default:
        conn_respond(c, 401, "text/plain", "Missing or invalid token\n", 25,
                     "WWW-Authenticate: Token\r\n");
        return false;
    }
}

void routes_handle(struct conn *c, const struct http_request *req)
{
    const char *path = req->path.ptr;
    size_t len = req->path.len;
    struct route_state *r = conn_route_state(c);
    const char *user, *slash;
    size_t user_len;

    r->method = req->method;

    if (len == 1) {
        if (req->method == HTTP_GET || req->method == HTTP_HEAD)
            conn_respond(c, 200, NULL, NULL, 0, NULL);
        else
            conn_respond(c, 405, "text/plain", "Method not allowed\n", 19,
                         allow_root);
        return;
    }

    if (len <= 7 || memcmp(path, "/blobs/", 7) != 0) {
        conn_error(c, 404, "No such resource");
        return;
    }

    /* /blobs/<user>, /blobs/<user>/ or /blobs/<user>/<id>: split on the
     * raw slashes first, decode each part after. */
    user = path + 7;
    slash = memchr(user, '/', len - 7);
    user_len = slash ? (size_t)(slash - user) : len - 7;
    if (user_len == 0) {
        conn_error(c, 404, "No such resource");
        return;
    }
    if (decode_name(user, user_len, false, r->user) < 0) {
        conn_error(c, 400, "Invalid user name");
        return;
    }
    if (!route_authorized(c, req, r->user))
        return;

    if (slash == NULL || slash + 1 == path + len) {
        if (req->method == HTTP_GET || req->method == HTTP_HEAD)
            route_list(c, req, r->user);
        else
            conn_respond(c, 405, "text/plain", "Method not allowed\n", 19,
                         allow_root);
        return;
    }

    if (memchr(slash + 1, '/', (size_t)(path + len - slash - 1)) != NULL) {
        conn_error(c, 404, "No such resource");
        return;
    }
    if (decode_name(slash + 1, (size_t)(path + len - slash - 1), false,
                    r->id) < 0) {
        conn_error(c, 400, "Invalid blob id");
        return;
    }
    route_blob(c, req, r);
}

void routes_body_done(struct conn *c)
{
    struct route_state *r = conn_route_state(c);

    if (r->method == HTTP_PUT)
        route_put_done(c, r);
    else if (r->method == HTTP_POST)
        route_post_done(c, r);
}
