/*
 * Requests of the six actions, built from a plan made once.
 *
 * Heads are assembled with memcpy from pieces the plan prepared, not with
 * snprintf: at a hundred thousand requests a second the formatting would
 * be a visible share of the client's CPU, and the client's CPU is what
 * must stay small next to the server's.
 */
#include "bench_request.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define FLAG_BODY "[\"PROCESSING\"]"
#define PATTERN_SEED 0x9e3779b97f4a7c15ULL

void bench_fill_pattern(unsigned char *buf, size_t len)
{
    uint64_t state = PATTERN_SEED;

    /* xorshift64: cheap, and far from the zeros or text a server bug
     * might produce by accident. */
    for (size_t i = 0; i < len; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        buf[i] = (unsigned char)(state >> 56);
    }
}

static size_t format_u64(char *out, uint64_t value)
{
    char digits[20];
    size_t len = 0;

    do {
        digits[len++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);

    for (size_t i = 0; i < len; i++)
        out[i] = digits[len - 1 - i];
    return len;
}

static char *append(char *p, const char *text, size_t len)
{
    memcpy(p, text, len);
    return p + len;
}

#define APPEND_LITERAL(p, s) append((p), (s), sizeof(s) - 1)

static void random_tag(char tag[17])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t bits;

    if (getrandom(&bits, sizeof(bits), 0) != (ssize_t)sizeof(bits))
        bits = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();

    for (int i = 0; i < 16; i++)
        tag[i] = hex[(bits >> (60 - 4 * i)) & 0xf];
    tag[16] = '\0';
}

/* "METHOD <target> HTTP/1.1\r\nHost: <authority>\r\n\r\n" */
static size_t simple_head(char *out, const struct bench_plan *plan,
                          const char *target_a, const char *target_b)
{
    char *p = out;

    p = APPEND_LITERAL(p, "GET ");
    p = append(p, target_a, strlen(target_a));
    p = append(p, target_b, strlen(target_b));
    p = append(p, plan->version_host, plan->version_host_len);
    p = APPEND_LITERAL(p, "\r\n");
    return (size_t)(p - out);
}

int bench_plan_init(struct bench_plan *plan, const struct bench_options *o)
{
    char *p;

    memset(plan, 0, sizeof(*plan));
    plan->action = o->action;
    plan->steps = bench_action_steps(o->action);
    plan->baseline_length = o->expect_length;
    random_tag(plan->tag);

    p = plan->version_host;
    p = APPEND_LITERAL(p, " HTTP/1.1\r\nHost: ");
    p = append(p, o->url.authority, strlen(o->url.authority));
    p = APPEND_LITERAL(p, "\r\n");
    plan->version_host_len = (size_t)(p - plan->version_host);

    p = plan->blob_base;
    p = append(p, o->url.prefix, strlen(o->url.prefix));
    p = APPEND_LITERAL(p, "/blobs/");
    p = append(p, o->user, strlen(o->user));
    p = APPEND_LITERAL(p, "/");
    plan->blob_base_len = (size_t)(p - plan->blob_base);
    *p = '\0';

    if (o->action == BENCH_BASELINE)
        plan->fixed_head_len = simple_head(plan->fixed_head, plan,
                                           o->url.prefix,
                                           o->path[0] ? o->path : "/");
    else if (o->action == BENCH_LIST)
        plan->fixed_head_len = simple_head(plan->fixed_head, plan,
                                           plan->blob_base, "");

    if (o->action >= BENCH_PUT && o->size_kib > 0) {
        plan->body_len = o->size_kib * 1024;
        plan->pattern = malloc(plan->body_len);
        if (plan->pattern == NULL)
            return -1;
        bench_fill_pattern(plan->pattern, plan->body_len);
    }
    return 0;
}

void bench_plan_free(struct bench_plan *plan)
{
    free(plan->pattern);
    plan->pattern = NULL;
}

size_t bench_blob_id(const struct bench_plan *plan, uint64_t n,
                     char out[BENCH_ID_MAX])
{
    size_t len;

    memcpy(out, plan->tag, 16);
    out[16] = '-';
    len = 17 + format_u64(out + 17, n);
    out[len] = '\0';
    return len;
}

/* "METHOD <prefix>/blobs/<user>/<id> HTTP/1.1\r\nHost: ...\r\n" then the
 * body's fields and the empty line. */
static void blob_head(struct bench_request *req,
                      const struct bench_plan *plan, const char *method,
                      uint64_t body_len, bool json)
{
    char *p = req->head;

    p = append(p, method, strlen(method));
    p = APPEND_LITERAL(p, " ");
    p = append(p, plan->blob_base, plan->blob_base_len);
    p = append(p, req->id, req->id_len);
    p = append(p, plan->version_host, plan->version_host_len);
    if (json)
        p = APPEND_LITERAL(p, "Content-Type: application/json\r\n");
    if (body_len > 0 || strcmp(method, "PUT") == 0) {
        p = APPEND_LITERAL(p, "Content-Length: ");
        p += format_u64(p, body_len);
        p = APPEND_LITERAL(p, "\r\n");
    }
    p = APPEND_LITERAL(p, "\r\n");
    req->head_len = (size_t)(p - req->head);
}

static void add_body(struct bench_request *req, const void *bytes,
                     size_t len)
{
    if (len == 0)
        return;
    req->iov[req->iov_count].iov_base = (void *)bytes;
    req->iov[req->iov_count].iov_len = len;
    req->iov_count++;
    req->total_len += len;
}

void bench_request_build(const struct bench_plan *plan, uint64_t n,
                         unsigned step, struct bench_request *req)
{
    struct bench_expect *e = &req->expect;
    size_t stamp_len;

    *e = (struct bench_expect){ .status = 200, .check = BENCH_BODY_LENGTH };
    req->iov_count = 1;

    if (plan->action == BENCH_BASELINE || plan->action == BENCH_LIST) {
        memcpy(req->head, plan->fixed_head, plan->fixed_head_len);
        req->head_len = plan->fixed_head_len;
        req->iov[0] = (struct iovec){ req->head, req->head_len };
        req->total_len = req->head_len;
        if (plan->action == BENCH_LIST)
            e->check = BENCH_BODY_JSON_ARRAY;
        else if (plan->baseline_length < 0)
            e->check = BENCH_BODY_ANY;
        else
            e->length = (uint64_t)plan->baseline_length;
        return;
    }

    req->id_len = bench_blob_id(plan, n, req->id);
    stamp_len = req->id_len < plan->body_len ? req->id_len
                                             : (size_t)plan->body_len;

    if (step == 0)
        blob_head(req, plan, "PUT", plan->body_len, false);
    else if (plan->action == BENCH_GET)
        blob_head(req, plan, "GET", 0, false);
    else if (plan->action == BENCH_FLAG)
        blob_head(req, plan, "POST", sizeof(FLAG_BODY) - 1, true);
    else
        blob_head(req, plan, "DELETE", 0, false);

    req->iov[0] = (struct iovec){ req->head, req->head_len };
    req->total_len = req->head_len;

    if (step == 0 && plan->body_len > 0) {
        add_body(req, req->id, stamp_len);
        add_body(req, plan->pattern + stamp_len,
                 (size_t)plan->body_len - stamp_len);
    } else if (plan->action == BENCH_FLAG) {
        add_body(req, FLAG_BODY, sizeof(FLAG_BODY) - 1);
    } else if (plan->action == BENCH_GET) {
        e->check = BENCH_BODY_BLOB;
        e->length = plan->body_len;
        e->pattern = plan->pattern;
        e->stamp = req->id;
        e->stamp_len = stamp_len;
    }
}
