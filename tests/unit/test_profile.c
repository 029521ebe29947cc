/* test_profile.c — the profile directory's pure helpers: ORCID checksums
 * (ISO 7064 MOD 11-2) and keyset cursors (round trip, tampering). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "profile/profile.h"

static bool ov(const char *s)
{
    return profile_orcid_valid(s, strlen(s));
}

static void orcid(void **st)
{
    (void)st;
    /* ORCID's own examples, one with the X check character. */
    assert_true(ov("0000-0002-1825-0097"));
    assert_true(ov("0000-0001-5109-3700"));
    assert_true(ov("0000-0002-1694-233X"));
    assert_false(ov("0000-0002-1825-0098")); /* wrong check digit */
    assert_false(ov("0000-0002-1694-2330"));
    assert_false(ov("0000-0002-1694-233x")); /* lower-case x */
    assert_false(ov("0000000218250097"));    /* no hyphens */
    assert_false(ov("0000-0002-1825-009"));
    assert_false(ov("0000-0002-1825-00977"));
    assert_false(ov("0000-0002-18a5-0097"));
    assert_false(ov("0000-00021-825-0097"));
    assert_false(ov("X000-0002-1825-0097"));
    assert_false(ov(""));
    /* A digit swapped in the middle changes the checksum. */
    assert_false(ov("0000-0002-8125-0097"));
}

static void cursor_round_trip(void **st)
{
    (void)st;
    const int64_t ids[] = {1, 2, 255, 256, 65537, 200000, 4294967296LL, INT64_MAX};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char c[PROFILE_CURSOR_LEN + 1];
        profile_cursor_encode(ids[i], c, sizeof c);
        assert_int_equal(strlen(c), PROFILE_CURSOR_LEN);
        assert_null(strpbrk(c, "+/="));
        int64_t back = 0;
        assert_int_equal(profile_cursor_decode(c, strlen(c), &back), 0);
        assert_int_equal(back, ids[i]);
    }
}

static void cursor_tampered(void **st)
{
    (void)st;
    char c[PROFILE_CURSOR_LEN + 1];
    profile_cursor_encode(123456, c, sizeof c);
    int64_t id = 0;
    /* Every single-character change is refused. */
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < PROFILE_CURSOR_LEN; i++) {
        char orig = c[i];
        for (const char *a = alpha; *a; a++) {
            if (*a == orig) continue;
            c[i] = *a;
            assert_int_equal(profile_cursor_decode(c, PROFILE_CURSOR_LEN, &id), -1);
        }
        c[i] = orig;
    }
    assert_int_equal(profile_cursor_decode(c, PROFILE_CURSOR_LEN - 1, &id), -1);
    assert_int_equal(profile_cursor_decode("", 0, &id), -1);
    assert_int_equal(profile_cursor_decode("AAAAAAAAAAAAAAAAAA", 18, &id), -1);
    assert_int_equal(profile_cursor_decode("!!!!!!!!!!!!!!!!!!", 18, &id), -1);
    /* Zero and negative ids never come out of a cursor. */
    profile_cursor_encode(0, c, sizeof c);
    assert_int_equal(profile_cursor_decode(c, PROFILE_CURSOR_LEN, &id), -1);
    profile_cursor_encode(-5, c, sizeof c);
    assert_int_equal(profile_cursor_decode(c, PROFILE_CURSOR_LEN, &id), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(orcid),
        cmocka_unit_test(cursor_round_trip),
        cmocka_unit_test(cursor_tampered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
