/* fields.c — typed readers over a decoded map (kp_get_*, kp_check_fields).
 *
 * Handlers validate a request with these and turn the first failure into
 * the error body, so each failure names its field as a dotted path: the
 * readers prefix whatever path the caller left in e->field ("degrees.2")
 * to the key they look up.  A nil value counts as absent, so clients may
 * send null for "not given". */
#include "khproto.h"

#include <stdio.h>
#include <string.h>

/* Appends src to dst[*n..cap-1), keeping room for the terminator. */
static void append_trunc(char *dst, size_t cap, size_t *n, const char *src)
{
    size_t len = strlen(src);
    if (len > cap - 1 - *n) len = cap - 1 - *n; /* kp_err_set drops a split last character */
    memcpy(dst + *n, src, len);
    *n += len;
    dst[*n] = '\0';
}

/* Sets e with the field path "<e->field>.<key>" (or just one of them). */
static int field_err(kp_err *e, const char *key, const char *code, const char *msg)
{
    if (!e) return -1;
    char path[sizeof e->field];
    size_t n = 0;
    /* e->field is the caller's prefix; a full buffer means no terminator */
    bool prefix = e->field[0] && memchr(e->field, '\0', sizeof e->field);
    if (prefix) append_trunc(path, sizeof path, &n, e->field);
    if (key && *key) {
        if (prefix) append_trunc(path, sizeof path, &n, ".");
        append_trunc(path, sizeof path, &n, key);
    }
    path[n] = '\0';
    kp_err_set(e, code, path, "%s", msg);
    return -1;
}

const kp_value *kp_map_get(const kp_value *map, const char *key)
{
    if (!map || map->type != KP_MAP || !key) return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < map->v.map.n; i++) {
        const kp_value *k = &map->v.map.pairs[i].key;
        if (k->type == KP_STR && k->v.s.len == n && memcmp(k->v.s.ptr, key, n) == 0)
            return &map->v.map.pairs[i].val;
    }
    return NULL;
}

int kp_expect_map(const kp_value *v, const char *field, kp_err *e)
{
    if (v && v->type == KP_MAP) return 0;
    /* The body itself not being a map has its own code in PROTOCOL.md. */
    if ((!field || !*field) && (!e || !e->field[0]))
        return field_err(e, NULL, "invalid_body", "the body must be a map");
    return field_err(e, field, "invalid_type", "must be a map");
}

/* Common start of every reader: 1 with *v set, 0 absent, -1 missing. */
static int lookup(const kp_value *map, const char *key, bool required, const kp_value **v,
                  kp_err *e)
{
    *v = kp_map_get(map, key);
    if (*v && (*v)->type != KP_NIL) return 1;
    if (required) return field_err(e, key, "missing_field", "field is required");
    return 0;
}

int kp_get_str(const kp_value *map, const char *key, bool required, uint32_t min_chars,
               uint32_t max_chars, const char **out, uint32_t *out_len, kp_err *e)
{
    const kp_value *v;
    int rc = lookup(map, key, required, &v, e);
    if (rc <= 0) return rc;
    if (v->type != KP_STR) return field_err(e, key, "invalid_type", "must be a string");
    size_t chars = kp_utf8_len(v->v.s.ptr, v->v.s.len);
    char msg[64];
    if (chars < min_chars) {
        snprintf(msg, sizeof msg, "must be at least %u characters", min_chars);
        return field_err(e, key, "too_short", msg);
    }
    if (chars > max_chars) {
        snprintf(msg, sizeof msg, "must be at most %u characters", max_chars);
        return field_err(e, key, "too_long", msg);
    }
    *out = v->v.s.ptr;
    if (out_len) *out_len = v->v.s.len;
    return 1;
}

int kp_get_int(const kp_value *map, const char *key, bool required, int64_t min, int64_t max,
               int64_t *out, kp_err *e)
{
    const kp_value *v;
    int rc = lookup(map, key, required, &v, e);
    if (rc <= 0) return rc;
    /* Floats are refused even when integral: 2.0 for a count is a client bug. */
    if (v->type != KP_INT && v->type != KP_UINT)
        return field_err(e, key, "invalid_type", "must be an integer");
    if (v->type == KP_UINT || v->v.i < min || v->v.i > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be between %lld and %lld", (long long)min, (long long)max);
        return field_err(e, key, "out_of_range", msg);
    }
    *out = v->v.i;
    return 1;
}

int kp_get_bool(const kp_value *map, const char *key, bool required, bool *out, kp_err *e)
{
    const kp_value *v;
    int rc = lookup(map, key, required, &v, e);
    if (rc <= 0) return rc;
    if (v->type != KP_BOOL) return field_err(e, key, "invalid_type", "must be true or false");
    *out = v->v.b;
    return 1;
}

int kp_get_array(const kp_value *map, const char *key, bool required, uint32_t max_items,
                 const kp_value **out, kp_err *e)
{
    const kp_value *v;
    int rc = lookup(map, key, required, &v, e);
    if (rc <= 0) return rc;
    if (v->type != KP_ARRAY) return field_err(e, key, "invalid_type", "must be an array");
    if (v->v.arr.n > max_items) {
        char msg[64];
        snprintf(msg, sizeof msg, "must have at most %u items", max_items);
        return field_err(e, key, "too_long", msg);
    }
    *out = v;
    return 1;
}

static bool allowed_key(const kp_value *k, const char *const *allowed)
{
    for (; *allowed; allowed++) {
        size_t n = strlen(*allowed);
        if (k->v.s.len == n && memcmp(k->v.s.ptr, *allowed, n) == 0) return true;
    }
    return false;
}

int kp_check_fields(const kp_value *map, const char *const *allowed, kp_err *e)
{
    if (kp_expect_map(map, NULL, e) < 0) return -1;
    for (uint32_t i = 0; i < map->v.map.n; i++) {
        const kp_value *k = &map->v.map.pairs[i].key;
        if (k->type == KP_STR && allowed && allowed_key(k, allowed)) continue;
        char key[sizeof e->field];
        uint32_t n = k->type == KP_STR ? k->v.s.len : 0;
        if (n >= sizeof key) n = sizeof key - 1; /* kp_err_set drops a split last character */
        if (n) memcpy(key, k->v.s.ptr, n);
        key[n] = '\0';
        return field_err(e, key, "unknown_field", "unknown field");
    }
    return 0;
}
