/*
 * bench_options.h: the command line of ./blobs-bench and the target URL.
 *
 * Parsing is strict and complete before anything runs: a bad option is a
 * one-line message naming it and exit status 2, never a half-run.
 */
#ifndef BENCH_OPTIONS_H
#define BENCH_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include "bench.h"

#define BENCH_NAME_MAX 200               /* user names, as API.md says */
#define BENCH_HOST_MAX 255
#define BENCH_PREFIX_MAX 256             /* the URL's path */
#define BENCH_MAX_CONNECTIONS 100000
#define BENCH_MAX_THREADS 256
#define BENCH_MAX_REPEATS 100000
#define BENCH_MAX_SIZE_KIB (1024 * 1024) /* a 1 GiB upload buffer */
#define BENCH_MAX_DECIMAL 1e9             /* seconds, or a rate */

enum bench_format {
    BENCH_FORMAT_SUMMARY,
    BENCH_FORMAT_SEED,
    BENCH_FORMAT_TSV,
    BENCH_FORMAT_JSON,
};

struct bench_url {
    char authority[BENCH_HOST_MAX + 7];  /* host[:port] as written: Host */
    char host[BENCH_HOST_MAX + 1];
    uint16_t port;
    char prefix[BENCH_PREFIX_MAX + 1];   /* "" or "/p/q", no final '/' */
    struct sockaddr_in address;
};

struct bench_options {
    enum bench_action action;
    uint64_t amount;                     /* 0: no limit (--duration) */
    uint64_t size_kib;

    char url_text[BENCH_HOST_MAX + BENCH_PREFIX_MAX + 16];
    struct bench_url url;
    char user[BENCH_NAME_MAX + 1];       /* "" until chosen */

    unsigned connections;
    unsigned threads;
    unsigned repeats;
    uint64_t warmup;                     /* operations, not counted */
    double duration_s;                   /* 0: run AMOUNT operations */
    double rate;                         /* 0: closed loop */
    double timeout_s;
    double time_limit_s;                 /* 0: none */

    char path[BENCH_PREFIX_MAX + 1];     /* --path for baseline, or "" */
    int64_t expect_length;               /* -1: any */

    enum bench_format format;
    unsigned procs;
    int progress;                        /* -1: when stderr is a tty */
};

enum bench_parse_result {
    BENCH_PARSE_RUN,
    BENCH_PARSE_HELP,
    BENCH_PARSE_VERSION,
    BENCH_PARSE_ERROR,                   /* the message is in err */
};

enum bench_parse_result bench_options_parse(int argc, char **argv,
                                            struct bench_options *o,
                                            char *err, size_t err_len);
void bench_options_usage(FILE *out);

/* http://HOST[:PORT][/PREFIX] with HOST a dotted IPv4 address or
 * localhost. Return 0, or -1 with *why saying what is wrong. */
int bench_url_parse(const char *text, struct bench_url *url,
                    const char **why);

/* ^[A-Za-z0-9_-]+$, 1 to BENCH_NAME_MAX bytes. The bench does not link
 * the store, so it carries its own copy of the rule. */
bool bench_name_valid(const char *name);

/* A decimal number above 0 and at most BENCH_MAX_DECIMAL (seconds, or
 * a rate). Return 0 or -1. */
int bench_parse_positive(const char *text, double *out);

#endif
