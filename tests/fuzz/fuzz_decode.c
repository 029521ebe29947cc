/* fuzz_decode.c — libFuzzer target for kp_decode and what sits on it.
 *
 * Any input must decode or fail with a code, never crash or leak.  When it
 * decodes, the tree must re-encode to msgpack that decodes to the same
 * bytes again (kp_w_value is a fixed point after one pass), its JSON must be
 * valid UTF-8 that kp_json_decode accepts, and the typed readers must cope. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_uint(const kp_value *v)
{
    switch (v->type) {
    case KP_UINT:
        return true;
    case KP_ARRAY:
        for (uint32_t i = 0; i < v->v.arr.n; i++)
            if (has_uint(&v->v.arr.items[i])) return true;
        return false;
    case KP_MAP:
        for (uint32_t i = 0; i < v->v.map.n; i++)
            if (has_uint(&v->v.map.pairs[i].val)) return true;
        return false;
    default:
        return false;
    }
}

static void check_reencode(kp_arena *a, const kp_value *v)
{
    kp_buf b1, b2;
    kp_buf_init(&b1);
    kp_buf_init(&b2);
    kp_w_value(&b1, v);
    kp_value *v2;
    kp_err e = {0};
    if (b1.oom || kp_decode(a, b1.data, b1.len, NULL, &v2, &e) != 0) abort();
    kp_w_value(&b2, v2);
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) abort();
    kp_buf_free(&b1);
    kp_buf_free(&b2);
}

static void check_json(kp_arena *a, const kp_value *v)
{
    kp_buf j;
    kp_buf_init(&j);
    kp_json_write(&j, v);
    if (j.oom || !kp_utf8_valid((const char *)j.data, j.len)) abort();
    kp_value *back;
    kp_err e = {0};
    int rc = kp_json_decode(a, (const char *)j.data, j.len, NULL, &back, &e);
    /* JSON cannot carry integers above INT64_MAX; base64 may outgrow limits */
    if (rc != 0 && !has_uint(v) && strcmp(e.code, "too_large") != 0) abort();
    kp_buf_free(&j);
}

static void check_readers(const kp_value *v)
{
    static const char *const allowed[] = {"a", "name", NULL};
    kp_err e = {0};
    if (kp_expect_map(v, NULL, &e) < 0) return;
    (void)kp_check_fields(v, allowed, &e);
    const char *s;
    uint32_t n;
    int64_t i;
    bool b;
    const kp_value *arr;
    memcpy(e.field, "x.1", 4); /* exercise path prefixing */
    (void)kp_get_str(v, "name", true, 1, 3, &s, &n, &e);
    (void)kp_get_int(v, "a", false, -5, 5, &i, &e);
    (void)kp_get_bool(v, "b", false, &b, &e);
    (void)kp_get_array(v, "", true, 2, &arr, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_arena *a = kp_arena_new(1024);
    if (!a) return 0;
    /* the first byte picks tight limits half of the time */
    kp_limits tight = {.max_depth = 4, .max_items = 64, .max_str = 16, .max_total = 4096};
    const kp_limits *lim = (size > 0 && (data[0] & 1)) ? &tight : NULL;
    kp_value *v = NULL;
    kp_err e = {0};
    if (kp_decode(a, data, size, lim, &v, &e) == 0) {
        check_reencode(a, v);
        check_json(a, v);
        check_readers(v);
    } else if (!e.code || !kp_utf8_valid(e.message, strlen(e.message))) {
        abort();
    }
    kp_arena_free(a);
    return 0;
}
