/* cursor.c — the directory's opaque keyset cursor: sealed (util/b64url.h)
 * [version 1][id, 8 bytes big-endian]; the version byte lets the format
 * change later. */
#include <string.h>

#include "profile/profile.h"
#include "util/b64url.h"

enum { PAYLOAD = 9, CURSOR_VERSION = 1 };
static const uint32_t SALT = 0x6b686e65u; /* "khne" */

_Static_assert(SEALED_LEN(PAYLOAD) == PROFILE_CURSOR_LEN, "PROFILE_CURSOR_LEN");

void profile_cursor_encode(int64_t last_id, char *out, size_t cap)
{
    uint8_t raw[PAYLOAD + 4] = {CURSOR_VERSION};
    b64url_put64(raw + 1, (uint64_t)last_id);
    char tmp[PROFILE_CURSOR_LEN + 1];
    sealed_encode(raw, PAYLOAD, SALT, tmp);
    size_t n = cap > PROFILE_CURSOR_LEN ? PROFILE_CURSOR_LEN : (cap ? cap - 1 : 0);
    memcpy(out, tmp, n);
    if (cap) out[n] = '\0';
}

int profile_cursor_decode(const char *s, size_t n, int64_t *last_id)
{
    uint8_t raw[PAYLOAD + 4];
    if (sealed_decode(s, n, SALT, raw, PAYLOAD) != 0 || raw[0] != CURSOR_VERSION) return -1;
    uint64_t u = b64url_get64(raw + 1);
    if (u == 0 || u > (uint64_t)INT64_MAX) return -1;
    *last_id = (int64_t)u;
    return 0;
}
