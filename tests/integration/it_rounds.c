/* it_rounds.c — libkhnet's programme-round calls against a real khnetd and
 * PostgreSQL (tests/harness.sh): a liaison officer opens a round, members
 * join as mentors and mentees, the officer runs it (results checked field
 * by field: each pair's score is its explanation's points, the total their
 * sum, capacities kept, the mentee nobody can mentor unmatched with its
 * reason), forbids, pins and clears pairs, runs again and publishes; both
 * sides accept the proposals; events by cursor.  And each call's
 * refusals: the library's argument checks, the server's 4xx code and
 * field, members doing an officer's part, not-found, closed rounds, a
 * round with more pairs than a run takes (the limit set with psql).
 * Offers, requests and the request flow are it_mentoring.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mentoring_kit.h"

#define DEADLINE "2099-01-01T00:00:00Z"

/* The round's cast: an officer, two mentors with one place each, two
 * mentees they can mentor and one (French only) they cannot.  The focus
 * sector gives m0 15 points with anyone; e0 shares a second topic with m0
 * (25 more), so the optimum pairs e0 with m0. */
typedef struct cast {
    khnet_ctx *officer, *m[2], *e[3];
    int64_t m_id[2], e_id[3];
    int64_t round;
} cast;

static cast C;

static int setup_cast(void **state)
{
    (void)state;
    C.officer = mk_officer("round.officer", NULL);
    C.m[0] = mk_person("round.m0",
                       MK_MENTOR(20, 3) ",\"sectors\":[\"aquaculture\"],"
                                        "\"expertise\":[\"aquaculture\",\"shrimp farming\"]",
                       &C.m_id[0]);
    C.m[1] = mk_person("round.m1", MK_MENTOR(12, 3), &C.m_id[1]);
    C.e[0] = mk_person("round.e0", MK_MENTEE ",\"expertise\":[\"aquaculture\",\"shrimp farming\"]",
                       &C.e_id[0]);
    C.e[1] = mk_person("round.e1", MK_MENTEE, &C.e_id[1]);
    C.e[2] = mk_person("round.e2", MK_MENTEE ",\"languages\":[\"fr\"]", &C.e_id[2]);
    return 0;
}

static int teardown_cast(void **state)
{
    (void)state;
    khnet_free(C.officer);
    for (int i = 0; i < 2; i++)
        khnet_free(C.m[i]);
    for (int i = 0; i < 3; i++)
        khnet_free(C.e[i]);
    return 0;
}

static void test_open(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_round_open(C.officer, "Vòng 2027", DEADLINE, "aquaculture", &rep),
                     KHNET_OK);
    assert_int_equal(rep->status, 201);
    C.round = mk_int(rep->root, "id");
    it_assert_str(it_get(rep, "name"), "Vòng 2027");
    it_assert_str(it_get(rep, "status"), "open");
    it_assert_str(it_get(rep, "sector"), "aquaculture");
    assert_int_equal(it_get(rep, "deadline")->type, KP_STR);
    assert_int_equal(mk_int(rep->root, "runs"), 0);
    assert_int_equal(mk_int(rep->root, "mentors"), 0);
    assert_int_equal(mk_int(rep->root, "mentees"), 0);
    assert_int_equal(it_get(rep, "run_at")->type, KP_NIL);
    assert_int_equal(it_get(rep, "results")->v.arr.n, 0);
    khnet_reply_free(rep);
    assert_int_equal(khnet_round_get(C.officer, C.round, &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "joined_as")->type, KP_NIL);
    assert_int_equal(mk_int(rep->root, "id"), C.round);
    khnet_reply_free(rep);

    it_expect_err(khnet_round_open(C.e[0], "No", DEADLINE, NULL, &rep), &rep, 403, "forbidden",
                  NULL);
    it_expect_err(khnet_round_open(C.officer, "No", "tomorrow", NULL, &rep), &rep, 400,
                  "invalid_value", "deadline");
    it_expect_err(khnet_round_open(C.officer, "No", "2001-01-01T00:00:00Z", NULL, &rep), &rep, 400,
                  "invalid_value", "deadline");
    it_expect_err(khnet_round_open(C.officer, "No", DEADLINE, "astrology", &rep), &rep, 400,
                  "invalid_value", "sector");
    assert_int_equal(khnet_round_open(C.officer, NULL, DEADLINE, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_round_open(C.officer, "No", NULL, NULL, &rep), KHNET_ERR_ARG);
    it_expect_err(khnet_round_get(C.e[0], 99999999, &rep), &rep, 404, "not_found", NULL);
    assert_int_equal(khnet_round_get(C.e[0], 0, &rep), KHNET_ERR_ARG);
}

