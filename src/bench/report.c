/*
 * Printing results.
 *
 * TSV and JSON are two spellings of one record, so the record is built
 * once as a list of named cells and each format walks it: a column added
 * here appears in both, in the same place. The first columns are the
 * ones the matrix script and the plotter read; their order is a contract.
 */
#include "bench_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_CELLS 64

enum cell_kind { CELL_COUNT, CELL_REAL, CELL_TEXT };

struct cell {
    const char *name;
    enum cell_kind kind;
    uint64_t count;
    double real;
    const char *text;
};

struct record {
    struct cell cells[MAX_CELLS];
    unsigned len;
};

static void add_cell(struct record *rec, struct cell cell)
{
    /* A column added without room for it is a bug to see at once. */
    if (rec->len == MAX_CELLS)
        abort();
    rec->cells[rec->len++] = cell;
}

static void add_count(struct record *rec, const char *name, uint64_t value)
{
    add_cell(rec, (struct cell){ name, CELL_COUNT, value, 0, NULL });
}

static void add_real(struct record *rec, const char *name, double value)
{
    add_cell(rec, (struct cell){ name, CELL_REAL, 0, value, NULL });
}

static void add_text(struct record *rec, const char *name, const char *value)
{
    add_cell(rec, (struct cell){ name, CELL_TEXT, 0, 0, value });
}

/* Build the record of one run. With r == NULL, only the names matter
 * (the TSV header). With a host, the options and the host close the
 * record, as TSV wants; JSON gives them as objects of their own. */
static void build_record(struct record *rec, const struct bench_options *o,
                         const struct bench_result *r,
                         const struct bench_host *h)
{
    static const struct bench_result empty;
    const struct bench_stats *s;
    const struct histogram *lat;

    if (r == NULL)
        r = &empty;
    s = &r->stats;
    lat = &s->latency_us;
    rec->len = 0;

    /* The agreed columns, in the agreed order. */
    add_text(rec, "version", BENCH_VERSION);
    add_text(rec, "action", bench_action_name(o->action));
    add_count(rec, "amount", o->amount);
    add_count(rec, "size_kib", o->size_kib);
    add_count(rec, "connections", r->connections);
    add_count(rec, "established", r->established);
    add_count(rec, "threads", r->threads);
    add_real(rec, "seconds", r->seconds);
    add_count(rec, "operations", s->ops_ok);
    add_count(rec, "requests", s->requests);
    add_real(rec, "ops_per_s", bench_result_ops_per_s(r));
    add_real(rec, "req_per_s", bench_result_requests_per_s(r));
    add_count(rec, "errors", bench_stats_errors(s));
    add_count(rec, "err_connect", s->errors[BENCH_ERR_CONNECT]);
    add_count(rec, "err_timeout", s->errors[BENCH_ERR_TIMEOUT]);
    add_count(rec, "err_reset", s->errors[BENCH_ERR_RESET]);
    add_count(rec, "err_status", s->errors[BENCH_ERR_STATUS]);
    add_count(rec, "err_framing", s->errors[BENCH_ERR_FRAMING]);
    add_count(rec, "err_body", s->errors[BENCH_ERR_BODY]);
    add_real(rec, "lat_mean_us", histogram_mean(lat));
    add_count(rec, "lat_p50_us", histogram_percentile(lat, 50));
    add_count(rec, "lat_p90_us", histogram_percentile(lat, 90));
    add_count(rec, "lat_p99_us", histogram_percentile(lat, 99));
    add_count(rec, "lat_p999_us", histogram_percentile(lat, 99.9));
    add_count(rec, "lat_max_us", lat->max);
    add_real(rec, "cpu_user_s", r->cpu_user_s);
    add_real(rec, "cpu_sys_s", r->cpu_sys_s);

    /* More, free to grow. */
    add_count(rec, "repeat", r->repeat);
    add_text(rec, "mode", o->rate > 0 ? "open" : "closed");
    add_real(rec, "rate", o->rate);
    add_real(rec, "duration_s", o->duration_s);
    add_count(rec, "warmup", o->warmup);
    add_count(rec, "ops_failed", s->ops_failed);
    add_count(rec, "unfinished", r->unfinished);
    add_count(rec, "warmup_errors", bench_stats_errors(&r->warmup));
    add_count(rec, "retries", s->retries);
    add_count(rec, "connects", s->connects);
    add_count(rec, "bytes_sent", s->bytes_sent);
    add_count(rec, "bytes_received", s->bytes_received);
    add_real(rec, "cpu_us_per_req",
             s->requests ? (r->cpu_user_s + r->cpu_sys_s) * 1e6 /
                           (double)s->requests : 0.0);
    add_count(rec, "time_limit_hit", r->time_limit_hit);
    add_count(rec, "procs", o->procs);
    add_text(rec, "user", o->user);
    add_text(rec, "url", o->url_text);
    if (h == NULL)
        return;

    add_count(rec, "repeats", o->repeats);
    add_count(rec, "threads_asked", o->threads);
    add_real(rec, "timeout_s", o->timeout_s);
    add_real(rec, "time_limit_s", o->time_limit_s);
    add_text(rec, "path", o->path[0] ? o->path : "/");
    add_text(rec, "cpu_model", h->cpu_model);
    add_count(rec, "cpus", h->cpus);
    add_count(rec, "mem_total_kib", h->mem_total_kib);
    add_text(rec, "kernel", h->kernel);
}

