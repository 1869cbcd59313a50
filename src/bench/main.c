/*
 * ./blobs-bench: the load client of the study. Options, then one run per
 * repeat, then the exit status: 0 when every operation of every run
 * succeeded, 1 when any failed, 2 for bad usage.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench_options.h"
#include "bench_report.h"
#include "bench_request.h"
#include "bench_run.h"

/* bench-YYYYmmdd-HHMMSS-PID: fresh per invocation, a valid name. */
static void default_user(char *out, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];

    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    snprintf(out, len, "bench-%s-%ld", stamp, (long)getpid());
}

int main(int argc, char **argv)
{
    static struct bench_options options;
    struct bench_result *result;
    struct bench_plan plan;
    struct bench_host host;
    double *seconds, *ops_per_s;
    uint64_t next_id = 0;
    char err[512];
    int status = 0;

    switch (bench_options_parse(argc, argv, &options, err, sizeof(err))) {
    case BENCH_PARSE_HELP:
        bench_options_usage(stdout);
        return 0;
    case BENCH_PARSE_VERSION:
        printf("blobs-bench %s\n", BENCH_VERSION);
        return 0;
    case BENCH_PARSE_ERROR:
        fprintf(stderr, "blobs-bench: %s (see --help)\n", err);
        return 2;
    case BENCH_PARSE_RUN:
        break;
    }

    if (options.user[0] == '\0')
        default_user(options.user, sizeof(options.user));
    signal(SIGPIPE, SIG_IGN);

    result = malloc(sizeof(*result));
    seconds = calloc(options.repeats, sizeof(*seconds));
    ops_per_s = calloc(options.repeats, sizeof(*ops_per_s));
    if (result == NULL || seconds == NULL || ops_per_s == NULL ||
        bench_plan_init(&plan, &options) < 0) {
        fprintf(stderr, "blobs-bench: out of memory\n");
        return 1;
    }
    bench_host_read(&host);

    bench_report_begin(stdout, &options);
    for (unsigned i = 0; i < options.repeats; i++) {
        if (bench_run(&options, &plan, i + 1, &next_id, result) < 0) {
            fprintf(stderr, "blobs-bench: run %u could not start\n", i + 1);
            status = 1;
            break;
        }
        bench_report_run(stdout, &options, &host, result);
        seconds[i] = result->seconds;
        ops_per_s[i] = bench_result_ops_per_s(result);
        if (!bench_result_ok(result))
            status = 1;
    }
    if (status == 0)
        bench_report_end(stdout, &options, seconds, ops_per_s,
                         options.repeats);

    bench_plan_free(&plan);
    free(seconds);
    free(ops_per_s);
    free(result);
    return status;
}
