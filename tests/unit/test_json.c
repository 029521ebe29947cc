/* test_json.c — unit tests of khproto's JSON side: kp_json_decode (through
 * jansson), kp_json_write, kp_msgpack_to_json.  Expected JSON text is
 * written out by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena_fixture.h"
#include "khproto.h"

static kp_value *jok(const char *text)
{
    kp_value *v = NULL;
    kp_err e = {0};
    int rc = kp_json_decode(arena, text, strlen(text), NULL, &v, &e);
    if (rc != 0) fail_msg("%s: %s: %s", text, e.code, e.message);
    assert_non_null(v);
    return v;
}

static void jbad_lim(const char *text, size_t len, const kp_limits *lim, const char *code)
{
    kp_value *v = NULL;
    kp_err e = {0};
    if (kp_json_decode(arena, text, len, lim, &v, &e) != -1)
        fail_msg("accepted: %.*s", (int)len, text);
    assert_null(v);
    if (strcmp(e.code, code) != 0)
        fail_msg("%.*s: got %s (%s), want %s", (int)len, text, e.code, e.message, code);
    assert_true(kp_utf8_valid(e.message, strlen(e.message)));
}

static void jbad(const char *text, const char *code)
{
    jbad_lim(text, strlen(text), NULL, code);
}

/* Writes v as JSON and compares with want. */
static void json_is(const kp_value *v, const char *want)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_json_write(&b, v);
    assert_false(b.oom);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
        fail_msg("got %.*s, want %s", (int)b.len, (const char *)b.data, want);
    kp_buf_free(&b);
}

/* msgpack bytes -> JSON text, compared with want. */
static void m2j(const void *mp, size_t n, const char *want)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_err e = {0};
    if (kp_msgpack_to_json(arena, mp, n, &b, &e) != 0) fail_msg("%s: %s", e.code, e.message);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
        fail_msg("got %.*s, want %s", (int)b.len, (const char *)b.data, want);
    kp_buf_free(&b);
}

static void test_escapes(void **state)
{
    kp_buf mp;
    kp_buf_init(&mp);
    kp_w_str(&mp, "a\"b\\c\n\r\t\b\f\x01\x1f\x7f/é", 16);
    m2j(mp.data, mp.len, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/é\"");
    /* and back: the JSON decoder undoes every escape */
    kp_value *v = jok("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\\/\\u00e9\"");
    assert_int_equal(v->type, KP_STR);
    assert_int_equal(v->v.s.len, 16);
    assert_memory_equal(v->v.s.ptr, "a\"b\\c\n\r\t\b\f\x01\x1f\x7f/é", 16);
    v = jok("\"\\ud83d\\ude00\""); /* surrogate pair -> U+1F600 */
    assert_int_equal(v->v.s.len, 4);
    assert_memory_equal(v->v.s.ptr, "\xf0\x9f\x98\x80", 4);
    kp_buf_free(&mp);
}

static void test_vietnamese_roundtrip(void **state)
{
    static const char name[] = "Nguyễn Thị Minh Thư";
    kp_buf mp, js, back;
    kp_buf_init(&mp);
    kp_buf_init(&js);
    kp_buf_init(&back);
    kp_w_map(&mp, 2);
    kp_w_cstr(&mp, "full_name");
    kp_w_cstr(&mp, name);
    kp_w_cstr(&mp, "chuyên_ngành");
    kp_w_cstr(&mp, "nuôi trồng thủy sản");
    kp_err e = {0};
    assert_int_equal(kp_msgpack_to_json(arena, mp.data, mp.len, &js, &e), 0);
    static const char want[] =
        "{\"full_name\":\"Nguyễn Thị Minh Thư\",\"chuyên_ngành\":\"nuôi trồng thủy sản\"}";
    assert_int_equal(js.len, strlen(want));
    assert_memory_equal(js.data, want, js.len); /* UTF-8 passed through, not \u-escaped */
    kp_value *v = NULL;
    assert_int_equal(kp_json_decode(arena, (const char *)js.data, js.len, NULL, &v, &e), 0);
    kp_w_value(&back, v);
    assert_int_equal(back.len, mp.len);
    assert_memory_equal(back.data, mp.data, mp.len); /* byte-exact */
    kp_buf_free(&mp);
    kp_buf_free(&js);
    kp_buf_free(&back);
}

