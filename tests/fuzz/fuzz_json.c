/* fuzz_json.c — libFuzzer target for kp_json_decode and kp_json_write.
 *
 * Any text must decode or fail with a code.  When it decodes, the tree must
 * survive JSON -> tree -> msgpack with the same msgpack bytes as the direct
 * path (our writer prints numbers that read back exactly), and its msgpack
 * must pass our own strict decoder.  kp_json_transcode (the fast path)
 * must give the direct path's msgpack bytes exactly, or fall back leaving
 * its buffer as it was; it never takes text that does not decode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void to_msgpack(kp_buf *b, const kp_value *v)
{
    kp_buf_init(b);
    kp_w_value(b, v);
    if (b->oom) abort();
}

/* The fast path's answer: 0 with its bytes in *t, or KP_JSON_FALLBACK with
 * *t empty (checked). */
static int fast(kp_buf *t, const uint8_t *data, size_t size)
{
    kp_buf_init(t);
    int rc = kp_json_transcode(t, (const char *)data, size, NULL, NULL);
    if (rc != 0 && (rc != KP_JSON_FALLBACK || t->len != 0 || t->oom)) abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_arena *a = kp_arena_new(1024);
    if (!a) return 0;
    kp_value *v = NULL;
    kp_err e = {0};
    kp_buf t;
    int fast_rc = fast(&t, data, size);
    if (kp_json_decode(a, (const char *)data, size, NULL, &v, &e) != 0) {
        if (!e.code || !kp_utf8_valid(e.message, strlen(e.message)) || fast_rc == 0) abort();
        kp_buf_free(&t);
        kp_arena_free(a);
        return 0;
    }
    kp_buf m1, m2, j;
    to_msgpack(&m1, v);
    if (fast_rc == 0 && (t.len != m1.len || memcmp(t.data, m1.data, m1.len) != 0)) abort();
    kp_buf_free(&t);
    kp_value *mv;
    if (kp_decode(a, m1.data, m1.len, NULL, &mv, &e) != 0) abort();

    kp_buf_init(&j);
    kp_json_write(&j, v);
    kp_value *v2;
    if (j.oom || kp_json_decode(a, (const char *)j.data, j.len, NULL, &v2, &e) != 0) abort();
    to_msgpack(&m2, v2);
    if (m1.len != m2.len || memcmp(m1.data, m2.data, m1.len) != 0) abort();
    kp_buf_free(&m1);
    kp_buf_free(&m2);
    kp_buf_free(&j);
    kp_arena_free(a);
    return 0;
}
