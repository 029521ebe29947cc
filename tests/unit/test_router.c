/* test_router.c — route matching, parameters, 404/405 and Allow, and
 * content negotiation (pure functions, no I/O). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "http/http.h"

static void h(http_req *r)
{
    (void)r;
}

static const http_route routes[] = {
    {"GET", "/healthz", h},
    {"GET", "/v1/profiles/{id}", h},
    {"PATCH", "/v1/profiles/{id}", h},
    {"POST", "/v1/profiles", h},
    {"GET", "/v1/conversations/{cid}/messages/{mid}", h},
};

static http_match m(const http_router *r, const char *method, const char *path, int *idx,
                    http_param *params, char *allow, kp_arena *a)
{
    return http_router_match(r, method, path, strlen(path), a, idx, params, allow, 128);
}

static void matching(void **s)
{
    (void)s;
    http_router *r = http_router_new(routes, 5);
    assert_non_null(r);
    kp_arena *a = kp_arena_new(1024);
    http_param p[HTTP_MAX_PARAMS];
    char allow[128];
    int idx = -1;
    assert_int_equal(m(r, "GET", "/healthz", &idx, p, allow, a), HTTP_MATCH_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(m(r, "GET", "/v1/profiles/42", &idx, p, allow, a), HTTP_MATCH_OK);
    assert_int_equal(idx, 1);
    assert_string_equal(p[0].name, "id");
    assert_string_equal(p[0].value, "42");
    assert_int_equal(m(r, "PATCH", "/v1/profiles/42", &idx, p, allow, a), HTTP_MATCH_OK);
    assert_int_equal(idx, 2);
    assert_int_equal(m(r, "HEAD", "/v1/profiles/42", &idx, p, allow, a), HTTP_MATCH_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(m(r, "GET", "/v1/conversations/7/messages/9", &idx, p, allow, a),
                     HTTP_MATCH_OK);
    assert_string_equal(p[0].value, "7");
    assert_string_equal(p[1].name, "mid");
    assert_string_equal(p[1].value, "9");
    /* percent-decoding of parameters, UTF-8 kept */
    assert_int_equal(m(r, "GET", "/v1/profiles/Nguy%E1%BB%85n", &idx, p, allow, a), HTTP_MATCH_OK);
    assert_string_equal(p[0].value, "Nguyễn");
    kp_arena_free(a);
    http_router_free(r);
}

static void misses(void **s)
{
    (void)s;
    http_router *r = http_router_new(routes, 5);
    kp_arena *a = kp_arena_new(1024);
    http_param p[HTTP_MAX_PARAMS];
    char allow[128];
    int idx = -1;
    assert_int_equal(m(r, "GET", "/v1/profiles", &idx, p, allow, a), HTTP_MATCH_METHOD);
    assert_string_equal(allow, "POST");
    assert_int_equal(m(r, "DELETE", "/v1/profiles/1", &idx, p, allow, a), HTTP_MATCH_METHOD);
    assert_string_equal(allow, "GET, HEAD, PATCH");
    assert_int_equal(m(r, "GET", "/v1/profiles/", &idx, p, allow, a), HTTP_MATCH_NOT_FOUND);
    assert_int_equal(m(r, "GET", "/v1/profiles/1/x", &idx, p, allow, a), HTTP_MATCH_NOT_FOUND);
    assert_int_equal(m(r, "GET", "/healthz/", &idx, p, allow, a), HTTP_MATCH_NOT_FOUND);
    assert_int_equal(m(r, "GET", "healthz", &idx, p, allow, a), HTTP_MATCH_NOT_FOUND);
    assert_int_equal(m(r, "GET", "/", &idx, p, allow, a), HTTP_MATCH_NOT_FOUND);
    assert_int_equal(m(r, "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n", &idx, p, allow, a),
                     HTTP_MATCH_NOT_FOUND);
    /* bad escapes, encoded NUL or slash, invalid UTF-8 */
    assert_int_equal(m(r, "GET", "/v1/profiles/%zz", &idx, p, allow, a), HTTP_MATCH_BAD_PATH);
    assert_int_equal(m(r, "GET", "/v1/profiles/%4", &idx, p, allow, a), HTTP_MATCH_BAD_PATH);
    assert_int_equal(m(r, "GET", "/v1/profiles/a%00", &idx, p, allow, a), HTTP_MATCH_BAD_PATH);
    assert_int_equal(m(r, "GET", "/v1/profiles/a%2fb", &idx, p, allow, a), HTTP_MATCH_BAD_PATH);
    assert_int_equal(m(r, "GET", "/v1/profiles/%ff", &idx, p, allow, a), HTTP_MATCH_BAD_PATH);
    kp_arena_free(a);
    http_router_free(r);
}

static void bad_patterns(void **s)
{
    (void)s;
    static const http_route bad[] = {{"GET", "no-slash", h}};
    assert_null(http_router_new(bad, 1));
    static const http_route many[] = {{"GET", "/{a}/{b}/{c}/{d}/{e}", h}};
    assert_null(http_router_new(many, 1));
}

#define CT(s) http_content_type(s, strlen(s))
#define ACC(s, f) http_accept(s, strlen(s), f)

static void content_types(void **s)
{
    (void)s;
    assert_int_equal(CT("application/msgpack"), HTTP_CT_MSGPACK);
    assert_int_equal(CT("Application/MsgPack"), HTTP_CT_MSGPACK);
    assert_int_equal(CT("application/json"), HTTP_CT_JSON);
    assert_int_equal(CT("application/json; charset=utf-8"), HTTP_CT_JSON);
    assert_int_equal(CT("application/json;charset=\"UTF-8\""), HTTP_CT_JSON);
    assert_int_equal(CT("application/json; charset=latin1"), HTTP_CT_OTHER);
    assert_int_equal(CT("text/plain"), HTTP_CT_OTHER);
    assert_int_equal(http_content_type(NULL, 0), HTTP_CT_NONE);
}

static void accept_header(void **s)
{
    (void)s;
    assert_int_equal(http_accept(NULL, 0, HTTP_CT_NONE), HTTP_CT_MSGPACK);
    assert_int_equal(http_accept(NULL, 0, HTTP_CT_JSON), HTTP_CT_JSON);
    assert_int_equal(ACC("application/json", HTTP_CT_NONE), HTTP_CT_JSON);
    assert_int_equal(ACC("application/msgpack", HTTP_CT_JSON), HTTP_CT_MSGPACK);
    assert_int_equal(ACC("*/*", HTTP_CT_NONE), HTTP_CT_MSGPACK);
    assert_int_equal(ACC("*/*", HTTP_CT_JSON), HTTP_CT_JSON);
    assert_int_equal(ACC("application/json;q=0.5, application/msgpack", HTTP_CT_NONE),
                     HTTP_CT_MSGPACK);
    assert_int_equal(ACC("application/msgpack;q=0.2, application/json;q=0.9", HTTP_CT_NONE),
                     HTTP_CT_JSON);
    assert_int_equal(ACC("text/html", HTTP_CT_NONE), HTTP_CT_NONE);
    assert_int_equal(ACC("application/json;q=0", HTTP_CT_JSON), HTTP_CT_NONE);
    assert_int_equal(ACC("text/html, application/*;q=0.1", HTTP_CT_NONE), HTTP_CT_MSGPACK);
    assert_int_equal(ACC("application/json;q=1.5x", HTTP_CT_NONE), HTTP_CT_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matching),      cmocka_unit_test(misses),
        cmocka_unit_test(bad_patterns),  cmocka_unit_test(content_types),
        cmocka_unit_test(accept_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