static void test_duplicates_and_order(void **state)
{
    jbad("{\"a\":1,\"a\":2}", "invalid_json");
    jbad("{\"x\":{\"a\":1,\"b\":{},\"a\":2}}", "invalid_json");
    kp_value *v = jok("{\"z\":1,\"a\":2,\"m\":3,\"\":4}");
    assert_int_equal(v->v.map.n, 4);
    assert_memory_equal(v->v.map.pairs[0].key.v.s.ptr, "z", 1); /* input order kept */
    assert_memory_equal(v->v.map.pairs[2].key.v.s.ptr, "m", 1);
    assert_int_equal(v->v.map.pairs[3].key.v.s.len, 0);
    json_is(v, "{\"z\":1,\"a\":2,\"m\":3,\"\":4}");
}

static void test_depth(void **state)
{
    char text[300];
    for (int d = 15; d <= 17; d++) {
        size_t n = 0;
        for (int i = 0; i < d; i++)
            text[n++] = '[';
        for (int i = 0; i < d; i++)
            text[n++] = ']';
        text[n] = '\0';
        if (d <= 16)
            jok(text);
        else
            jbad(text, "too_deep");
    }
    jbad("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{"
         "\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}}}}}}}}}}}",
         "too_deep");
    /* brackets inside strings are not nesting */
    jok("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[[\"]");
    /* a huge depth is refused before jansson recurses into it */
    size_t big = 1000000;
    char *deep = malloc(big);
    assert_non_null(deep);
    memset(deep, '[', big);
    jbad_lim(deep, big, NULL, "too_deep");
    free(deep);
}

static void test_limits(void **state)
{
    kp_limits lim = kp_default_limits;
    lim.max_items = 5;
    kp_value *v;
    kp_err e = {0};
    const char *t = "[1,\"a\",true,null]"; /* 5 values */
    assert_int_equal(kp_json_decode(arena, t, strlen(t), &lim, &v, &e), 0);
    t = "[1,\"a\",true,null,2]";
    jbad_lim(t, strlen(t), &lim, "too_large");
    t = "{\"a\":1,\"b\":2,\"c\":3}"; /* keys count: 7 */
    jbad_lim(t, strlen(t), &lim, "too_large");
    lim = kp_default_limits;
    lim.max_str = 3;
    t = "[\"abc\"]";
    assert_int_equal(kp_json_decode(arena, t, strlen(t), &lim, &v, &e), 0);
    t = "[\"abcd\"]";
    jbad_lim(t, strlen(t), &lim, "too_large");
    t = "{\"abcd\":1}";
    jbad_lim(t, strlen(t), &lim, "too_large");
    lim = kp_default_limits;
    lim.max_total = 4;
    jbad_lim("[1,2]", 5, &lim, "too_large");
}

static void test_numbers(void **state)
{
    kp_value *v = jok("[0,-1,9223372036854775807,-9223372036854775808,1.5,1.0,-0.0,1e2,2E-3]");
    const kp_value *it = v->v.arr.items;
    assert_true(it[0].type == KP_INT && it[0].v.i == 0);
    assert_true(it[1].type == KP_INT && it[1].v.i == -1);
    assert_true(it[2].type == KP_INT && it[2].v.i == INT64_MAX);
    assert_true(it[3].type == KP_INT && it[3].v.i == INT64_MIN);
    assert_true(it[4].type == KP_FLOAT && it[4].v.f == 1.5);
    assert_true(it[5].type == KP_FLOAT && it[5].v.f == 1.0);
    assert_true(it[6].type == KP_FLOAT && signbit(it[6].v.f));
    assert_true(it[7].type == KP_FLOAT && it[7].v.f == 100.0);
    assert_true(it[8].type == KP_FLOAT && it[8].v.f == 0.002);
    json_is(v, "[0,-1,9223372036854775807,-9223372036854775808,1.5,1.0,-0.0,100.0,0.002]");
    jbad("9223372036854775808", "invalid_json"); /* beyond int64 */
    jbad("-9223372036854775809", "invalid_json");
    jbad("1e400", "invalid_json");
    jbad("01", "invalid_json");
    jbad("1.", "invalid_json");
    jbad("+1", "invalid_json");

    /* writer: shortest text that reads back, integral doubles stay doubles */
    const struct {
        double d;
        const char *want;
    } fs[] = {{0.1, "0.1"},
              {1.0, "1.0"},
              {1e21, "1e+21"},
              {-2.5, "-2.5"},
              {1.0 / 3, "0.3333333333333333"},
              {123456789012345680.0, "1.2345678901234568e+17"},
              {5e-324, "4.94065645841247e-324"},
              {NAN, "null"},
              {INFINITY, "null"},
              {-INFINITY, "null"}};
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        kp_value f = {.type = KP_FLOAT, .v.f = fs[i].d};
        json_is(&f, fs[i].want);
        if (isfinite(fs[i].d)) {
            kp_value *back = jok(fs[i].want);
            assert_int_equal(back->type, KP_FLOAT);
            assert_true(back->v.f == fs[i].d);
        }
    }
    kp_value u = {.type = KP_UINT, .v.u = UINT64_MAX};
    json_is(&u, "18446744073709551615");
    kp_value i64 = {.type = KP_INT, .v.i = INT64_MIN};
    json_is(&i64, "-9223372036854775808");
}

