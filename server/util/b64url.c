/* b64url.c — see b64url.h. */
#include "util/b64url.h"

#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void b64url_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        size_t chars = n - i >= 3 ? 4 : n - i + 1; /* 1 byte: 2 chars, 2 bytes: 3 */
        for (size_t k = 0; k < chars; k++)
            out[o++] = alphabet[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
}

static int value_of(char c)
{
    const char *q = c ? strchr(alphabet, c) : NULL;
    return q ? (int)(q - alphabet) : -1;
}

int b64url_decode(const char *s, size_t len, uint8_t *out, size_t want)
{
    if (len != B64URL_LEN(want)) return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = value_of(s[i]);
        if (v < 0) return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffu; /* at most 14 bits are pending */
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o == want && (acc & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

bool b64url_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (value_of(s[i]) < 0) return false;
    return true;
}

static uint32_t checksum(uint32_t salt, const uint8_t *p, size_t n)
{
    uint32_t h = 0x811c9dc5u ^ salt; /* FNV-1a, offset basis salted */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

void sealed_encode(uint8_t *raw, size_t n, uint32_t salt, char *out)
{
    uint32_t c = checksum(salt, raw, n);
    for (int i = 0; i < 4; i++)
        raw[n + (size_t)i] = (uint8_t)(c >> (24 - 8 * i));
    b64url_encode(raw, n + 4, out);
}

int sealed_decode(const char *s, size_t len, uint32_t salt, uint8_t *raw, size_t n)
{
    if (b64url_decode(s, len, raw, n + 4) != 0) return -1;
    uint32_t c = (uint32_t)raw[n] << 24 | (uint32_t)raw[n + 1] << 16 | (uint32_t)raw[n + 2] << 8 |
                 raw[n + 3];
    return c == checksum(salt, raw, n) ? 0 : -1;
}

void b64url_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t b64url_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}
