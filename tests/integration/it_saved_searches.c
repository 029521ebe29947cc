/* it_saved_searches.c — libkhnet's saved-search calls and `khnet saved`
 * against a real khnetd (run by tests/harness.sh, which exports KHNET_URL,
 * KHNET_DATABASE_URL, KHNETD and KHNET_CLI): a liaison officer made by an
 * admin saves searches (typed and JSON), lists, looks for new experts (peek,
 * then the mark moves), deletes; the server's errors with their field, and
 * KHNET_ERR_ARG before sending; the CLI's table and exit codes.  The
 * endpoints in depth: tests/interop/saved_searches.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static char liaison_token[64];

/* A member with an offshore-wind profile: a new expert for the searches. */
static void make_wind_expert(const char *email)
{
    khnet_reply *rep = NULL;
    khnet_ctx *c = it_account(email, NULL, NULL);
    assert_int_equal(khnet_call_json(c, "POST", "/v1/profiles",
                                     "{\"full_name\":\"Phạm Đức Đạt\",\"country\":\"DK\","
                                     "\"expertise\":[\"offshore wind\"]}",
                                     &rep),
                     KHNET_OK);
    khnet_reply_free(rep);
    khnet_free(c);
}

static int setup(void **state)
{
    (void)state;
    it_admin_create("root.saved@example.org", PW, "");
    khnet_ctx *admin = it_connect(), *liaison = NULL;
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_login(admin, "root.saved@example.org", PW, &rep), KHNET_OK);
    khnet_reply_free(rep);
    int64_t id = 0;
    liaison = it_account("liaison.saved@example.org", &id, NULL);
    khnet_free(liaison);
    assert_int_equal(khnet_role_set(admin, id, "liaison", &rep), KHNET_OK);
    khnet_reply_free(rep);
    khnet_free(admin);
    /* a session made after the role change */
    liaison = it_connect();
    assert_int_equal(khnet_login(liaison, "liaison.saved@example.org", PW, &rep), KHNET_OK);
    const kp_value *t = it_map_get(rep->root, "token");
    snprintf(liaison_token, sizeof liaison_token, "%.*s", (int)t->v.s.len, t->v.s.ptr);
    khnet_reply_free(rep);
    khnet_free(liaison);
    return 0;
}

static void test_library(void **state)
{
    (void)state;
    khnet_ctx *c = it_connect();
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_set_token(c, liaison_token), KHNET_OK);

    const char *dk[] = {"DK", NULL};
    khnet_search_query query = {
        .size = sizeof(khnet_search_query), .q = "offshore wind", .countries = dk};
    assert_int_equal(khnet_saved_search_create(c, "wind in DK", &query, &rep), KHNET_OK);
    assert_int_equal(rep->status, 201);
    int64_t id = it_map_get(rep->root, "id")->v.i;
    assert_int_equal(it_map_get(it_map_get(rep->root, "query"), "countries")->type, KP_ARRAY);
    khnet_reply_free(rep);
    assert_int_equal(khnet_saved_search_create_json(c, "all", "{\"limit\":5}", &rep), KHNET_OK);
    int64_t all = it_map_get(rep->root, "id")->v.i;
    khnet_reply_free(rep);

    assert_int_equal(khnet_saved_searches_list(c, NULL, 1, &rep), KHNET_OK);
    assert_int_equal(it_map_get(rep->root, "items")->v.arr.n, 1);
    assert_int_equal(it_map_get(&it_map_get(rep->root, "items")->v.arr.items[0], "id")->v.i, all);
    assert_int_equal(it_map_get(rep->root, "next")->type, KP_STR);
    khnet_reply_free(rep);

    make_wind_expert("it.saved.dat@example.org");
    assert_int_equal(khnet_saved_search_new(c, id, 1, NULL, &rep), KHNET_OK);
    assert_int_equal(it_nhits(rep), 1);
    assert_int_equal(it_map_get(rep->root, "since")->type, KP_STR);
    khnet_reply_free(rep);
    assert_int_equal(khnet_saved_search_new(c, id, 0, NULL, &rep), KHNET_OK);
    assert_int_equal(it_nhits(rep), 1);
    khnet_reply_free(rep);
    assert_int_equal(khnet_saved_search_new(c, id, 0, NULL, &rep), KHNET_OK);
    assert_int_equal(it_nhits(rep), 0);
    khnet_reply_free(rep);

    /* the server's 400 with its field, and 404 after a delete */
    assert_int_equal(khnet_saved_search_create_json(c, "bad", "{\"limit\":0}", &rep),
                     KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 400);
    assert_string_equal(rep->field, "query.limit");
    khnet_reply_free(rep);
    assert_int_equal(khnet_saved_search_delete(c, id, &rep), KHNET_OK);
    assert_int_equal(rep->status, 204);
    khnet_reply_free(rep);
    assert_int_equal(khnet_saved_search_new(c, id, 0, NULL, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 404);
    khnet_reply_free(rep);

    /* refused unsent */
    rep = NULL;
    assert_int_equal(khnet_saved_search_create_json(c, "bad", "[1]", &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_saved_search_create_json(c, "bad", "{", &rep), KHNET_ERR_ARG);
    query.after = "abc";
    assert_int_equal(khnet_saved_search_create(c, "bad", &query, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_saved_search_create(c, NULL, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_saved_search_delete(c, 0, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_saved_search_new(c, -1, 0, NULL, &rep), KHNET_ERR_ARG);
    assert_null(rep);

    /* a member is refused */
    khnet_ctx *m = it_account("it.saved.member@example.org", NULL, NULL);
    assert_int_equal(khnet_saved_searches_list(m, NULL, 0, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 403);
    khnet_reply_free(rep);
    khnet_free(m);
    khnet_free(c);
}

static void test_cli(void **state)
{
    (void)state;
    const char *cli = it_cli();
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "%s --token %s saved create 'gió' '{\"q\":\"offshore wind\"}'", cli,
             liaison_token);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    const char *p = strstr(out, "\"id\":");
    assert_non_null(p);
    long long id = strtoll(p + 5, NULL, 10);
    snprintf(cmd, sizeof cmd, "%s --token %s saved", cli, liaison_token);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"name\":\"gió\""));
    make_wind_expert("it.saved.cli@example.org");
    snprintf(cmd, sizeof cmd, "%s --token %s saved new %lld --peek", cli, liaison_token, id);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "new since "));
    assert_non_null(strstr(out, "Phạm Đức Đạt"));
    assert_non_null(strstr(out, "1 shown of 1 matching experts"));
    snprintf(cmd, sizeof cmd, "%s --token %s saved new %lld", cli, liaison_token, id);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "Phạm Đức Đạt"));
    snprintf(cmd, sizeof cmd, "%s --token %s --json saved new %lld", cli, liaison_token, id);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"total\":0"));
    snprintf(cmd, sizeof cmd, "%s --token %s saved delete %lld", cli, liaison_token, id);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    snprintf(cmd, sizeof cmd, "%s --token %s saved new %lld 2>&1", cli, liaison_token, id);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "not_found"));
    snprintf(cmd, sizeof cmd, "%s --token %s saved create x '{' 2>/dev/null", cli, liaison_token);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s --token %s saved new 1 --colour 2>/dev/null", cli, liaison_token);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s saved 2>&1", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "unauthenticated"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_library), cmocka_unit_test(test_cli)};
    return cmocka_run_group_tests_name("it_saved_searches", tests, setup, NULL);
}
