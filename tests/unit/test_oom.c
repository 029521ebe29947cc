/* test_oom.c — the codec out of memory: every allocation of a msgpack or
 * JSON decode is failed in turn (kp_arena_fail_after), and each failure is
 * the error "internal" — a 500 by the error table, never the client's 400. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "khproto.h"

static const char json_doc[] = "{\"a\": [1, 2, {\"b\": \"c\"}], \"d\": \"Nguyễn\", \"e\": null}";

/* Fails allocation 1, 2, ... of decode(); returns how many failed. */
static int sweep(int (*decode)(kp_arena *, const void *, size_t, kp_value **, kp_err *),
                 const void *doc, size_t len)
{
    int failed = 0;
    for (long n = 1; n < 1000; n++) {
        kp_arena *a = kp_arena_new(256);
        assert_non_null(a);
        kp_arena_fail_after(a, n);
        kp_value *v = NULL;
        kp_err e = {0};
        int rc = decode(a, doc, len, &v, &e);
        kp_arena_free(a);
        if (rc == 0) return failed;
        assert_string_equal(e.code, "internal");
        assert_int_equal(kp_error_status(e.code), 500);
        failed++;
    }
    fail_msg("the decode never succeeded");
    return failed;
}

static int json(kp_arena *a, const void *doc, size_t len, kp_value **v, kp_err *e)
{
    return kp_json_decode(a, doc, len, NULL, v, e);
}

static int msgpack(kp_arena *a, const void *doc, size_t len, kp_value **v, kp_err *e)
{
    return kp_decode(a, doc, len, NULL, v, e);
}

static void t_json_decode_oom(void **state)
{
    (void)state;
    assert_true(sweep(json, json_doc, strlen(json_doc)) > 0);
}

static void t_msgpack_decode_oom(void **state)
{
    (void)state;
    kp_arena *a = kp_arena_new(256);
    kp_value *v = NULL;
    kp_err e = {0};
    assert_int_equal(kp_json_decode(a, json_doc, strlen(json_doc), NULL, &v, &e), 0);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_value(&b, v);
    assert_false(b.oom);
    assert_true(sweep(msgpack, b.data, b.len) > 0);
    kp_buf_free(&b);
    kp_arena_free(a);
}

static void t_reset_disarms(void **state)
{
    (void)state;
    kp_arena *a = kp_arena_new(256);
    kp_arena_fail_after(a, 2);
    assert_non_null(kp_arena_alloc(a, 8));
    kp_arena_reset(a); /* a request's arena is reset between requests */
    assert_non_null(kp_arena_alloc(a, 8));
    assert_non_null(kp_arena_alloc(a, 8));
    kp_arena_fail_after(a, 1);
    assert_null(kp_arena_alloc(a, 8));
    assert_non_null(kp_arena_alloc(a, 8)); /* once */
    kp_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_json_decode_oom),
        cmocka_unit_test(t_msgpack_decode_oom),
        cmocka_unit_test(t_reset_disarms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
