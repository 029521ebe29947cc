/* test_codec.c — unit tests of the msgpack side of khproto: arena, buffer,
 * decoder limits and validation, typed readers, writer.  Expected bytes are
 * written out by hand from the msgpack spec, so the decoder is not only
 * checked against our own encoder. */
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

/* Decodes with default limits, expecting success. */
static kp_value *ok(const void *p, size_t n)
{
    kp_value *v = NULL;
    kp_err e = {0};
    int rc = kp_decode(arena, p, n, NULL, &v, &e);
    if (rc != 0) print_error("unexpected failure: %s: %s\n", e.code, e.message);
    assert_int_equal(rc, 0);
    assert_non_null(v);
    return v;
}

/* Decodes with lim, expecting failure with code. */
static void bad_lim(const void *p, size_t n, const kp_limits *lim, const char *code)
{
    kp_value *v = NULL;
    kp_err e = {0};
    assert_int_equal(kp_decode(arena, p, n, lim, &v, &e), -1);
    assert_null(v);
    assert_non_null(e.code);
    assert_string_equal(e.code, code);
    assert_true(kp_utf8_valid(e.message, strlen(e.message)));
}

static void bad(const void *p, size_t n, const char *code)
{
    bad_lim(p, n, NULL, code);
}

#define OK(lit) ok(lit, sizeof(lit) - 1)
#define BAD(lit, code) bad(lit, sizeof(lit) - 1, code)

/* Re-encodes v and checks it is byte-identical to p[0..n). */
static void same_bytes(const kp_value *v, const void *p, size_t n)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_value(&b, v);
    assert_false(b.oom);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, p, n);
    kp_buf_free(&b);
}

static void test_int_boundaries(void **state)
{
    static const struct {
        int64_t v;
        uint8_t head; /* first byte of the shortest form */
        size_t size;
    } cases[] = {
        {0, 0x00, 1},          {1, 0x01, 1},
        {0x7f, 0x7f, 1},       {0x80, 0xcc, 2},
        {0xff, 0xcc, 2},       {0x100, 0xcd, 3},
        {0xffff, 0xcd, 3},     {0x10000, 0xce, 5},
        {0xffffffff, 0xce, 5}, {0x100000000, 0xcf, 9},
        {INT64_MAX, 0xcf, 9},  {-1, 0xff, 1},
        {-32, 0xe0, 1},        {-33, 0xd0, 2},
        {-128, 0xd0, 2},       {-129, 0xd1, 3},
        {-32768, 0xd1, 3},     {-32769, 0xd2, 5},
        {INT32_MIN, 0xd2, 5},  {(int64_t)INT32_MIN - 1, 0xd3, 9},
        {INT64_MIN, 0xd3, 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kp_buf b;
        kp_buf_init(&b);
        kp_w_int(&b, cases[i].v);
        assert_int_equal(b.len, cases[i].size);
        assert_int_equal(b.data[0], cases[i].head);
        kp_value *v = ok(b.data, b.len);
        assert_int_equal(v->type, KP_INT);
        assert_true(v->v.i == cases[i].v);
        same_bytes(v, b.data, b.len);
        kp_buf_free(&b);
    }
}

static void test_uint_and_wide_forms(void **state)
{
    kp_value *v = OK("\xcf\xff\xff\xff\xff\xff\xff\xff\xff");
    assert_int_equal(v->type, KP_UINT);
    assert_true(v->v.u == UINT64_MAX);
    v = OK("\xcf\x80\x00\x00\x00\x00\x00\x00\x00");
    assert_int_equal(v->type, KP_UINT);
    assert_true(v->v.u == (uint64_t)1 << 63);
    /* non-shortest forms are still accepted and read as KP_INT */
    v = OK("\xcf\x00\x00\x00\x00\x00\x00\x00\x05");
    assert_int_equal(v->type, KP_INT);
    assert_int_equal(v->v.i, 5);
    v = OK("\xd3\xff\xff\xff\xff\xff\xff\xff\xfe");
    assert_true(v->v.i == -2);
    v = OK("\xd1\x80\x00");
    assert_true(v->v.i == -32768);

    kp_buf b;
    kp_buf_init(&b);
    kp_w_uint(&b, UINT64_MAX);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.data, "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9);
    kp_buf_reset(&b);
    kp_w_uint(&b, 5);
    assert_int_equal(b.len, 1);
    kp_buf_free(&b);
}

static void test_scalars(void **state)
{
    assert_int_equal(OK("\xc0")->type, KP_NIL);
    kp_value *v = OK("\xc3");
    assert_true(v->type == KP_BOOL && v->v.b);
    v = OK("\xc2");
    assert_true(v->type == KP_BOOL && !v->v.b);

    v = OK("\xca\x3f\xc0\x00\x00"); /* float32 1.5 */
    assert_int_equal(v->type, KP_FLOAT);
    assert_true(v->v.f == 1.5);
    same_bytes(v, "\xca\x3f\xc0\x00\x00", 5); /* float32 stays float32 */

    const double ds[] = {3.141592653589793, -0.0, 1e300, -2.5e-310, 0.1};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        kp_buf b;
        kp_buf_init(&b);
        kp_w_double(&b, ds[i]);
        assert_int_equal(b.len, 9);
        assert_int_equal(b.data[0], 0xcb);
        v = ok(b.data, b.len);
        assert_int_equal(v->type, KP_FLOAT);
        assert_memory_equal(&v->v.f, &ds[i], sizeof(double)); /* bit-exact, -0.0 too */
        same_bytes(v, b.data, b.len);
        kp_buf_free(&b);
    }
    v = OK("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00");
    assert_true(v->v.f == 1.5);
}

