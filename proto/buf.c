/* buf.c — kp_buf, the growable output buffer the writers append to.
 *
 * Growth failures are sticky (b->oom) so encoders can append freely and
 * check once at the end instead of after every call. */
#include "khproto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KP_BUF_MIN 256u

void kp_buf_init(kp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = false;
}

void kp_buf_free(kp_buf *b)
{
    free(b->data);
    kp_buf_init(b);
}

void kp_buf_reset(kp_buf *b)
{
    b->len = 0;
    b->oom = false;
}

int kp_buf_reserve(kp_buf *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->cap - b->len >= extra) return 0;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return -1;
    }
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : KP_BUF_MIN;
    while (cap < need)
        cap *= 2;                                                       /* amortised O(1) appends */
    uint8_t *p = kp_fault_hit("buffer") ? NULL : realloc(b->data, cap); /* injected: fault.c */
    if (!p) {
        b->oom = true;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void kp_buf_append(kp_buf *b, const void *p, size_t n)
{
    if (n == 0 || kp_buf_reserve(b, n) < 0) return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void kp_buf_appendf(kp_buf *b, const char *fmt, ...)
{
    if (kp_buf_reserve(b, 64) < 0) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= b->cap - b->len) {
        /* Did not fit: grow to the exact size and format again. */
        if (kp_buf_reserve(b, (size_t)n + 1) < 0) return;
        va_start(ap, fmt);
        vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}
