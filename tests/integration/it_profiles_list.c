/* it_profiles_list.c — libkhnet's directory call (khnet_profiles_list) and
 * `khnet profiles` against a real khnetd (run by tests/harness.sh, which
 * exports KHNET_URL and KHNET_CLI): filters, keyset pages followed by
 * cursor, a refused filter, and the command's flags.  The listing's rules
 * in depth are tests/interop/profiles.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static int64_t ids[3]; /* the accounts made by setup: JP, JP, VN */

/* An account with a profile in `country` (each its own context and token). */
static int64_t make_profile(const char *email, const char *name, const char *country)
{
    char body[256];
    snprintf(body, sizeof body, "{\"full_name\":\"%s\",\"country\":\"%s\"}", name, country);
    return it_make_profile(email, body);
}

static int setup(void **state)
{
    (void)state;
    ids[0] = make_profile("list.a@example.org", "Đặng Thu Hà", "JP");
    ids[1] = make_profile("list.b@example.org", "Lý Quốc Bảo", "JP");
    ids[2] = make_profile("list.c@example.org", "Hồ Xuân Mai", "VN");
    return 0;
}

static void test_pages(void **state)
{
    (void)state;
    khnet_ctx *c = it_connect();
    khnet_reply *rep = NULL;
    khnet_profile_filter jp = {.size = sizeof(khnet_profile_filter), .country = "JP"};

    /* newest first, one per page: ids[1], then ids[0], then no next */
    assert_int_equal(khnet_profiles_list(c, &jp, NULL, 1, &rep), KHNET_OK);
    const kp_value *items = it_map_get(rep->root, "items"), *next = it_map_get(rep->root, "next");
    assert_int_equal(items->v.arr.n, 1);
    assert_int_equal(it_map_get(&items->v.arr.items[0], "id")->v.i, ids[1]);
    assert_int_equal(next->type, KP_STR);
    char cursor[64];
    snprintf(cursor, sizeof cursor, "%.*s", (int)next->v.s.len, next->v.s.ptr);
    khnet_reply_free(rep);

    assert_int_equal(khnet_profiles_list(c, &jp, cursor, 1, &rep), KHNET_OK);
    items = it_map_get(rep->root, "items");
    assert_int_equal(items->v.arr.n, 1);
    assert_int_equal(it_map_get(&items->v.arr.items[0], "id")->v.i, ids[0]);
    khnet_reply_free(rep);
    assert_int_equal(khnet_profiles_list(c, &jp, NULL, 0, &rep), KHNET_OK);
    assert_int_equal(it_map_get(rep->root, "items")->v.arr.n, 2);
    assert_int_equal(it_map_get(rep->root, "next")->type, KP_NIL);
    khnet_reply_free(rep);

    /* no filter: all three */
    assert_int_equal(khnet_profiles_list(c, NULL, NULL, 10, &rep), KHNET_OK);
    assert_int_equal(it_map_get(rep->root, "items")->v.arr.n, 3);
    khnet_reply_free(rep);
    khnet_free(c);
}

static void test_refused(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    khnet_profile_filter bad = {.size = sizeof(khnet_profile_filter), .country = "jp"};
    char long_value[200];
    memset(long_value, 'a', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    khnet_profile_filter too_long = {.size = sizeof(khnet_profile_filter), .sector = long_value};
    khnet_ctx *c = it_connect();
    assert_int_equal(khnet_profiles_list(c, &bad, NULL, 0, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 400);
    const kp_value *err = it_map_get(rep->root, "error"), *field = it_map_get(err, "field");
    assert_int_equal(field->v.s.len, 7);
    assert_memory_equal(field->v.s.ptr, "country", 7);
    khnet_reply_free(rep);
    rep = NULL;
    assert_int_equal(khnet_profiles_list(c, &too_long, NULL, 0, &rep), KHNET_ERR_ARG);
    assert_null(rep);
    khnet_free(c);
}

/* Runs `khnet --url $KHNET_URL ARGS` into out; returns the exit status. */
static int cli(const char *args, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' --url '%s' %s 2>/dev/null", getenv("KHNET_CLI"),
             getenv("KHNET_URL"), args);
    return it_run(cmd, out, cap);
}

static void test_cli(void **state)
{
    (void)state;
    char out[8192];
    assert_int_equal(cli("profiles --country JP", out, sizeof out), 0);
    assert_non_null(strstr(out, "Đặng Thu Hà"));
    assert_non_null(strstr(out, "Lý Quốc Bảo"));
    assert_null(strstr(out, "Hồ Xuân Mai"));
    assert_int_equal(cli("profiles --country VN --limit 5", out, sizeof out), 0);
    assert_non_null(strstr(out, "Hồ Xuân Mai"));
    assert_null(strstr(out, "Lý Quốc Bảo"));
    assert_int_equal(cli("profiles --colour JP", out, sizeof out), 2); /* usage */
    assert_int_equal(cli("profiles --country", out, sizeof out), 2);   /* no value */
    assert_int_equal(cli("profiles --limit x", out, sizeof out), 2);
    assert_int_not_equal(cli("profiles --country jp", out, sizeof out), 0); /* server: 400 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
