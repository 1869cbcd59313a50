/*
 * bench_report.h: what a run prints, in the four formats, and the facts
 * about the host that make two runs comparable.
 *
 * summary  readable, for people;
 * seed     `PROCS ACTION AMOUNT SIZE SECONDS`, the original's line;
 * tsv      a header, then one row per repeat: the agreed columns first
 *          (see bench_report_columns), more after;
 * json     one object per line per repeat (JSON Lines): the same fields,
 *          the unexpected statuses, every option, and the host.
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "bench_options.h"
#include "bench_run.h"

struct bench_host {
    char cpu_model[128];
    unsigned cpus;
    uint64_t mem_total_kib;
    char kernel[2 * 65 + 1];             /* uname: system and release */
};

void bench_host_read(struct bench_host *h);

/* Before the first run (the TSV header), after each, after the last (the
 * summary's mean over repeats). */
void bench_report_begin(FILE *out, const struct bench_options *o);
void bench_report_run(FILE *out, const struct bench_options *o,
                      const struct bench_host *h,
                      const struct bench_result *r);
void bench_report_end(FILE *out, const struct bench_options *o,
                      const double *seconds, const double *ops_per_s,
                      unsigned count);

/* The TSV header line, without its newline, for tests and tools. */
void bench_report_columns(FILE *out);

#endif
