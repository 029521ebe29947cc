/* log.c — line formatting and the buffered per-worker writer. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { LOG_FLUSH_AT = 32 * 1024 };

static size_t stamp(char *dst, size_t cap, const char *level)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(dst, cap, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0) return; /* nowhere to report a failing log */
        p += w;
        n -= (size_t)w;
    }
}

/* Formats one whole line, newline included, into line; returns its length. */
static size_t format_line(char *line, size_t cap, const char *level, const char *fmt, va_list ap)
{
    size_t n = stamp(line, cap, level);
    int m = vsnprintf(line + n, cap - n - 1, fmt, ap);
    if (m < 0) m = 0;
    n += (size_t)m < cap - n - 1 ? (size_t)m : cap - n - 2;
    line[n++] = '\n';
    return n;
}

void log_event(const char *level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(line, sizeof line, level, fmt, ap);
    va_end(ap);
    write_all(line, n);
}

void log_buf_init(log_buf *l)
{
    kp_buf_init(&l->buf);
}

void log_buf_line(log_buf *l, const char *level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(line, sizeof line, level, fmt, ap);
    va_end(ap);
    kp_buf_append(&l->buf, line, n);
    if (l->buf.len >= LOG_FLUSH_AT) log_buf_flush(l);
}

void log_buf_flush(log_buf *l)
{
    if (l->buf.len) write_all((const char *)l->buf.data, l->buf.len);
    kp_buf_reset(&l->buf);
    l->buf.oom = false;
}

void log_buf_free(log_buf *l)
{
    log_buf_flush(l);
    kp_buf_free(&l->buf);
}

void log_quote(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    if (cap < 3) {
        if (cap) dst[0] = '\0';
        return;
    }
    dst[o++] = '"';
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    dst[o++] = '"';
    dst[o] = '\0';
}