/* Strings and bins of each header width round-trip with the right header. */
static void test_str_bin_sizes(void **state)
{
    static const struct {
        size_t n;
        uint8_t str_head, bin_head;
    } cases[] = {{0, 0xa0, 0xc4},   {31, 0xbf, 0xc4},    {32, 0xd9, 0xc4},   {255, 0xd9, 0xc4},
                 {256, 0xda, 0xc5}, {65535, 0xda, 0xc5}, {65536, 0xdb, 0xc6}};
    char *text = malloc(70000);
    assert_non_null(text);
    memset(text, 'x', 70000);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kp_buf b;
        kp_buf_init(&b);
        kp_w_str(&b, text, cases[i].n);
        assert_int_equal(b.data[0], cases[i].str_head);
        kp_value *v = ok(b.data, b.len);
        assert_int_equal(v->type, KP_STR);
        assert_int_equal(v->v.s.len, cases[i].n);
        same_bytes(v, b.data, b.len);
        kp_buf_reset(&b);
        kp_w_bin(&b, text, cases[i].n);
        assert_int_equal(b.data[0], cases[i].bin_head);
        v = ok(b.data, b.len);
        assert_int_equal(v->type, KP_BIN);
        assert_int_equal(v->v.s.len, cases[i].n);
        same_bytes(v, b.data, b.len);
        kp_buf_free(&b);
    }
    free(text);
}

static void test_ext(void **state)
{
    kp_value *v = OK("\xd4\x05\xaa");
    assert_int_equal(v->type, KP_EXT);
    assert_int_equal(v->ext_type, 5);
    assert_int_equal(v->v.s.len, 1);
    same_bytes(v, "\xd4\x05\xaa", 3);
    v = OK("\xd6\xff\x01\x02\x03\x04"); /* timestamp32: type -1 */
    assert_int_equal(v->ext_type, -1);
    assert_int_equal(v->v.s.len, 4);
    same_bytes(v, "\xd6\xff\x01\x02\x03\x04", 6);
    v = OK("\xd8\x01"
           "0123456789abcdef");
    assert_int_equal(v->v.s.len, 16);
    v = OK("\xc7\x03\x02xyz");
    assert_int_equal(v->v.s.len, 3);
    same_bytes(v, "\xc7\x03\x02xyz", 6);
}