static void test_join(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(khnet_round_join(C.m[i], C.round, "mentor", 1, &rep), KHNET_OK);
        it_assert_str(it_get(rep, "joined_as"), "mentor");
        assert_int_equal(mk_int(rep->root, "mentors"), i + 1);
        khnet_reply_free(rep);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(khnet_round_join(C.e[i], C.round, "mentee", 0, &rep), KHNET_OK);
        it_assert_str(it_get(rep, "joined_as"), "mentee");
        khnet_reply_free(rep);
    }
    it_expect_err(khnet_round_join(C.officer, C.round, "mentor", 0, &rep), &rep, 400,
                  "missing_field", "capacity");
    it_expect_err(khnet_round_join(C.officer, C.round, "mentor", 21, &rep), &rep, 400,
                  "out_of_range", "capacity");
    it_expect_err(khnet_round_join(C.officer, C.round, "judge", 0, &rep), &rep, 400,
                  "invalid_value", "side");
    it_expect_err(khnet_round_join(C.officer, 99999999, "mentee", 0, &rep), &rep, 404, "not_found",
                  NULL);
    assert_int_equal(khnet_round_join(C.officer, C.round, NULL, 0, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_round_join(C.officer, -1, "mentee", 0, &rep), KHNET_ERR_ARG);
    /* a member sees the round without its results */
    assert_int_equal(khnet_round_get(C.e[0], C.round, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "mentees"), 3);
    assert_null(kp_map_get(rep->root, "results"));
    khnet_reply_free(rep);
}

/* A run's results, checked against the cast; the mentor of each of the two
 * matchable mentees in mentor_of (mentor ids). */
static void check_results(const khnet_reply *rep, int runs, int64_t mentor_of[2])
{
    it_assert_str(it_get(rep, "status"), "review");
    assert_int_equal(mk_int(rep->root, "runs"), runs);
    assert_int_equal(it_get(rep, "run_at")->type, KP_STR);
    const kp_value *res = it_get(rep, "results");
    assert_int_equal(res->v.arr.n, 3);
    int64_t total = 0;
    for (uint32_t k = 0; k < res->v.arr.n; k++) {
        const kp_value *r = &res->v.arr.items[k];
        int64_t mentee = mk_int(r, "mentee_id");
        assert_int_equal(it_map_get(r, "mentee_name")->type, KP_STR);
        if (mentee == C.e_id[2]) { /* French only: nobody can mentor them */
            assert_int_equal(it_map_get(r, "mentor_id")->type, KP_NIL);
            it_assert_str(it_map_get(r, "unmatched"), "no_eligible_mentor");
            continue;
        }
        int i = mentee == C.e_id[0] ? 0 : 1;
        assert_int_equal(mentee, C.e_id[i]);
        mentor_of[i] = mk_int(r, "mentor_id");
        assert_true(mentor_of[i] == C.m_id[0] || mentor_of[i] == C.m_id[1]);
        assert_int_equal(it_map_get(r, "unmatched")->type, KP_NIL);
        const kp_value *pts = it_map_get(it_map_get(r, "explanation"), "points");
        int64_t sum = 0;
        for (uint32_t p = 0; p < pts->v.map.n; p++)
            sum += pts->v.map.pairs[p].val.v.i;
        assert_int_equal(mk_int(pts, "capacity"), 0); /* no capacity points in a round */
        assert_int_equal(mk_int(r, "score"), sum);
        total += sum;
    }
    assert_true(mentor_of[0] != mentor_of[1]); /* one place each */
    assert_int_equal(mk_int(rep->root, "total_score"), total);
    assert_true(mk_int(rep->root, "greedy_score") <= total);
}

