/*
 * log.h: one line per event on stderr, level first.
 *
 * The level is a threshold set once at start; lines below it cost one
 * comparison. Never pass a token or blob bytes to these functions.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

extern enum log_level log_threshold;

void log_set_prefix(const char *prefix);
void log_line(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) \
    do { if (log_threshold <= LOG_DEBUG) log_line(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  log_line(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_line(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_line(LOG_ERROR, __VA_ARGS__)

#endif
