/* it_search.c — libkhnet's khnet_search_experts and `khnet search` against
 * a real khnetd (run by tests/harness.sh, which exports KHNET_URL and
 * KHNET_CLI): two profiles made through the API, then text and filters,
 * keyset paging with the reply's cursor, errors (a server 400 with its
 * field, KHNET_ERR_ARG before sending), and the CLI's table and exit codes.
 * Matching and ranking in depth: tests/interop/search.py and
 * search_relevance.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static bool str_is(const kp_value *v, const char *want)
{
    return v && v->type == KP_STR && v->v.s.len == strlen(want) &&
           !memcmp(v->v.s.ptr, want, v->v.s.len);
}

static int64_t lobster_id, wind_id;

static int setup(void **state)
{
    (void)state;
    lobster_id = it_make_profile("it.search.thu@example.org",
                                 "{\"full_name\":\"Nguyễn Thị Minh Thư\",\"country\":\"AU\","
                                 "\"headline\":\"Research Scientist, Aquaculture\","
                                 "\"expertise\":[\"nuôi tôm hùm\",\"lobster aquaculture\"],"
                                 "\"sectors\":[\"aquaculture\"]}");
    wind_id = it_make_profile("it.search.dat@example.org",
                              "{\"full_name\":\"Phạm Đức Đạt\",\"country\":\"JP\","
                              "\"headline\":\"Offshore wind and aquaculture co-location\","
                              "\"expertise\":[\"offshore wind\",\"aquaculture\"],"
                              "\"sectors\":[\"renewable_energy\",\"aquaculture\"]}");
    return 0;
}

static int64_t hit_id(const khnet_reply *rep, uint32_t i)
{
    return it_map_get(&it_map_get(rep->root, "hits")->v.arr.items[i], "id")->v.i;
}

static void test_library(void **state)
{
    (void)state;
    khnet_ctx *c = it_connect();
    khnet_reply *rep = NULL;

    /* accentless text finds the Vietnamese keyword; a hit carries the card */
    khnet_search_query query = {.size = sizeof(khnet_search_query), .q = "nuoi tom hum"};
    assert_int_equal(khnet_search_experts(c, &query, &rep), KHNET_OK);
    assert_int_equal(it_nhits(rep), 1);
    assert_int_equal(hit_id(rep, 0), lobster_id);
    assert_true(str_is(it_map_get(&it_map_get(rep->root, "hits")->v.arr.items[0], "full_name"),
                       "Nguyễn Thị Minh Thư"));
    assert_true(it_map_get(rep->root, "total_exact")->v.b);
    khnet_reply_free(rep);

    /* filters: a country list and a sector list */
    const char *jp[] = {"JP", NULL}, *aqua[] = {"aquaculture", NULL};
    query = (khnet_search_query){
        .size = sizeof(khnet_search_query), .q = "aquaculture", .countries = jp, .sectors = aqua};
    assert_int_equal(khnet_search_experts(c, &query, &rep), KHNET_OK);
    assert_int_equal(it_nhits(rep), 1);
    assert_int_equal(hit_id(rep, 0), wind_id);
    khnet_reply_free(rep);

    /* paging: limit 1, then the reply's cursor; no duplicates, then the end */
    query = (khnet_search_query){
        .size = sizeof(khnet_search_query), .sectors = aqua, .limit = 1, .sort = "recent"};
    assert_int_equal(khnet_search_experts(c, &query, &rep), KHNET_OK);
    assert_int_equal(it_nhits(rep), 1);
    int64_t first = hit_id(rep, 0);
    const kp_value *next = it_map_get(rep->root, "next");
    assert_int_equal(next->type, KP_STR);
    char cursor[128];
    assert_true(next->v.s.len < sizeof cursor);
    memcpy(cursor, next->v.s.ptr, next->v.s.len);
    cursor[next->v.s.len] = '\0';
    khnet_reply_free(rep);
    query.after = cursor;
    assert_int_equal(khnet_search_experts(c, &query, &rep), KHNET_OK);
    assert_int_equal(it_nhits(rep), 1);
    assert_true(hit_id(rep, 0) != first);
    assert_int_equal(it_map_get(rep->root, "next")->type, KP_NIL);
    khnet_reply_free(rep);

    /* NULL query: everything, the server's defaults */
    assert_int_equal(khnet_search_experts(c, NULL, &rep), KHNET_OK);
    assert_int_equal(it_nhits(rep), 2);
    assert_true(str_is(it_map_get(rep->root, "sort"), "recent"));
    khnet_reply_free(rep);

    /* the server's 400 with its field; a bad argument is refused unsent */
    const char *bad[] = {"JP", "jpn", NULL};
    query = (khnet_search_query){.size = sizeof(khnet_search_query), .q = "wind", .countries = bad};
    assert_int_equal(khnet_search_experts(c, &query, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 400);
    assert_string_equal(rep->code, "invalid_value");
    assert_string_equal(rep->field, "countries.1");
    khnet_reply_free(rep);
    rep = NULL;
    query = (khnet_search_query){.size = sizeof(khnet_search_query), .q = "wind", .limit = -1};
    assert_int_equal(khnet_search_experts(c, &query, &rep), KHNET_ERR_ARG);
    assert_null(rep);
    khnet_free(c);
}

static void test_cli(void **state)
{
    (void)state;
    const char *cli = it_cli();
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd,
             "%s search 'nuôi tôm hùm' --country AU --sector aquaculture --limit 5", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "NAME"));
    assert_non_null(strstr(out, "TOP EXPERTISE"));
    assert_non_null(strstr(out, "Nguyễn Thị Minh Thư"));
    assert_non_null(strstr(out, "AU"));
    assert_non_null(strstr(out, "nuôi tôm hùm"));
    assert_non_null(strstr(out, "1 shown of 1 matching experts"));
    assert_null(strstr(out, "Phạm Đức Đạt"));
    /* repeated --country; --json prints the reply */
    snprintf(cmd, sizeof cmd, "%s --json search aquaculture --country JP --country AU", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"total\":2"));
    /* a typo: the corrected query is shown */
    snprintf(cmd, sizeof cmd, "%s search aquacultre", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "showing results for: aquaculture"));
    snprintf(cmd, sizeof cmd, "%s search wind --sector no_such_sector 2>&1", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "sectors.0"));
    snprintf(cmd, sizeof cmd, "%s search wind --limit 0 2>/dev/null", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s search wind --colour blue 2>/dev/null", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_library), cmocka_unit_test(test_cli)};
    return cmocka_run_group_tests_name("it_search", tests, setup, NULL);
}