static void test_containers(void **state)
{
    /* {"a": [1, -1, nil], "bb": {}} written by hand */
    static const char doc[] = "\x82\xa1"
                              "a\x93\x01\xff\xc0\xa2"
                              "bb\x80";
    kp_value *v = ok(doc, sizeof doc - 1);
    assert_int_equal(v->type, KP_MAP);
    assert_int_equal(v->v.map.n, 2);
    assert_memory_equal(v->v.map.pairs[0].key.v.s.ptr, "a", 1);
    const kp_value *arr = &v->v.map.pairs[0].val;
    assert_int_equal(arr->type, KP_ARRAY);
    assert_int_equal(arr->v.arr.n, 3);
    assert_int_equal(arr->v.arr.items[1].v.i, -1);
    assert_int_equal(arr->v.arr.items[2].type, KP_NIL);
    assert_int_equal(v->v.map.pairs[1].val.type, KP_MAP);
    assert_int_equal(v->v.map.pairs[1].val.v.map.n, 0);
    same_bytes(v, doc, sizeof doc - 1);
    /* strings point into the input, no copy */
    assert_ptr_equal(v->v.map.pairs[1].key.v.s.ptr, doc + 8);

    /* array16 / map16 headers */
    kp_buf b;
    kp_buf_init(&b);
    kp_w_array(&b, 16);
    for (int i = 0; i < 16; i++)
        kp_w_nil(&b);
    assert_int_equal(b.data[0], 0xdc);
    v = ok(b.data, b.len);
    assert_int_equal(v->v.arr.n, 16);
    same_bytes(v, b.data, b.len);
    kp_buf_reset(&b);
    kp_w_map(&b, 16);
    for (int i = 0; i < 16; i++) {
        char k[8];
        kp_w_str(&b, k, (size_t)snprintf(k, sizeof k, "k%d", i));
        kp_w_int(&b, i);
    }
    assert_int_equal(b.data[0], 0xde);
    v = ok(b.data, b.len);
    assert_int_equal(v->v.map.n, 16);
    same_bytes(v, b.data, b.len);
    kp_buf_free(&b);
}

/* A document using every type; every proper prefix must fail cleanly. */
static void test_truncated_everywhere(void **state)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 9);
    kp_w_cstr(&b, "i");
    kp_w_int(&b, INT64_MIN);
    kp_w_cstr(&b, "u");
    kp_w_uint(&b, UINT64_MAX);
    kp_w_cstr(&b, "f");
    kp_w_double(&b, 2.5);
    kp_w_cstr(&b, "s");
    kp_w_cstr(&b, "Nguyễn Thị Minh Thư");
    kp_w_cstr(&b, "b");
    kp_w_bin(&b, "\x00\x01\x02", 3);
    kp_w_cstr(&b, "a");
    kp_w_array(&b, 3);
    kp_w_nil(&b);
    kp_w_bool(&b, true);
    kp_w_int(&b, 300);
    kp_w_cstr(&b, "m");
    kp_w_map(&b, 1);
    kp_w_cstr(&b, "x");
    kp_w_int(&b, -70000);
    kp_w_cstr(&b, "e");
    kp_buf_append(&b, "\xd5\x07\x01\x02", 4);
    kp_w_cstr(&b, "f32");
    kp_buf_append(&b, "\xca\x3f\xc0\x00\x00", 5);
    assert_false(b.oom);
    ok(b.data, b.len);
    for (size_t n = 0; n < b.len; n++) {
        /* a fresh heap copy of exactly n bytes lets ASan catch over-reads */
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, b.data, n);
        bad(copy, n, "invalid_msgpack");
        free(copy);
    }
    kp_buf_free(&b);
}

