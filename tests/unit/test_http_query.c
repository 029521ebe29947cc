/* test_http_query.c — query-string parameters: lookup, percent-decoding,
 * '+' as space, absent vs empty, and refused encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "http/http.h"

static void lookup(void **st)
{
    (void)st;
    kp_arena *a = kp_arena_new(1024);
    const char *v = NULL;
    const char *q = "sector=aquaculture&country=VN&flag&empty=&limit=20&limit=30";
    assert_int_equal(http_query_param(q, "sector", a, &v), 1);
    assert_string_equal(v, "aquaculture");
    assert_int_equal(http_query_param(q, "country", a, &v), 1);
    assert_string_equal(v, "VN");
    assert_int_equal(http_query_param(q, "flag", a, &v), 1);
    assert_string_equal(v, "");
    assert_int_equal(http_query_param(q, "empty", a, &v), 1);
    assert_string_equal(v, "");
    assert_int_equal(http_query_param(q, "limit", a, &v), 1); /* the first one */
    assert_string_equal(v, "20");
    assert_int_equal(http_query_param(q, "sect", a, &v), 0); /* no prefix match */
    assert_int_equal(http_query_param(q, "after", a, &v), 0);
    assert_int_equal(http_query_param("", "after", a, &v), 0);
    kp_arena_free(a);
}

static void decoding(void **st)
{
    (void)st;
    kp_arena *a = kp_arena_new(1024);
    const char *v = NULL;
    assert_int_equal(http_query_param("q=nu%C3%B4i+t%C3%B4m%20h%C3%B9m", "q", a, &v), 1);
    assert_string_equal(v, "nuôi tôm hùm");
    assert_int_equal(http_query_param("q=a%2Bb%26c%3Dd", "q", a, &v), 1);
    assert_string_equal(v, "a+b&c=d");
    assert_int_equal(http_query_param("q=%", "q", a, &v), -1);
    assert_int_equal(http_query_param("q=%4", "q", a, &v), -1);
    assert_int_equal(http_query_param("q=%zz", "q", a, &v), -1);
    assert_int_equal(http_query_param("q=%00", "q", a, &v), -1); /* NUL */
    assert_int_equal(http_query_param("q=%C3", "q", a, &v), -1); /* cut UTF-8 */
    assert_int_equal(http_query_param("q=%FF", "q", a, &v), -1);
    assert_int_equal(http_query_param("x=%zz&q=1", "q", a, &v), 1); /* others not checked */
    assert_string_equal(v, "1");
    kp_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(lookup), cmocka_unit_test(decoding)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
