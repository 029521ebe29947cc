/* test_json_transcode.c — kp_json_transcode against the tree path it
 * stands in for (kp_json_decode + kp_w_value): on every document it takes,
 * the same msgpack bytes; every document it does not take (invalid, over a
 * limit, duplicate keys, \u0000, lone surrogates, overflow) falls back with
 * the buffer untouched; top-level pairs handed to `top` (cursor keys). */
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

/* The tree path's bytes (after `prefix`), or -1 when it refuses the text. */
static int tree(const char *text, size_t len, const kp_limits *lim, kp_buf *b)
{
    kp_value *v = NULL;
    kp_err e = {0};
    if (kp_json_decode(arena, text, len, lim, &v, &e) != 0) return -1;
    kp_w_value(b, v);
    return 0;
}

/* Transcodes after a 3-byte prefix: the fast path's bytes equal the tree
 * path's, or it falls back leaving the prefix alone; returns its rc. */
static int same_lim(const char *text, size_t len, const kp_limits *lim)
{
    kp_buf want, got;
    kp_buf_init(&want);
    kp_buf_init(&got);
    kp_buf_append(&want, "pre", 3);
    kp_buf_append(&got, "pre", 3);
    int tree_rc = tree(text, len, lim, &want);
    int rc = kp_json_transcode(&got, text, len, lim, NULL);
    if (rc == 0) {
        if (tree_rc != 0) fail_msg("taken but the tree path refuses: %.*s", (int)len, text);
        if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
            fail_msg("bytes differ: %.*s", (int)len, text);
    } else {
        assert_int_equal(rc, KP_JSON_FALLBACK);
        assert_int_equal(got.len, 3);
        assert_memory_equal(got.data, "pre", 3);
    }
    kp_buf_free(&want);
    kp_buf_free(&got);
    return rc;
}

static int same(const char *text)
{
    return same_lim(text, strlen(text), NULL);
}

static void taken(const char *text)
{
    if (same(text) != 0) fail_msg("fell back: %s", text);
}

static void refused(const char *text)
{
    if (same(text) != KP_JSON_FALLBACK) fail_msg("taken: %s", text);
}