static void test_invalid(void **state)
{
    static const char *const bad[] = {
        "",         " ",       "{",           "[1,]",        "{'a':1}",      "1 2",     "[1] x",
        "nul",      "{\"a\"}", "{\"a\":}",    "[1 2]",       "\"abc",        "\"\\x\"", "{1:2}",
        "[\"\t\"]", "NaN",     "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "// c\n1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        jbad(bad[i], "invalid_json");
    jbad("\"\xff\"", "invalid_utf8");
    jbad("\"\xc0\x80\"", "invalid_utf8");       /* overlong */
    jbad("\"\xed\xa0\x80\"", "invalid_utf8");   /* surrogate */
    jbad("\"\xe1\x80\"", "invalid_utf8");       /* truncated */
    jbad_lim("[1]\0", 4, NULL, "invalid_json"); /* NUL after the document */
    /* any value at the top level; objects are the caller's check */
    assert_int_equal(jok(" 42 ")->type, KP_INT);
    assert_int_equal(jok("null")->type, KP_NIL);
}

static void test_types_and_base64(void **state)
{
    kp_value *v = jok("{\"s\":\"x\",\"n\":null,\"t\":true,\"f\":false,\"a\":[[],{}],\"i\":-7}");
    json_is(v, "{\"s\":\"x\",\"n\":null,\"t\":true,\"f\":false,\"a\":[[],{}],\"i\":-7}");
    assert_int_equal(kp_map_get(v, "t")->type, KP_BOOL);
    assert_int_equal(kp_map_get(v, "n")->type, KP_NIL);

    static const char *const want[] = {"\"\"",         "\"Zg==\"",     "\"Zm8=\"",    "\"Zm9v\"",
                                       "\"Zm9vYg==\"", "\"Zm9vYmE=\"", "\"Zm9vYmFy\""};
    for (uint32_t n = 0; n <= 6; n++) { /* RFC 4648 test vectors */
        kp_value b = {.type = KP_BIN, .v.s = {.ptr = "foobar", .len = n}};
        json_is(&b, want[n]);
        b.type = KP_EXT;
        json_is(&b, want[n]);
    }
    kp_value bytes = {.type = KP_BIN, .v.s = {.ptr = "\xff\xfe\x00", .len = 3}};
    json_is(&bytes, "\"//4A\"");
    json_is(NULL, "null");
}

static void test_msgpack_to_json_errors(void **state)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_err e = {0};
    assert_int_equal(kp_msgpack_to_json(arena, (const uint8_t *)"\x92\x01", 2, &b, &e), -1);
    assert_string_equal(e.code, "invalid_msgpack");
    assert_int_equal(kp_msgpack_to_json(arena, (const uint8_t *)"\xa1\xff", 2, &b, &e), -1);
    assert_string_equal(e.code, "invalid_utf8");
    static const char mp[] = "\x83\xa1"
                             "a\xc4\x02\x00\x01\xa1"
                             "b\xca\x3f\xc0\x00\x00\xa1"
                             "c\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"; /* c: NaN */
    m2j(mp, sizeof mp - 1, "{\"a\":\"AAE=\",\"b\":1.5,\"c\":null}");
    kp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_escapes, arena_reset),
        cmocka_unit_test_setup(test_vietnamese_roundtrip, arena_reset),
        cmocka_unit_test_setup(test_duplicates_and_order, arena_reset),
        cmocka_unit_test_setup(test_depth, arena_reset),
        cmocka_unit_test_setup(test_limits, arena_reset),
        cmocka_unit_test_setup(test_numbers, arena_reset),
        cmocka_unit_test_setup(test_invalid, arena_reset),
        cmocka_unit_test_setup(test_types_and_base64, arena_reset),
        cmocka_unit_test_setup(test_msgpack_to_json_errors, arena_reset),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
