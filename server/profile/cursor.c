/* cursor.c — the directory's opaque keyset cursor: base64url of
 * [version 1][id, 8 bytes big-endian][checksum, 4 bytes].  The checksum is
 * FNV-1a over the first nine bytes with a fixed salt: it catches damage
 * and hand edits, and lets the format change later (the version byte). */
#include <string.h>

#include "profile/profile.h"

enum { RAW_LEN = 13, CURSOR_VERSION = 1 };

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint32_t checksum(const uint8_t *p, size_t n)
{
    uint32_t h = 0x811c9dc5u ^ 0x6b686e65u; /* "khne": not a secret, a salt */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x01000193u;
    return h;
}

static int b64_index(char c)
{
    const char *q = c ? strchr(b64url, c) : NULL;
    return q ? (int)(q - b64url) : -1;
}

void profile_cursor_encode(int64_t last_id, char *out, size_t cap)
{
    uint8_t raw[15] = {CURSOR_VERSION}; /* 13 bytes + 2 zero pad: 5 groups of 3 */
    uint64_t u = (uint64_t)last_id;
    for (int i = 0; i < 8; i++) raw[1 + i] = (uint8_t)(u >> (56 - 8 * i));
    uint32_t c = checksum(raw, 9);
    for (int i = 0; i < 4; i++) raw[9 + i] = (uint8_t)(c >> (24 - 8 * i));
    char tmp[21];
    for (size_t g = 0; g < 5; g++) {
        uint32_t v = (uint32_t)raw[3 * g] << 16 | (uint32_t)raw[3 * g + 1] << 8 | raw[3 * g + 2];
        for (size_t k = 0; k < 4; k++) tmp[4 * g + k] = b64url[(v >> (18 - 6 * k)) & 63];
    }
    /* 13 bytes take 18 characters (the last one carries 2 data bits). */
    size_t n = cap > PROFILE_CURSOR_LEN ? PROFILE_CURSOR_LEN : (cap ? cap - 1 : 0);
    memcpy(out, tmp, n);
    if (cap) out[n] = '\0';
}

int profile_cursor_decode(const char *s, size_t n, int64_t *last_id)
{
    if (n != PROFILE_CURSOR_LEN) return -1;
    uint8_t raw[15] = {0};
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_index(s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Non-canonical trailing bits would give two spellings of one cursor. */
    if (o != RAW_LEN || (acc & ((1u << bits) - 1)) != 0) return -1;
    if (raw[0] != CURSOR_VERSION) return -1;
    uint32_t c = (uint32_t)raw[9] << 24 | (uint32_t)raw[10] << 16 | (uint32_t)raw[11] << 8 | raw[12];
    if (c != checksum(raw, 9)) return -1;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = u << 8 | raw[1 + i];
    if (u == 0 || u > (uint64_t)INT64_MAX) return -1;
    *last_id = (int64_t)u;
    return 0;
}
