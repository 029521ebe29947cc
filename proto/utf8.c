/* utf8.c — UTF-8 validation and code-point counting.
 *
 * The protocol keeps strings byte-exact, so instead of repairing input we
 * refuse anything a strict peer could read differently: overlong forms,
 * surrogates, code points above U+10FFFF, and NUL (C consumers would
 * silently truncate at it). */
#include "khproto.h"

#include <string.h>

#define ONES8 0x0101010101010101ull
#define HIGH8 0x8080808080808080ull

/* True when the 8 bytes at p are all in 0x01..0x7F: the common case of
 * ASCII text is checked a word at a time. */
static bool ascii8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    bool has_zero = ((w - ONES8) & ~w & HIGH8) != 0;
    return (w & HIGH8) == 0 && !has_zero;
}

/* Length of the valid multi-byte sequence at p[0..n), or 0 if invalid.
 * Second-byte ranges follow the table in RFC 3629, section 4. */
static size_t seq_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else
        return 0; /* continuation byte, C0/C1 overlongs, F5..FF */
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return len;
}

bool kp_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8 && ascii8(p + i)) {
            i += 8;
            continue;
        }
        if (p[i] < 0x80) {
            if (p[i] == 0) return false;
            i++;
            continue;
        }
        size_t len = seq_len(p + i, n - i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

size_t kp_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}