static void test_huge_declared_lengths(void **state)
{
    static const struct {
        const char *bytes;
        size_t n;
    } cases[] = {
        {"\xdd\xff\xff\xff\xff\xc0", 6}, /* array32 of 4G, one byte follows */
        {"\xdf\xff\xff\xff\xff\xa1"
         "a",
         7},
        {"\xdc\xff\xff", 3},
        {"\xde\x00\x02\xa1"
         "a\xc0",
         6}, /* 2 pairs need >= 4 bytes, 3 left */
        {"\xdb\xff\xff\xff\xff"
         "abc",
         8},
        {"\xc6\xff\xff\xff\xff"
         "abc",
         8},
        {"\xc9\xff\xff\xff\xff\x01"
         "abc",
         9},
        {"\x9f\xc0", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kp_arena_reset(arena);
        bad(cases[i].bytes, cases[i].n, "invalid_msgpack");
        assert_true(kp_arena_used(arena) < 1024); /* nothing sized by the claim */
    }
}

static void nested(kp_buf *b, size_t depth, uint8_t head)
{
    for (size_t i = 0; i < depth; i++) {
        uint8_t h = head;
        kp_buf_append(b, &h, 1);
        if (head == 0x81) kp_w_cstr(b, "k");
    }
    kp_w_nil(b);
}

static void test_depth_limit(void **state)
{
    kp_buf b;
    kp_buf_init(&b);
    nested(&b, 16, 0x91);
    ok(b.data, b.len);
    kp_buf_reset(&b);
    nested(&b, 17, 0x91);
    bad(b.data, b.len, "too_deep");
    kp_buf_reset(&b);
    nested(&b, 17, 0x81);
    bad(b.data, b.len, "too_deep");

    kp_limits lim = kp_default_limits;
    lim.max_depth = 1; /* a flat map */
    kp_value *v;
    kp_err e = {0};
    assert_int_equal(kp_decode(arena,
                               (const uint8_t *)"\x81\xa1"
                                                "a\x01",
                               4, &lim, &v, &e),
                     0);
    bad_lim("\x81\xa1"
            "a\x80",
            4, &lim, "too_deep"); /* empty containers count */
    lim.max_depth = 0;
    assert_int_equal(kp_decode(arena, (const uint8_t *)"\x01", 1, &lim, &v, &e), 0);
    bad_lim("\x90", 1, &lim, "too_deep");

    /* very deep but allowed: the decoder must not use the C stack for it */
    lim = kp_default_limits;
    lim.max_depth = 200000;
    lim.max_items = 300000;
    kp_buf_reset(&b);
    nested(&b, 100000, 0x91);
    assert_int_equal(kp_decode(arena, b.data, b.len, &lim, &v, &e), 0);
    kp_buf_free(&b);
}

static void test_item_limit(void **state)
{
    kp_limits lim = kp_default_limits;
    lim.max_items = 10;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_array(&b, 9); /* 1 + 9 = 10 values */
    for (int i = 0; i < 9; i++)
        kp_w_nil(&b);
    kp_value *v;
    kp_err e = {0};
    assert_int_equal(kp_decode(arena, b.data, b.len, &lim, &v, &e), 0);
    kp_buf_reset(&b);
    kp_w_array(&b, 10);
    for (int i = 0; i < 10; i++)
        kp_w_nil(&b);
    bad_lim(b.data, b.len, &lim, "too_large");
    /* keys count: {a:1,...} with 5 pairs = 11 values */
    kp_buf_reset(&b);
    kp_w_map(&b, 5);
    for (int i = 0; i < 5; i++) {
        char k = (char)('a' + i);
        kp_w_str(&b, &k, 1);
        kp_w_int(&b, i);
    }
    bad_lim(b.data, b.len, &lim, "too_large");
    kp_buf_free(&b);

    /* default limit: 100k values */
    kp_buf_init(&b);
    kp_w_array(&b, 100000);
    for (int i = 0; i < 100000; i++)
        kp_w_nil(&b);
    bad(b.data, b.len, "too_large");
    kp_buf_free(&b);
}

static void test_size_limits(void **state)
{
    kp_limits lim = kp_default_limits;
    lim.max_str = 4;
    kp_value *v;
    kp_err e = {0};
    assert_int_equal(kp_decode(arena,
                               (const uint8_t *)"\xa4"
                                                "abcd",
                               5, &lim, &v, &e),
                     0);
    bad_lim("\xa5"
            "abcde",
            6, &lim, "too_large");
    bad_lim("\xc4\x05"
            "abcde",
            7, &lim, "too_large");
    lim = kp_default_limits;
    lim.max_total = 3;
    bad_lim("\xa3"
            "abc",
            4, &lim, "too_large");
    assert_int_equal(kp_decode(arena,
                               (const uint8_t *)"\xa2"
                                                "ab",
                               3, &lim, &v, &e),
                     0);
}

static void test_invalid_utf8(void **state)
{
    static const char *const bad_strs[] = {
        "\xc0\x80",         /* overlong NUL */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong '/' */
        "\xf0\x80\x80\xaf", /* overlong */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xed\xbf\xbf",     /* surrogate U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80",
        "\xe1\x80", /* truncated sequence */
        "ab\xc3",   /* truncated at end */
        "\x80",     /* lone continuation */
        "\xff",
        "\xfe",
        "a\xe1\x80z",
    };
    for (size_t i = 0; i < sizeof bad_strs / sizeof bad_strs[0]; i++) {
        size_t n = strlen(bad_strs[i]);
        assert_false(kp_utf8_valid(bad_strs[i], n));
        uint8_t doc[16] = {(uint8_t)(0xa0 | n)};
        memcpy(doc + 1, bad_strs[i], n);
        bad(doc, n + 1, "invalid_utf8");
        /* as a map key too */
        uint8_t kdoc[20] = {0x81, (uint8_t)(0xa0 | n)};
        memcpy(kdoc + 2, bad_strs[i], n);
        kdoc[n + 2] = 0xc0;
        bad(kdoc, n + 3, "invalid_utf8");
    }
    BAD("\xa3"
        "a\x00"
        "b",
        "invalid_utf8");                                     /* NUL */
    assert_false(kp_utf8_valid("abcdefgh\0ijklmnop", 17));   /* NUL in the fast path */
    assert_false(kp_utf8_valid("abcdefgh\xffijklmnop", 17)); /* high byte in the fast path */

    static const char *const good[] = {"",
                                       "plain ascii, long enough for words",
                                       "Nguyễn Thị Minh Thư",
                                       "\xed\x9f\xbf",
                                       "\xee\x80\x80",
                                       "\xf4\x8f\xbf\xbf",
                                       "\xf0\x90\x80\x80",
                                       "\xc2\x80",
                                       "\x7f"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(kp_utf8_valid(good[i], strlen(good[i])));
    assert_int_equal(kp_utf8_len("Nguyễn Thị Minh Thư", strlen("Nguyễn Thị Minh Thư")), 19);
    assert_int_equal(kp_utf8_len("\xf0\x9f\x98\x80"
                                 "a",
                                 5),
                     2);
}

static void expect_msg(const void *p, size_t n, const char *code, const char *needle)
{
    kp_value *v = NULL;
    kp_err e = {0};
    assert_int_equal(kp_decode(arena, p, n, NULL, &v, &e), -1);
    assert_string_equal(e.code, code);
    if (!strstr(e.message, needle)) fail_msg("message \"%s\" lacks \"%s\"", e.message, needle);
}

static void test_duplicate_keys(void **state)
{
    expect_msg("\x82\xa1"
               "a\x01\xa1"
               "a\x02",
               7, "invalid_msgpack", "duplicate");
    /* nested map */
    expect_msg("\x81\xa1"
               "m\x82\xa1"
               "a\x01\xa1"
               "a\x02",
               10, "invalid_msgpack", "duplicate");
    ok("\x82\xa1"
       "a\x01\xa2"
       "ab\x02",
       8); /* prefixes are different keys */
    ok("\x82\xa0\x01\xa1"
       "a\x02",
       6); /* empty key is a key */
    expect_msg("\x82\xa0\x01\xa0\x02", 5, "invalid_msgpack", "duplicate");

    /* large maps take the sorting path: unique passes, one repeat fails */
    for (int dup_at = -1; dup_at < 2000; dup_at += 700) {
        kp_buf b;
        kp_buf_init(&b);
        kp_w_map(&b, 1000);
        for (int i = 0; i < 1000; i++) {
            char k[16];
            int key = (dup_at >= 0 && i == 999) ? dup_at % 1000 : i;
            kp_w_str(&b, k, (size_t)snprintf(k, sizeof k, "key%d", key));
            kp_w_int(&b, i);
        }
        if (dup_at < 0)
            ok(b.data, b.len);
        else
            expect_msg(b.data, b.len, "invalid_msgpack", "duplicate map key");
        kp_buf_free(&b);
    }
}

static void test_bad_structure(void **state)
{
    expect_msg("\x81\x01\x02", 3, "invalid_msgpack", "not a string");
    expect_msg("\x81\xc4\x01"
               "a\x02",
               5, "invalid_msgpack", "not a string"); /* bin key */
    expect_msg("\x81\x90\x02", 3, "invalid_msgpack", "not a string");
    expect_msg("\xc0\xc0", 2, "invalid_msgpack", "trailing");
    expect_msg("\x81\xa1"
               "a\x01\x00",
               5, "invalid_msgpack", "trailing");
    expect_msg("\xc1", 1, "invalid_msgpack", "0xc1");
    expect_msg("", 0, "invalid_msgpack", "truncated");
    kp_value *v = NULL;
    kp_err e = {0};
    assert_int_equal(kp_decode(arena, NULL, 0, NULL, &v, &e), -1);
}

/* {name: "Nguyễn", age: 42, big: UINT64_MAX, f: 1.0, ok: true, tags: [1,2,3],
 *  nothing: nil, m: {year: "x"}} */
static const kp_value *sample(void)
{
    static kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 8);
    kp_w_cstr(&b, "name");
    kp_w_cstr(&b, "Nguyễn");
    kp_w_cstr(&b, "age");
    kp_w_int(&b, 42);
    kp_w_cstr(&b, "big");
    kp_w_uint(&b, UINT64_MAX);
    kp_w_cstr(&b, "f");
    kp_w_double(&b, 1.0);
    kp_w_cstr(&b, "ok");
    kp_w_bool(&b, true);
    kp_w_cstr(&b, "tags");
    kp_w_array(&b, 3);
    kp_w_int(&b, 1);
    kp_w_int(&b, 2);
    kp_w_int(&b, 3);
    kp_w_cstr(&b, "nothing");
    kp_w_nil(&b);
    kp_w_cstr(&b, "m");
    kp_w_map(&b, 1);
    kp_w_cstr(&b, "year");
    kp_w_cstr(&b, "x");
    /* the tree points into b: copy it into the arena so b can go */
    uint8_t *copy = kp_arena_alloc(arena, b.len);
    memcpy(copy, b.data, b.len);
    const kp_value *v = ok(copy, b.len);
    kp_buf_free(&b);
    return v;
}

static void expect_err(const kp_err *e, const char *code, const char *field)
{
    assert_non_null(e->code);
    assert_string_equal(e->code, code);
    assert_string_equal(e->field, field);
    assert_true(e->message[0] != '\0');
}

static void test_get_str(void **state)
{
    const kp_value *m = sample();
    kp_err e = {0};
    const char *s = NULL;
    uint32_t n = 0;
    assert_int_equal(kp_get_str(m, "name", true, 1, 6, &s, &n, &e), 1);
    assert_int_equal(n, strlen("Nguyễn")); /* bytes */
    assert_memory_equal(s, "Nguyễn", n);
    assert_int_equal(kp_get_str(m, "name", true, 1, 5, &s, &n, &e), -1); /* 6 code points */
    expect_err(&e, "too_long", "name");
    e = (kp_err){0};
    assert_int_equal(kp_get_str(m, "name", true, 7, 10, &s, &n, &e), -1);
    expect_err(&e, "too_short", "name");
    e = (kp_err){0};
    assert_int_equal(kp_get_str(m, "age", true, 0, 10, &s, &n, &e), -1);
    expect_err(&e, "invalid_type", "age");
    e = (kp_err){0};
    assert_int_equal(kp_get_str(m, "absent", true, 0, 10, &s, &n, &e), -1);
    expect_err(&e, "missing_field", "absent");
    e = (kp_err){0};
    assert_int_equal(kp_get_str(m, "nothing", true, 0, 10, &s, &n, &e), -1);
    expect_err(&e, "missing_field", "nothing"); /* nil counts as absent */
    s = "untouched";
    assert_int_equal(kp_get_str(m, "nothing", false, 0, 10, &s, &n, &e), 0);
    assert_int_equal(kp_get_str(m, "absent", false, 0, 10, &s, &n, &e), 0);
    assert_string_equal(s, "untouched");
}

static void test_get_int_bool_array(void **state)
{
    const kp_value *m = sample();
    kp_err e = {0};
    int64_t i = -7;
    assert_int_equal(kp_get_int(m, "age", true, 0, 150, &i, &e), 1);
    assert_int_equal(i, 42);
    assert_int_equal(kp_get_int(m, "age", true, 50, 60, &i, &e), -1);
    expect_err(&e, "out_of_range", "age");
    e = (kp_err){0};
    assert_int_equal(kp_get_int(m, "big", true, INT64_MIN, INT64_MAX, &i, &e), -1);
    expect_err(&e, "out_of_range", "big");
    e = (kp_err){0};
    assert_int_equal(kp_get_int(m, "f", true, 0, 10, &i, &e), -1); /* 1.0 is not an int */
    expect_err(&e, "invalid_type", "f");
    e = (kp_err){0};
    assert_int_equal(kp_get_int(m, "nope", false, 0, 10, &i, &e), 0);
    assert_int_equal(i, 42);

    bool b = false;
    assert_int_equal(kp_get_bool(m, "ok", true, &b, &e), 1);
    assert_true(b);
    assert_int_equal(kp_get_bool(m, "age", true, &b, &e), -1);
    expect_err(&e, "invalid_type", "age");
    e = (kp_err){0};
    assert_int_equal(kp_get_bool(m, "nope", true, &b, &e), -1);
    expect_err(&e, "missing_field", "nope");

    e = (kp_err){0};
    const kp_value *arr = NULL;
    assert_int_equal(kp_get_array(m, "tags", true, 3, &arr, &e), 1);
    assert_int_equal(arr->v.arr.n, 3);
    assert_int_equal(kp_get_array(m, "tags", true, 2, &arr, &e), -1);
    expect_err(&e, "too_long", "tags");
    e = (kp_err){0};
    assert_int_equal(kp_get_array(m, "name", true, 2, &arr, &e), -1);
    expect_err(&e, "invalid_type", "name");
}

static void test_nested_paths(void **state)
{
    const kp_value *m = sample();
    kp_err e = {0};
    assert_int_equal(kp_expect_map(m, NULL, &e), 0);
    const kp_value *inner = kp_map_get(m, "m");
    assert_non_null(inner);
    assert_int_equal(kp_expect_map(inner, "m", &e), 0);
    strcpy(e.field, "degrees.2");
    int64_t y;
    assert_int_equal(kp_get_int(inner, "year", true, 1900, 2100, &y, &e), -1);
    expect_err(&e, "invalid_type", "degrees.2.year");

    e = (kp_err){0};
    assert_int_equal(kp_expect_map(kp_map_get(m, "tags"), "tags", &e), -1);
    expect_err(&e, "invalid_type", "tags");
    e = (kp_err){0};
    assert_int_equal(kp_expect_map(kp_map_get(m, "tags"), NULL, &e), -1);
    expect_err(&e, "invalid_body", "");
    e = (kp_err){0};
    assert_int_equal(kp_expect_map(NULL, "", &e), -1);
    expect_err(&e, "invalid_body", "");
    assert_null(kp_map_get(m, "na"));
    assert_null(kp_map_get(kp_map_get(m, "tags"), "x"));
}

static void test_check_fields(void **state)
{
    const kp_value *m = sample();
    static const char *const all[] = {"name", "age",     "big", "f", "ok",
                                      "tags", "nothing", "m",   NULL};
    static const char *const some[] = {"name", "age", "big", "f", "ok", "nothing", "m", NULL};
    kp_err e = {0};
    assert_int_equal(kp_check_fields(m, all, &e), 0);
    assert_int_equal(kp_check_fields(m, some, &e), -1);
    expect_err(&e, "unknown_field", "tags");
}

static bool valid_cstr(const char *s)
{
    return kp_utf8_valid(s, strlen(s));
}

static void test_err_set(void **state)
{
    kp_err e;
    memset(&e, 0x55, sizeof e);
    kp_err_set(&e, "x", NULL, "n=%d", 5);
    assert_string_equal(e.field, "");
    assert_string_equal(e.message, "n=5");
    /* 3-byte characters never fit exactly: the cut must not split one */
    char big[601];
    for (int i = 0; i < 200; i++)
        memcpy(big + 3 * i, "ễ", 3);
    big[600] = '\0';
    for (size_t shift = 0; shift < 3; shift++) {
        kp_err_set(&e, "x", big, "%.*s%s", (int)shift, "aa", big);
        assert_true(strlen(e.field) < sizeof e.field);
        assert_true(valid_cstr(e.field));
        assert_true(strlen(e.message) < sizeof e.message);
        assert_true(strlen(e.message) > sizeof e.message - 5);
        assert_true(valid_cstr(e.message));
    }
    kp_err_set(NULL, "x", "y", "z"); /* no crash */
}

static void test_w_error(void **state)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_error(&b, "missing_field", "field is required", "full_name");
    kp_value *v = ok(b.data, b.len);
    const kp_value *err = kp_map_get(v, "error");
    assert_non_null(err);
    assert_int_equal(err->v.map.n, 3);
    const kp_value *f = kp_map_get(err, "field");
    assert_memory_equal(f->v.s.ptr, "full_name", 9);
    static const char expect[] = "\x81\xa5"
                                 "error\x83\xa4"
                                 "code\xad"
                                 "missing_field\xa7"
                                 "message\xb1"
                                 "field is required\xa5"
                                 "field\xa9"
                                 "full_name";
    assert_int_equal(b.len, sizeof expect - 1);
    assert_memory_equal(b.data, expect, b.len);

    for (int i = 0; i < 2; i++) {
        kp_buf_reset(&b);
        kp_w_error(&b, "internal", "oops", i ? "" : NULL);
        v = ok(b.data, b.len);
        err = kp_map_get(v, "error");
        assert_int_equal(err->v.map.n, 2);
        assert_null(kp_map_get(err, "field"));
    }
    kp_buf_free(&b);
}

