#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum log_level log_threshold = LOG_INFO;

static char log_prefix[64];

static const char *const level_names[] = {
    [LOG_DEBUG] = "debug",
    [LOG_INFO] = "info",
    [LOG_WARN] = "warn",
    [LOG_ERROR] = "error",
};

void log_set_prefix(const char *prefix)
{
    snprintf(log_prefix, sizeof(log_prefix), "%s", prefix);
}

void log_line(enum log_level level, const char *fmt, ...)
{
    char line[1024];
    int len;
    va_list ap;

    if (level < log_threshold)
        return;

    len = snprintf(line, sizeof(line), "%s%s%s: ", level_names[level],
                   log_prefix[0] ? " " : "", log_prefix);

    va_start(ap, fmt);
    len += vsnprintf(line + len, sizeof(line) - (size_t)len - 1, fmt, ap);
    va_end(ap);

    if (len > (int)sizeof(line) - 2)
        len = (int)sizeof(line) - 2;
    line[len++] = '\n';

    /* One write per line, so lines from several processes sharing the
     * stream never interleave mid-line. */
    (void)!write(STDERR_FILENO, line, (size_t)len);
}
