/*
 * bench_request.h: the bytes of each request and what its answer must be.
 *
 * A plan is made once per invocation from the options: the Host line,
 * the paths, the one upload buffer every PUT is written from. Building a
 * request from it is a few copies into a fixed head buffer and an iovec
 * that points at the shared body; nothing is allocated per request.
 *
 * Blob ids are "<16 hex of a per-invocation random>-<number>". The first
 * bytes of every upload are its own id, so a server that hands back
 * another blob's bytes is caught, at no cost but a short iovec.
 */
#ifndef BENCH_REQUEST_H
#define BENCH_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "bench.h"
#include "bench_options.h"

#define BENCH_ID_MAX 40                  /* 16 + 1 + 20 digits, and NUL */
#define BENCH_HEAD_MAX 1024              /* the options keep heads below */

enum bench_body_check {
    BENCH_BODY_ANY,                      /* whatever it is */
    BENCH_BODY_LENGTH,                   /* exactly `length` bytes */
    BENCH_BODY_JSON_ARRAY,               /* '[' ... ']' */
    BENCH_BODY_BLOB,                     /* the uploaded bytes */
};

struct bench_expect {
    int status;
    enum bench_body_check check;
    uint64_t length;                     /* BENCH_BODY_LENGTH, _BLOB */
    const unsigned char *pattern;        /* BENCH_BODY_BLOB: the body... */
    const char *stamp;                   /* ...but for its first bytes */
    size_t stamp_len;
};

struct bench_plan {
    enum bench_action action;
    unsigned steps;                      /* requests per operation */
    char tag[17];                        /* the per-invocation random */
    uint64_t body_len;                   /* SIZE KiB */
    unsigned char *pattern;              /* body_len bytes (or NULL) */
    int64_t baseline_length;             /* -1: any body */

    /* Ready-made heads of the requests that never change. */
    char fixed_head[BENCH_HEAD_MAX];
    size_t fixed_head_len;

    /* "<prefix>/blobs/<user>/" and " HTTP/1.1\r\nHost: <host>\r\n". */
    char blob_base[BENCH_PREFIX_MAX + BENCH_NAME_MAX + 16];
    size_t blob_base_len;
    char version_host[BENCH_HOST_MAX + 32];
    size_t version_host_len;
};

struct bench_request {
    char head[BENCH_HEAD_MAX];
    size_t head_len;
    char id[BENCH_ID_MAX];
    size_t id_len;
    struct iovec iov[3];
    int iov_count;
    uint64_t total_len;                  /* head and body */
    struct bench_expect expect;
};

/* Make the plan; the user must be set in the options. Return 0, or -1
 * when out of memory. */
int bench_plan_init(struct bench_plan *plan, const struct bench_options *o);
void bench_plan_free(struct bench_plan *plan);

/* The id of blob number n; return its length. */
size_t bench_blob_id(const struct bench_plan *plan, uint64_t n,
                     char out[BENCH_ID_MAX]);

/* Step `step` (0 or 1) of operation number n. */
void bench_request_build(const struct bench_plan *plan, uint64_t n,
                         unsigned step, struct bench_request *req);

/* The upload pattern: fixed, so that runs are reproducible. */
void bench_fill_pattern(unsigned char *buf, size_t len);

#endif