static void print_json_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void print_value(FILE *out, const struct cell *c, bool json)
{
    switch (c->kind) {
    case CELL_COUNT:
        fprintf(out, "%llu", (unsigned long long)c->count);
        break;
    case CELL_REAL:
        fprintf(out, "%.6f", isfinite(c->real) ? c->real : 0.0);
        break;
    case CELL_TEXT:
        if (json)
            print_json_string(out, c->text);
        else
            fputs(c->text, out);
        break;
    }
}

void bench_report_columns(FILE *out)
{
    struct bench_options o;
    struct bench_host h;
    struct record rec;

    memset(&o, 0, sizeof(o));
    memset(&h, 0, sizeof(h));
    build_record(&rec, &o, NULL, &h);
    for (unsigned i = 0; i < rec.len; i++)
        fprintf(out, "%s%s", i ? "\t" : "", rec.cells[i].name);
}

void bench_host_read(struct bench_host *h)
{
    char line[256];
    struct utsname uts;
    FILE *f;

    memset(h, 0, sizeof(*h));
    strcpy(h->cpu_model, "unknown");
    h->cpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (uname(&uts) == 0)
        snprintf(h->kernel, sizeof(h->kernel), "%s %s", uts.sysname,
                 uts.release);

    f = fopen("/proc/cpuinfo", "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':');

        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", colon + 2);
            h->cpu_model[strcspn(h->cpu_model, "\n")] = '\0';
            break;
        }
    }
    if (f != NULL)
        fclose(f);

    /* It goes into a TSV cell. */
    for (char *p = h->cpu_model; *p; p++) {
        if (*p == '\t')
            *p = ' ';
    }

    f = fopen("/proc/meminfo", "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        unsigned long long kib;

        if (sscanf(line, "MemTotal: %llu kB", &kib) == 1) {
            h->mem_total_kib = kib;
            break;
        }
    }
    if (f != NULL)
        fclose(f);
}