static void test_arena(void **state)
{
    kp_arena *a = kp_arena_new(0);
    assert_non_null(a);
    for (size_t n = 0; n < 3000; n += 37) {
        uint8_t *p = kp_arena_alloc(a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, n); /* ASan: the whole block is ours */
    }
    uint8_t *big = kp_arena_alloc(a, 1 << 20); /* own chunk */
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 16, 0);
    memset(big, 1, 1 << 20);
    uint8_t *small = kp_arena_alloc(a, 8);
    assert_non_null(small);
    assert_true(kp_arena_used(a) >= (1 << 20) + 3000);
    char *s = kp_arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    kp_arena_reset(a);
    assert_int_equal(kp_arena_used(a), 0);
    for (int i = 0; i < 1000; i++)
        assert_non_null(kp_arena_alloc(a, 100));
    kp_arena_free(a);
    kp_arena_free(NULL);
}

static void test_buf(void **state)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_buf_appendf(&b, "%d-%s", 42, "x");
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "42-x", 4);
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    kp_buf_appendf(&b, "%s", big); /* forces a grow and a second format */
    assert_int_equal(b.len, 4 + 999);
    assert_int_equal(b.data[b.len - 1], 'z');
    kp_buf_append(&b, NULL, 0);
    assert_int_equal(b.len, 1003);
    kp_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(kp_buf_reserve(&b, SIZE_MAX - 8), -1);
    assert_true(b.oom);
    kp_buf_append(&b, "x", 1);
    assert_int_equal(b.len, 0); /* sticky */
    kp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_int_boundaries, arena_reset),
        cmocka_unit_test_setup(test_uint_and_wide_forms, arena_reset),
        cmocka_unit_test_setup(test_scalars, arena_reset),
        cmocka_unit_test_setup(test_str_bin_sizes, arena_reset),
        cmocka_unit_test_setup(test_ext, arena_reset),
        cmocka_unit_test_setup(test_containers, arena_reset),
        cmocka_unit_test_setup(test_truncated_everywhere, arena_reset),
        cmocka_unit_test_setup(test_huge_declared_lengths, arena_reset),
        cmocka_unit_test_setup(test_depth_limit, arena_reset),
        cmocka_unit_test_setup(test_item_limit, arena_reset),
        cmocka_unit_test_setup(test_size_limits, arena_reset),
        cmocka_unit_test_setup(test_invalid_utf8, arena_reset),
        cmocka_unit_test_setup(test_duplicate_keys, arena_reset),
        cmocka_unit_test_setup(test_bad_structure, arena_reset),
        cmocka_unit_test_setup(test_get_str, arena_reset),
        cmocka_unit_test_setup(test_get_int_bool_array, arena_reset),
        cmocka_unit_test_setup(test_nested_paths, arena_reset),
        cmocka_unit_test_setup(test_check_fields, arena_reset),
        cmocka_unit_test(test_err_set),
        cmocka_unit_test_setup(test_w_error, arena_reset),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
