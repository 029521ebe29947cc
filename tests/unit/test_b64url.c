/* test_b64url.c — base64url and sealed strings (server/util/b64url.h):
 * RFC 4648 test vectors, refusal of non-canonical and foreign input,
 * tampering, and cursors handed out by earlier builds still decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "profile/profile.h"
#include "search/search.h"
#include "util/b64url.h"

static void rfc4648_vectors(void **st)
{
    (void)st;
    /* RFC 4648 §10, without the padding. */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        size_t n = strlen(plain[i]);
        char out[16];
        b64url_encode((const uint8_t *)plain[i], n, out);
        assert_string_equal(out, coded[i]);
        assert_int_equal(strlen(out), B64URL_LEN(n));
        uint8_t back[8] = {0};
        assert_int_equal(b64url_decode(out, strlen(out), back, n), 0);
        assert_memory_equal(back, plain[i], n);
    }
    /* The two characters that differ from base64: 0xfb 0xff -> "-_8". */
    char out[8];
    b64url_encode((const uint8_t[]){0xfb, 0xff}, 2, out);
    assert_string_equal(out, "-_8");
}

static void refusals(void **st)
{
    (void)st;
    uint8_t b[8];
    assert_int_equal(b64url_decode("Zm8", 3, b, 2), 0);
    assert_int_equal(b64url_decode("Zm9", 3, b, 2), -1);  /* trailing bits set */
    assert_int_equal(b64url_decode("Zm8", 3, b, 3), -1);  /* length mismatch */
    assert_int_equal(b64url_decode("Zm+", 3, b, 2), -1);  /* base64, not base64url */
    assert_int_equal(b64url_decode("Zm=", 3, b, 2), -1);  /* no padding */
    assert_int_equal(b64url_decode("Z\0o", 3, b, 2), -1); /* NUL inside */
    assert_true(b64url_valid("Zm9v-_", 6));
    assert_false(b64url_valid("Zm9v+/", 6));
    assert_false(b64url_valid("Zm\0v", 4));
}

static void sealed_tampering(void **st)
{
    (void)st;
    uint8_t raw[5 + 4] = {1, 2, 3, 4, 5};
    char s[SEALED_LEN(5) + 1];
    sealed_encode(raw, 5, 42, s);
    uint8_t back[5 + 4];
    assert_int_equal(sealed_decode(s, strlen(s), 42, back, 5), 0);
    assert_memory_equal(back, raw, 5);
    assert_int_equal(sealed_decode(s, strlen(s), 43, back, 5), -1); /* another salt */
    for (size_t i = 0; i < strlen(s); i++) {
        char orig = s[i];
        s[i] = orig == 'A' ? 'B' : 'A';
        assert_int_equal(sealed_decode(s, strlen(s), 42, back, 5), -1);
        s[i] = orig;
    }
}

/* Strings printed by the cursor code before it moved onto util/b64url.c:
 * a client holding one mid-listing must not get 400 after an upgrade. */
static void earlier_cursors_decode(void **st)
{
    (void)st;
    int64_t id = 0;
    assert_int_equal(profile_cursor_decode("AQAAAAAAAeJAGBCPeg", 18, &id), 0);
    assert_int_equal(id, 123456);
    char c[PROFILE_CURSOR_LEN + 1];
    profile_cursor_encode(123456, c, sizeof c);
    assert_string_equal(c, "AQAAAAAAAeJAGBCPeg");

    search_key k;
    assert_int_equal(search_cursor_decode("AQA_ryA4hKvLywAAAAAAABCStUdTEw", 30, &k), 0);
    assert_int_equal(k.sort, SEARCH_RELEVANCE);
    assert_true(k.score == 0.0607927);
    assert_int_equal(k.id, 4242);
    assert_int_equal(search_cursor_decode("AQIABkSTdo1mQAAAAAAAAABNyrNcoQ", 30, &k), 0);
    assert_int_equal(k.sort, SEARCH_RECENT);
    assert_int_equal(k.k, 1764250000123456LL);
    assert_int_equal(k.id, 77);
    char sc[SEARCH_CURSOR_LEN + 1];
    search_cursor_encode(&k, sc, sizeof sc);
    assert_string_equal(sc, "AQIABkSTdo1mQAAAAAAAAABNyrNcoQ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors),
        cmocka_unit_test(refusals),
        cmocka_unit_test(sealed_tampering),
        cmocka_unit_test(earlier_cursors_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