static void print_json(FILE *out, const struct bench_options *o,
                       const struct bench_host *h, const struct record *rec,
                       const struct bench_result *r)
{
    static const char *const formats[] = { "summary", "seed", "tsv", "json" };
    bool first = true;

    fputc('{', out);
    for (unsigned i = 0; i < rec->len; i++) {
        fprintf(out, "%s\"%s\":", i ? "," : "", rec->cells[i].name);
        print_value(out, &rec->cells[i], true);
    }

    fputs(",\"unexpected_status\":{", out);
    for (int code = 0; code < BENCH_STATUS_CODES; code++) {
        if (r->stats.unexpected_status[code] == 0)
            continue;
        fprintf(out, "%s\"%d\":%llu", first ? "" : ",", code,
                (unsigned long long)r->stats.unexpected_status[code]);
        first = false;
    }

    fputs("},\"options\":{\"url\":", out);
    print_json_string(out, o->url_text);
    fputs(",\"user\":", out);
    print_json_string(out, o->user);
    fprintf(out, ",\"connections\":%u,\"threads\":%u,\"repeats\":%u,"
            "\"duration_s\":%.6f,\"warmup\":%llu,\"rate\":%.6f,"
            "\"timeout_s\":%.6f,\"time_limit_s\":%.6f,\"path\":",
            o->connections, o->threads, o->repeats, o->duration_s,
            (unsigned long long)o->warmup, o->rate, o->timeout_s,
            o->time_limit_s);
    print_json_string(out, o->path[0] ? o->path : "/");
    fprintf(out, ",\"expect_length\":%lld,\"format\":\"%s\",\"procs\":%u}",
            (long long)o->expect_length, formats[o->format], o->procs);

    fputs(",\"host\":{\"cpu_model\":", out);
    print_json_string(out, h->cpu_model);
    fprintf(out, ",\"cpus\":%u,\"mem_total_kib\":%llu,\"kernel\":",
            h->cpus, (unsigned long long)h->mem_total_kib);
    print_json_string(out, h->kernel);
    fputs("}}\n", out);
}

static void print_failures(FILE *out, const struct bench_result *r)
{
    const struct bench_stats *s = &r->stats;
    const char *separator = "";

    fprintf(out, "  FAILED: %llu of %llu operations;",
            (unsigned long long)s->ops_failed,
            (unsigned long long)(s->ops_ok + s->ops_failed));
    for (int e = 0; e < BENCH_ERRORS; e++) {
        if (s->errors[e] == 0)
            continue;
        fprintf(out, "%s %s %llu", separator,
                bench_error_name((enum bench_error)e),
                (unsigned long long)s->errors[e]);
        separator = ",";
        if (e != BENCH_ERR_STATUS)
            continue;
        fputs(" (", out);
        for (int code = 0, n = 0; code < BENCH_STATUS_CODES; code++) {
            if (s->unexpected_status[code] != 0)
                fprintf(out, "%s%d x%llu", n++ ? ", " : "", code,
                        (unsigned long long)s->unexpected_status[code]);
        }
        fputc(')', out);
    }
    fputc('\n', out);

    if (r->unfinished > 0)
        fprintf(out, "  FAILED: %llu operations never begun%s\n",
                (unsigned long long)r->unfinished,
                r->time_limit_hit ? " (time limit)" : "");
    else if (r->time_limit_hit)
        fputs("  FAILED: the time limit ended the run\n", out);
    if (bench_stats_errors(&r->warmup) > 0)
        fprintf(out, "  FAILED: %llu errors during the warm-up\n",
                (unsigned long long)bench_stats_errors(&r->warmup));
}

static void print_summary(FILE *out, const struct bench_options *o,
                          const struct bench_result *r)
{
    const struct bench_stats *s = &r->stats;
    const struct histogram *lat = &s->latency_us;
    double cpu = r->cpu_user_s + r->cpu_sys_s;

    fprintf(out, "run %u/%u: %llu operations in %.3f s: %.0f ops/s, "
            "%.0f requests/s\n", r->repeat, o->repeats,
            (unsigned long long)s->ops_ok, r->seconds,
            bench_result_ops_per_s(r), bench_result_requests_per_s(r));
    fprintf(out, "  connections: %u asked, %u established, on %u "
            "thread%s%s\n", r->connections, r->established, r->threads,
            r->threads == 1 ? "" : "s",
            s->connects > r->established ? "; reconnected" : "");
    fprintf(out, "  latency (us): mean %.0f  p50 %llu  p90 %llu  p99 %llu  "
            "p99.9 %llu  max %llu\n", histogram_mean(lat),
            (unsigned long long)histogram_percentile(lat, 50),
            (unsigned long long)histogram_percentile(lat, 90),
            (unsigned long long)histogram_percentile(lat, 99),
            (unsigned long long)histogram_percentile(lat, 99.9),
            (unsigned long long)lat->max);
    fprintf(out, "  client CPU: %.3f s user, %.3f s sys, %.1f us per "
            "request\n", r->cpu_user_s, r->cpu_sys_s,
            s->requests ? cpu * 1e6 / (double)s->requests : 0.0);
    if (s->retries > 0)
        fprintf(out, "  retries: %llu requests sent again after the server "
                "closed a kept-alive connection\n",
                (unsigned long long)s->retries);

    if (bench_result_ok(r))
        fputs("  errors: none\n", out);
    else
        print_failures(out, r);
    if (s->connect_errno != 0)
        fprintf(out, "  connecting to %s:%u: %s\n", o->url.host,
                o->url.port, strerror(s->connect_errno));
}