static void test_run_and_rules(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    int64_t mentor_of[2] = {0, 0};
    it_expect_err(khnet_round_run(C.e[0], C.round, &rep), &rep, 403, "forbidden", NULL);
    it_expect_err(khnet_round_run(C.officer, 99999999, &rep), &rep, 404, "not_found", NULL);
    assert_int_equal(khnet_round_run(C.officer, 0, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_round_run(C.officer, C.round, &rep), KHNET_OK);
    check_results(rep, 1, mentor_of);
    assert_int_equal(it_get(rep, "rules")->v.arr.n, 0);
    khnet_reply_free(rep);
    /* e0's second topic is m0's: the optimum gives them m0 */
    assert_int_equal(mentor_of[0], C.m_id[0]);
    it_expect_err(khnet_round_join(C.officer, C.round, "mentee", 0, &rep), &rep, 409, "conflict",
                  NULL);

    /* forbid that pair and run again: the two mentees swap */
    assert_int_equal(khnet_round_rule(C.officer, C.round, C.e_id[0], C.m_id[0], "forbid", &rep),
                     KHNET_OK);
    const kp_value *rule = &it_get(rep, "rules")->v.arr.items[0];
    assert_int_equal(mk_int(rule, "mentee_id"), C.e_id[0]);
    assert_int_equal(mk_int(rule, "mentor_id"), C.m_id[0]);
    it_assert_str(it_map_get(rule, "rule"), "forbid");
    khnet_reply_free(rep);
    assert_int_equal(khnet_round_run(C.officer, C.round, &rep), KHNET_OK);
    check_results(rep, 2, mentor_of);
    assert_int_equal(mentor_of[0], C.m_id[1]);
    khnet_reply_free(rep);
    /* clear it, pin the first mentee to m1 instead: a run keeps the pin */
    it_expect_ok(khnet_round_rule(C.officer, C.round, C.e_id[0], C.m_id[0], "none", &rep), &rep,
                 200);
    assert_int_equal(khnet_round_rule(C.officer, C.round, C.e_id[0], C.m_id[1], "pin", &rep),
                     KHNET_OK);
    assert_int_equal(it_get(rep, "rules")->v.arr.n, 1);
    khnet_reply_free(rep);
    assert_int_equal(khnet_round_run(C.officer, C.round, &rep), KHNET_OK);
    check_results(rep, 3, mentor_of);
    assert_int_equal(mentor_of[0], C.m_id[1]);
    khnet_reply_free(rep);
}

static void test_rule_refusals(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    const int64_t r = C.round, e0 = C.e_id[0], e2 = C.e_id[2], m0 = C.m_id[0];
    it_expect_err(khnet_round_rule(C.e[0], r, e0, m0, "pin", &rep), &rep, 403, "forbidden", NULL);
    it_expect_err(khnet_round_rule(C.officer, r, e0, m0, "maybe", &rep), &rep, 400, "invalid_value",
                  "rule");
    it_expect_err(khnet_round_rule(C.officer, r, m0, m0, "pin", &rep), &rep, 400, "invalid_value",
                  NULL);
    it_expect_err(khnet_round_rule(C.officer, r, e2, m0, "pin", &rep), &rep, 409, "not_eligible",
                  NULL);
    it_expect_err(khnet_round_rule(C.officer, 99999999, e0, m0, "pin", &rep), &rep, 404,
                  "not_found", NULL);
    assert_int_equal(khnet_round_rule(C.officer, r, e0, m0, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_round_rule(C.officer, r, 0, m0, "pin", &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_round_rule(C.officer, r, e0, 0, "pin", &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_round_rule(C.officer, 0, e0, m0, "pin", &rep), KHNET_ERR_ARG);
}

/* Sets round_max_pairs (0022) with psql on the harness's database. */
static void set_max_pairs(const char *value)
{
    char cmd[512], out[256];
    snprintf(cmd, sizeof cmd,
             "psql '%s' -XAtq -v ON_ERROR_STOP=1 -c "
             "'UPDATE khnet_mentoring_settings SET round_max_pairs = %s' 2>&1",
             getenv("KHNET_DATABASE_URL"), value);
    if (it_run(cmd, out, sizeof out) != 0) fail_msg("psql: %s", out);
}

/* A round with more eligible pairs than a run takes: 409 conflict, the
 * round as it was. */
static void test_too_many_pairs(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    set_max_pairs("1");
    assert_int_equal(khnet_round_run(C.officer, C.round, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 409);
    assert_string_equal(rep->code, "conflict");
    assert_non_null(strstr(rep->message, "more than the 1 a run takes"));
    khnet_reply_free(rep);
    set_max_pairs("DEFAULT");
    assert_int_equal(khnet_round_get(C.officer, C.round, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "runs"), 3);
    khnet_reply_free(rep);
}

/* The proposal of mentee i in its list; its id. */
static int64_t proposal_of(int i)
{
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_mentorships_list(C.e[i], "proposed", NULL, 0, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    const kp_value *x = &items->v.arr.items[0];
    assert_int_equal(mk_int(x, "round_id"), C.round);
    assert_int_equal(mk_int(x, "mentee_id"), C.e_id[i]);
    assert_true(mk_int(x, "score") > 0);
    int64_t id = mk_int(x, "id");
    khnet_reply_free(rep);
    return id;
}

static void test_publish_and_accept(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    it_expect_err(khnet_round_publish(C.e[0], C.round, &rep), &rep, 403, "forbidden", NULL);
    assert_int_equal(khnet_round_publish(C.officer, 0, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_round_publish(C.officer, C.round, &rep), KHNET_OK);
    it_assert_str(it_get(rep, "status"), "published");
    assert_int_equal(mk_int(rep->root, "proposals"), 2);
    assert_int_equal(it_get(rep, "published_at")->type, KP_STR);
    khnet_reply_free(rep);
    it_expect_err(khnet_round_publish(C.officer, C.round, &rep), &rep, 409, "conflict", NULL);
    it_expect_err(khnet_round_run(C.officer, C.round, &rep), &rep, 409, "conflict", NULL);
    it_expect_err(khnet_round_rule(C.officer, C.round, C.e_id[1], C.m_id[0], "none", &rep), &rep,
                  409, "conflict", NULL);

    /* the pinned pair: e0 with m1; both accept, a stranger may not */
    int64_t p0 = proposal_of(0), p1 = proposal_of(1);
    it_expect_err(khnet_mentorship_accept(C.e[2], p0, &rep), &rep, 404, "not_found", NULL);
    assert_int_equal(khnet_mentorship_accept(C.e[0], p0, &rep), KHNET_OK);
    it_assert_str(it_get(rep, "status"), "proposed");
    assert_true(mk_bool(rep->root, "mentee_accepted"));
    assert_false(mk_bool(rep->root, "mentor_accepted"));
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentorship_accept(C.m[1], p0, &rep), KHNET_OK);
    it_assert_str(it_get(rep, "status"), "active");
    assert_int_equal(mk_int(rep->root, "mentor_id"), C.m_id[1]);
    assert_true(mk_int(rep->root, "conversation_id") > 0);
    khnet_reply_free(rep);
    /* the other proposal: no withdrawing a proposal (only a request); its mentor declines */
    it_expect_err(khnet_mentorship_withdraw(C.e[1], p1, NULL, &rep), &rep, 409, "conflict", NULL);
    assert_int_equal(khnet_mentorship_decline(C.m[0], p1, "Không kịp", &rep), KHNET_OK);
    it_assert_str(it_get(rep, "status"), "declined");
    khnet_reply_free(rep);

    /* events by cursor: the proposal, then the published round */
    int64_t last = 0;
    assert_int_equal(mk_events(C.e[1], 0, "round.published", "mentoring.proposed", &last), 1);
    assert_int_equal(last, p1);
    assert_int_equal(khnet_events(C.e[2], 0, 0, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1); /* unmatched: the round, no proposal */
    it_assert_str(it_map_get(&items->v.arr.items[0], "kind"), "round.published");
    assert_int_equal(mk_int(it_map_get(&items->v.arr.items[0], "payload"), "id"), C.round);
    khnet_reply_free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open),           cmocka_unit_test(test_join),
        cmocka_unit_test(test_run_and_rules),  cmocka_unit_test(test_rule_refusals),
        cmocka_unit_test(test_too_many_pairs), cmocka_unit_test(test_publish_and_accept),
    };
    return cmocka_run_group_tests_name("it_rounds", tests, setup_cast, teardown_cast);
}