static void test_documents(void **state)
{
    (void)state;
    taken("{}");
    taken(" {\"a\" : [1, -2, 0, -0, 3.5, -1e-3, 2E+10, 1.0, true, false, null, \"\", []]} ");
    taken("{\"int\":[9223372036854775807,-9223372036854775808,127,128,255,256,65535,65536,"
          "4294967295,4294967296,-32,-33,-128,-129,-32768,-32769]}");
    taken("{\"f\":[1e-400,0.1,123456789012345678901234567890.5,5e-324,1.7976931348623157e308]}");
    taken("{\"vi\":\"Nghiên cứu khoa học, công nghệ và đổi mới sáng tạo — Đà Nẵng\"}");
    taken("{\"esc\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u1EA1\\u20AC\\uD83D\\uDE00x\"}");
    taken("{\"k\\u00e9y\":1,\"ke\\u0301y\":2,\"\\ud83d\\ude00\":3}");
    taken("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":[[[[{\"f\":[]}]]]]}}}}}");
    taken("{\"next_key\":5,\"prev_key\":null,\"items\":[{\"id\":1,\"id2\":2}]}");
    /* headers at their shortest: 15/16 keys, 15/16/65536 items, 31/32/255/256 bytes */
    char buf[600000];
    size_t o = (size_t)snprintf(buf, sizeof buf, "{");
    for (int i = 0; i < 16; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s\"k%d\":%d", i ? "," : "", i, i);
    o += (size_t)snprintf(buf + o, sizeof buf - o,
                          ",\"s\":[\"%031d\",\"%032d\",\"%255d\",\"%256d\","
                          "\"%70000d\"],\"a\":[",
                          0, 0, 0, 0, 0);
    for (int i = 0; i < 65536; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%d", i ? "," : "", i % 3);
    snprintf(buf + o, sizeof buf - o, "]}");
    taken(buf);
    buf[0] = '\0';
    o = (size_t)snprintf(buf, sizeof buf, "{\"x\":[");
    for (int i = 0; i < 15; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s{}", i ? "," : "");
    snprintf(buf + o, sizeof buf - o, "]}");
    taken(buf);
}

static void test_fallbacks(void **state)
{
    (void)state;
    refused("[1,2]"); /* not an object: the caller's tree path decides */
    refused("\"s\"");
    refused("{\"a\":1,\"a\":2}");
    refused("{\"a\":1,\"\\u0061\":2}");
    refused("{\"a\":\"\\u0000\"}");
    refused("{\"a\":\"\\ud800\"}");
    refused("{\"a\":\"\\udc00\\ud800\"}");
    refused("{\"a\":\"\\ud800\\u0041\"}");
    refused("{\"a\":9223372036854775808}");
    refused("{\"a\":-9223372036854775809}");
    refused("{\"a\":1e400}");
    refused("{\"a\":01}");
    refused("{\"a\":1.}");
    refused("{\"a\":.5}");
    refused("{\"a\":+1}");
    refused("{\"a\":1e}");
    refused("{\"a\":tru}");
    refused("{\"a\":truex}");
    refused("{\"a\":\"\x01\"}");
    refused("{\"a\":\"\xC3\x28\"}");
    refused("{\"a\":\"\xED\xA0\x80\"}");
    refused("{\"a\":\"\\x\"}");
    refused("{\"a\":1,}");
    refused("{\"a\" 1}");
    refused("{\"a\":[1,]}");
    refused("{\"a\":1} x");
    refused("{\"a\":1}{}");
    refused("{\"a\":\"unterminated}");
    refused("");
    refused(" ");
    /* limits: whatever the tree path says, never more */
    kp_limits lim = kp_default_limits;
    lim.max_depth = 3;
    assert_int_equal(same_lim("{\"a\":{\"b\":{}}}", 13, &lim), KP_JSON_FALLBACK);
    lim = kp_default_limits;
    lim.max_items = 4;
    assert_int_equal(same_lim("{\"a\":[1,2,3]}", 13, &lim), KP_JSON_FALLBACK);
    lim = kp_default_limits;
    lim.max_str = 3;
    assert_int_equal(same_lim("{\"a\":\"abcd\"}", 12, &lim), KP_JSON_FALLBACK);
    /* an object of more than 64 keys goes to the tree path */
    char buf[2000];
    size_t o = (size_t)snprintf(buf, sizeof buf, "{");
    for (int i = 0; i < 65; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s\"k%d\":%d", i ? "," : "", i, i);
    snprintf(buf + o, sizeof buf - o, "}");
    refused(buf);
    /* embedded NUL */
    assert_int_equal(same_lim("{\"a\":1}\0", 8, NULL), KP_JSON_FALLBACK);
    assert_int_equal(same_lim("{\"a\":\"\0\"}", 8, NULL), KP_JSON_FALLBACK);
}

/* Strings are scanned 16 bytes at a time (8 without SSE2): every kind of
 * byte that needs a look ('"' and '\\' escaped, a control byte, UTF-8 valid
 * or not, DEL) at every position of strings across block boundaries, short
 * to long (over two blocks and a tail). */
static void test_word_scan(void **state)
{
    (void)state;
    static const struct {
        const char *bytes; /* what goes at position i */
        bool ok;           /* the document is valid JSON with valid UTF-8 */
    } kinds[] = {
        {"\\\"", true},     {"\\\\", true},          {"\\n", true},       {"\\u00e9", true},
        {"\xC3\xA9", true}, {"\xE2\x82\xAC", true},  {"\x7F", true},      {"~", true},
        {"\x1F", false},    {"\x01", false},         {"\xC3\x28", false}, {"\xC3", false},
        {"\xFF", false},    {"\xED\xA0\x80", false},
    };
    char doc[128];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (int len = 0; len <= 40; len++)
            for (int i = 0; i <= len; i++) {
                int n = snprintf(doc, sizeof doc, "{\"s\":\"%.*s%s%.*s\",\"t\":1}", i,
                                 "abcdefghijklmnopqrstuvwxyz0123456789()[]", kinds[k].bytes,
                                 len - i, "ABCDEFGHIJKLMNOPQRSTUVWXYZ9876543210<>{}");
                assert_true(n > 0 && (size_t)n < sizeof doc);
                if (kinds[k].ok)
                    taken(doc);
                else
                    refused(doc);
            }
}

/* A non-ASCII byte just past a string's end (in the same 16 bytes) leaves
 * the string as it is; one before its end is checked. */
static void test_high_after_end(void **state)
{
    (void)state;
    taken("{\"s\":\"ab\",\"t\":\"\xC3\xA9\"}");
    taken("{\"\":\"\",\"\xC3\xA9\":[\"\xE2\x82\xAC\"]}");
    refused("{\"s\":\"ab\xC3\",\"t\":\"\xA9\"}");
}

/* Duplicate keys are found wherever they are (the key-bit filter only
 * skips keys whose bit is new): every pair (i, j) of 40 keys made equal,
 * keys that share a bit without being equal, the empty key twice. */
static void test_duplicates(void **state)
{
    (void)state;
    char keys[40][8], doc[1024];
    for (int i = 0; i < 40; i++) /* same length, same end bytes: one bit for all */
        snprintf(keys[i], sizeof keys[i], "k%c%cz", 'a' + i % 26, 'A' + i / 26);
    for (int dup = -1; dup < 40 * 40; dup++) {
        int a = dup / 40, b = dup % 40;
        if (dup >= 0 && a >= b) continue;
        size_t o = (size_t)snprintf(doc, sizeof doc, "{");
        for (int i = 0; i < 40; i++)
            o += (size_t)snprintf(doc + o, sizeof doc - o, "%s\"%s\":%d", i ? "," : "",
                                  keys[dup >= 0 && i == b ? a : i], i);
        snprintf(doc + o, sizeof doc - o, "}");
        if (dup < 0)
            taken(doc);
        else
            refused(doc);
    }
    taken("{\"ab\":1,\"ba\":2,\"a\":3,\"b\":4,\"\":5,\"aab\":6,\"abb\":7}");
    refused("{\"\":1,\"x\":2,\"\":3}");
    refused("{\"x\":{\"a\":1,\"b\":{\"a\":1},\"a\":2}}");
}

/* top: next_key → next (its value as "c<id>"), anything else untouched. */
static bool wants(const char *key, size_t n, void *data)
{
    (void)data;
    return n == 8 && !memcmp(key, "next_key", 8);
}

static void put(kp_buf *b, const char *key, size_t n, const kp_value *val, void *data)
{
    ++*(int *)data;
    kp_w_str(b, key, n - 4);
    if (val->type == KP_INT)
        kp_buf_appendf(b, "%c%05lld", 0xa6, (long long)val->v.i); /* a fixstr of 6 */
    else
        kp_w_value(b, val);
}

static void test_top_pairs(void **state)
{
    (void)state;
    int calls = 0;
    kp_json_top top = {.wants = wants, .put = put, .data = &calls, .arena = arena};
    kp_buf got;
    kp_buf_init(&got);
    const char *doc = "{\"items\":[{\"next_key\":1}],\"next\\u005fkey\":42,\"z\":{\"x\":[]}}";
    assert_int_equal(kp_json_transcode(&got, doc, strlen(doc), NULL, &top), 0);
    assert_int_equal(calls, 1); /* the nested next_key is not top-level */
    static const uint8_t want[] = {0x83, 0xa5, 'i', 't',  'e', 'm',  's',  0x91, 0x81,
                                   0xa8, 'n',  'e', 'x',  't', '_',  'k',  'e',  'y',
                                   0x01, 0xa4, 'n', 'e',  'x', 't',  0xa6, '0',  '0',
                                   '0',  '4',  '2', 0xa1, 'z', 0x81, 0xa1, 'x',  0x90};
    assert_int_equal(got.len, sizeof want);
    assert_memory_equal(got.data, want, sizeof want);
    /* its values as kp_json_decode gives them: null, integers (small or
     * not), anything else */
    static const char *const vals[] = {"null",
                                       "0",
                                       "-0",
                                       "7",
                                       "-7",
                                       "999999999999999999",
                                       "-999999999999999999",
                                       "1000000000000000000",
                                       "9223372036854775807",
                                       "-9223372036854775808",
                                       "1.5",
                                       "\"s\"",
                                       "true",
                                       "[1]",
                                       "{\"a\":null}"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "{\"next_key\":%s}", vals[i]);
        kp_value *v = NULL;
        kp_err e = {0};
        kp_buf expect;
        kp_buf_init(&expect);
        assert_int_equal(kp_json_decode(arena, text, strlen(text), NULL, &v, &e), 0);
        kp_w_map(&expect, 1);
        put(&expect, "next_key", 8, &v->v.map.pairs[0].val, &calls);
        kp_buf_reset(&got);
        assert_int_equal(kp_json_transcode(&got, text, strlen(text), NULL, &top), 0);
        assert_int_equal(got.len, expect.len);
        assert_memory_equal(got.data, expect.data, expect.len);
        kp_buf_free(&expect);
    }
    /* a taken key repeated is still a duplicate */
    kp_buf_reset(&got);
    doc = "{\"next_key\":1,\"next_key\":2}";
    assert_int_equal(kp_json_transcode(&got, doc, strlen(doc), NULL, &top), KP_JSON_FALLBACK);
    assert_int_equal(got.len, 0);
    kp_buf_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_documents, arena_reset),
        cmocka_unit_test_setup(test_fallbacks, arena_reset),
        cmocka_unit_test_setup(test_word_scan, arena_reset),
        cmocka_unit_test_setup(test_high_after_end, arena_reset),
        cmocka_unit_test_setup(test_duplicates, arena_reset),
        cmocka_unit_test_setup(test_top_pairs, arena_reset),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