void bench_report_begin(FILE *out, const struct bench_options *o)
{
    if (o->format == BENCH_FORMAT_TSV) {
        bench_report_columns(out);
        fputc('\n', out);
    } else if (o->format == BENCH_FORMAT_SUMMARY) {
        fprintf(out, "blobs-bench %s: %s, ", BENCH_VERSION,
                bench_action_name(o->action));
        if (o->amount > 0)
            fprintf(out, "%llu operations", (unsigned long long)o->amount);
        if (o->amount > 0 && o->duration_s > 0)
            fputs(" or ", out);
        if (o->duration_s > 0)
            fprintf(out, "%g s", o->duration_s);
        if (o->action >= BENCH_PUT)
            fprintf(out, " of %llu KiB", (unsigned long long)o->size_kib);
        fprintf(out, ", %s as %s, ", o->url_text, o->user);
        if (o->rate > 0)
            fprintf(out, "open loop at %g ops/s\n", o->rate);
        else
            fputs("closed loop\n", out);
    }
}

void bench_report_run(FILE *out, const struct bench_options *o,
                      const struct bench_host *h,
                      const struct bench_result *r)
{
    struct record rec;

    switch (o->format) {
    case BENCH_FORMAT_SUMMARY:
        print_summary(out, o, r);
        break;
    case BENCH_FORMAT_SEED:
        fprintf(out, "%u %s %llu %llu %.6f\n", o->procs,
                bench_action_name(o->action), (unsigned long long)o->amount,
                (unsigned long long)o->size_kib, r->seconds);
        break;
    case BENCH_FORMAT_TSV:
        build_record(&rec, o, r, h);
        for (unsigned i = 0; i < rec.len; i++) {
            if (i > 0)
                fputc('\t', out);
            print_value(out, &rec.cells[i], false);
        }
        fputc('\n', out);
        break;
    case BENCH_FORMAT_JSON:
        build_record(&rec, o, r, NULL);
        print_json(out, o, h, &rec, r);
        break;
    }
    fflush(out);
}

static double mean_of(const double *values, unsigned count)
{
    double sum = 0;

    for (unsigned i = 0; i < count; i++)
        sum += values[i];
    return sum / count;
}

/* The sample standard deviation; count is at least 2. */
static double deviation_of(const double *values, unsigned count,
                           double mean)
{
    double squares = 0;

    for (unsigned i = 0; i < count; i++)
        squares += (values[i] - mean) * (values[i] - mean);
    return sqrt(squares / (count - 1));
}

void bench_report_end(FILE *out, const struct bench_options *o,
                      const double *seconds, const double *ops_per_s,
                      unsigned count)
{
    double mean_seconds, mean_rate;

    if (o->format != BENCH_FORMAT_SUMMARY || count < 2)
        return;

    mean_seconds = mean_of(seconds, count);
    mean_rate = mean_of(ops_per_s, count);
    fprintf(out, "mean over %u runs: %.3f s (standard deviation %.3f s), "
            "%.0f ops/s (standard deviation %.0f)\n", count, mean_seconds,
            deviation_of(seconds, count, mean_seconds), mean_rate,
            deviation_of(ops_per_s, count, mean_rate));
}
