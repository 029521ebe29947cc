/* log.h — structured logging, one `key=value` line per event, on stderr.
 *
 * log_event() writes at once (startup, errors; rare).  Each worker keeps a
 * log_buf for its per-request lines and flushes it in one write(2) when it
 * fills or on a short timer, so logging costs no syscall per request. */
#ifndef KHNET_LOG_H
#define KHNET_LOG_H

#include "khproto.h"

/* level: "info", "warn", "error".  fmt continues the line with key=value
 * pairs; use log_quote() for values that may hold spaces. */
void log_event(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct log_buf {
    kp_buf buf; /* pending lines */
} log_buf;

void log_buf_init(log_buf *l);
void log_buf_line(log_buf *l, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_buf_flush(log_buf *l);
void log_buf_free(log_buf *l); /* flushes first */

/* Writes `s` as a double-quoted value with '"', '\\' and control bytes
 * escaped, into dst (always NUL-terminated, truncated to fit). */
void log_quote(char *dst, size_t cap, const char *s, size_t n);

#endif
