/* test_origin.c — auth_origin_normalize: what partners may register as a
 * browser origin, and the exact form the CORS check compares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "auth/auth.h"

static void ok(const char *in, const char *want)
{
    char out[AUTH_ORIGIN_MAX + 1];
    if (!auth_origin_normalize(in, strlen(in), out)) fail_msg("refused %s", in);
    assert_string_equal(out, want);
}

static void bad(const char *in)
{
    char out[AUTH_ORIGIN_MAX + 1];
    if (auth_origin_normalize(in, strlen(in), out)) fail_msg("accepted %s as %s", in, out);
}

static void accepted_and_normalised(void **s)
{
    (void)s;
    ok("https://portal.example.edu", "https://portal.example.edu");
    ok("HTTPS://Portal.Example.EDU", "https://portal.example.edu");
    ok("http://localhost:3000", "http://localhost:3000");
    ok("http://example.org:80", "http://example.org");
    ok("https://example.org:443", "https://example.org");
    ok("http://example.org:443", "http://example.org:443");
    ok("http://127.0.0.1:8080", "http://127.0.0.1:8080");
    ok("http://[::1]:8080", "http://[::1]:8080");
    ok("https://xn--khnh-hoa-9za.vn", "https://xn--khnh-hoa-9za.vn");
}

static void refused(void **s)
{
    (void)s;
    const char *const cases[] = {
        "",
        "portal.example.edu",
        "ftp://example.org",
        "https://",
        "https://example.org/",
        "https://example.org/app",
        "https://example.org?x",
        "https://example.org#f",
        "https://user@example.org",
        "https://exa mple.org",
        "https://-bad.example",
        "https://bad-.example",
        "https://a..b",
        "https://example.org:",
        "https://example.org:0",
        "https://example.org:65536",
        "https://example.org:08080",
        "https://example.org:80a",
        "http://[::1",
        "http://[zz]:80",
        "https://*.example.org",
        "null",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad(cases[i]);
    char longest[AUTH_ORIGIN_MAX + 20] = "https://";
    memset(longest + 8, 'a', sizeof longest - 9);
    longest[sizeof longest - 1] = '\0';
    bad(longest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted_and_normalised),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
