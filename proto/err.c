/* err.c — kp_err_set and the default decoding limits.
 *
 * Messages and field paths end up in responses as msgpack strings, so when
 * they are truncated to fit kp_err they are cut on a UTF-8 character
 * boundary: a client's strict decoder must never see half a character. */
#include "khproto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const kp_limits kp_default_limits = {
    .max_depth = 16,
    .max_items = 100000,
    .max_str = 1u << 20,
    .max_total = (size_t)4 << 20,
};

/* Length of s[0..len) without a trailing, incomplete UTF-8 character. */
static size_t utf8_trim(const char *s, size_t len)
{
    size_t k = len;
    while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--; /* k-1 is now the lead byte of the last character (if any) */
    if (k == 0) return len;
    unsigned char lead = (unsigned char)s[k - 1];
    size_t want = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    return len - (k - 1) >= want ? len : k - 1;
}

void kp_err_set(kp_err *e, const char *code, const char *field, const char *fmt, ...)
{
    if (!e) return;
    e->code = code;

    size_t flen = field ? strnlen(field, sizeof e->field - 1) : 0;
    flen = utf8_trim(field, flen);
    if (flen) memmove(e->field, field, flen); /* field may be e->field itself */
    e->field[flen] = '\0';

    e->message[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        if (n < 0)
            e->message[0] = '\0';
        else
            e->message[utf8_trim(e->message, strlen(e->message))] = '\0';
    }
}
