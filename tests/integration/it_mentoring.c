/* it_mentoring.c — libkhnet's typed mentoring calls against a real khnetd
 * and PostgreSQL (tests/harness.sh exports KHNET_URL, KHNETD and
 * KHNET_DATABASE_URL): offers and requests, suggestions with their score
 * and explanation part by part, the request flow (request, accept,
 * decline, withdraw, end, feedback) with its events read back by cursor,
 * the capacity rule, pausing, the figures, and each call's refusals:
 * argument checks in the library (KHNET_ERR_ARG, nothing sent), the
 * server's 4xx code and field as libkhnet surfaces them, permissions and
 * not-found.  Every reply is freed with khnet_reply_free, so the ASan build
 * checks the library's ownership.  Rounds are it_rounds.c; the server's
 * rules in depth are tests/interop/mentoring*.py. */
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

/* ---- offers and requests ----------------------------------------------------- */

static void test_offer(void **state)
{
    (void)state;
    int64_t id = 0;
    khnet_ctx *m = mk_person("offer.mentor",
                             "\"years_experience\":20,\"willing_to_mentor\":true,"
                             "\"mentor_capacity\":4,\"mentor_topics\":[\"Marine "
                             "biology\"]",
                             &id);
    khnet_reply *rep = NULL;
    /* prefilled from the profile until saved */
    assert_int_equal(khnet_mentor_offer_get(m, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "mentor_id"), id);
    assert_false(mk_bool(rep->root, "saved"));
    mk_strs(rep->root, "topics", 1, "marine biology");
    assert_int_equal(mk_int(rep->root, "capacity"), 4);
    assert_int_equal(mk_int(rep->root, "active"), 0);
    assert_int_equal(mk_int(rep->root, "remaining"), 4);
    mk_strs(rep->root, "languages", 2, "vi", "en");
    it_assert_str(it_get(rep, "time_zone"), "Asia/Ho_Chi_Minh");
    mk_strs(rep->root, "formats", 2, "video", "chat");
    it_assert_str(it_get(rep, "cadence"), "monthly");
    assert_int_equal(it_get(rep, "note")->type, KP_NIL);
    assert_false(mk_bool(rep->root, "paused"));
    khnet_reply_free(rep);

    const char *topics[] = {"Aquaculture", "shrimp farming"};
    assert_int_equal(khnet_mentor_offer_set(m, 2, topics, 2, -1, &rep), KHNET_OK);
    assert_true(mk_bool(rep->root, "saved"));
    mk_strs(rep->root, "topics", 2, "aquaculture", "shrimp farming");
    assert_int_equal(mk_int(rep->root, "capacity"), 2);
    assert_int_equal(mk_int(rep->root, "remaining"), 2);
    khnet_reply_free(rep);
    /* capacity -1 and topics NULL keep them; the JSON form sets the rest */
    assert_int_equal(khnet_mentor_offer_set_json(m,
                                                 "{\"formats\":[\"video\",\"in_person\"],"
                                                 "\"cadence\":\"weekly\",\"note\":\"Thứ bảy\"}",
                                                 &rep),
                     KHNET_OK);
    mk_strs(rep->root, "formats", 2, "in_person", "video");
    it_assert_str(it_get(rep, "cadence"), "weekly");
    it_assert_str(it_get(rep, "note"), "Thứ bảy");
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentor_offer_set(m, -1, NULL, 0, -1, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "capacity"), 2);
    mk_strs(rep->root, "topics", 2, "aquaculture", "shrimp farming");
    khnet_reply_free(rep);

    /* refusals: the library's, then the server's code and field */
    const char *holes[] = {"ok", NULL};
    assert_int_equal(khnet_mentor_offer_set(m, 1, holes, 2, -1, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_mentor_offer_set(m, 1, NULL, 3, -1, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_mentor_offer_set_json(m, NULL, &rep), KHNET_ERR_ARG);
    it_expect_err(khnet_mentor_offer_set(m, 51, NULL, 0, -1, &rep), &rep, 400, "out_of_range",
                  "capacity");
    it_expect_err(khnet_mentor_offer_set_json(m, "{\"time_zone\":\"Mars/Olympus\"}", &rep), &rep,
                  400, "invalid_value", "time_zone");
    it_expect_err(khnet_mentor_offer_set_json(m, "{\"cadence\":\"hourly\"}", &rep), &rep, 400,
                  "invalid_value", "cadence");
    it_expect_err(khnet_mentor_offer_set_json(m, "{\"colour\":1}", &rep), &rep, 400,
                  "unknown_field", "colour");
    it_expect_err(khnet_mentor_offer_set_json(m, "{\"capacity\":\"two\"}", &rep), &rep, 400,
                  "invalid_type", "capacity");
    khnet_free(m);

    /* no profile: every mentoring call is 404 */
    khnet_ctx *bare = it_account("offer.bare@mentit.example.org", NULL, NULL);
    it_expect_err(khnet_mentor_offer_get(bare, &rep), &rep, 404, "not_found", NULL);
    it_expect_err(khnet_mentee_request_get(bare, &rep), &rep, 404, "not_found", NULL);
    khnet_free(bare);
}

static void test_request(void **state)
{
    (void)state;
    int64_t id = 0;
    khnet_ctx *e = mk_person("request.mentee", MK_MENTEE, &id);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_mentee_request_get(e, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "mentee_id"), id);
    assert_false(mk_bool(rep->root, "saved"));
    it_assert_str(it_get(rep, "goals"), "");
    mk_strs(rep->root, "topics", 1, "aquaculture");
    mk_strs(rep->root, "languages", 2, "vi", "en");
    assert_int_equal(mk_int(rep->root, "max_tz_gap"), 12);
    it_assert_str(it_get(rep, "career_stage"), "early_career");
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentee_request_set_json(e,
                                                   "{\"goals\":\"Shrimp farming\",\"max_tz_gap\":3,"
                                                   "\"career_stage\":\"student\"}",
                                                   &rep),
                     KHNET_OK);
    assert_true(mk_bool(rep->root, "saved"));
    it_assert_str(it_get(rep, "goals"), "Shrimp farming");
    assert_int_equal(mk_int(rep->root, "max_tz_gap"), 3);
    it_assert_str(it_get(rep, "career_stage"), "student");
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentee_request_set_json(e, NULL, &rep), KHNET_ERR_ARG);
    it_expect_err(khnet_mentee_request_set_json(e, "{\"max_tz_gap\":13}", &rep), &rep, 400,
                  "out_of_range", "max_tz_gap");
    it_expect_err(khnet_mentee_request_set_json(e, "{\"career_stage\":\"retired\"}", &rep), &rep,
                  400, "invalid_value", "career_stage");
    it_expect_err(khnet_mentee_request_set_json(e, "{\"languages\":[\"Vietnamese!\"]}", &rep), &rep,
                  400, "invalid_value", "languages.0");
    khnet_free(e);
}

/* ---- suggestions ------------------------------------------------------------- */

/* The best mentor's explanation, part by part (PROTOCOL.md "Scoring"): one
 * topic (25), the goal words shrimp and farming (16), two languages (10), a
 * whole working day in one zone (27), the sector (15), 24 years more
 * experience (21 beyond the minimum, capped 10), 3 free places (6). */
static void check_best(const kp_value *item, int64_t best)
{
    assert_int_equal(mk_int(it_map_get(item, "mentor"), "id"), best);
    const kp_value *offer = it_map_get(it_map_get(item, "mentor"), "offer");
    assert_int_equal(mk_int(offer, "remaining"), 3);
    const kp_value *x = it_map_get(item, "explanation");
    mk_strs(x, "topics", 1, "aquaculture");
    mk_strs(x, "goal_words", 2, "farming", "shrimp");
    mk_strs(x, "languages", 2, "en", "vi");
    assert_true(mk_num(x, "overlap_hours") == 9.0);
    assert_true(mk_num(x, "tz_gap_hours") == 0.0);
    mk_strs(x, "sectors", 1, "aquaculture");
    assert_int_equal(mk_int(x, "experience_gap"), 24);
    assert_int_equal(mk_int(x, "remaining_capacity"), 3);
    const kp_value *p = it_map_get(x, "points");
    static const char *const parts[] = {"eligible", "topics", "goal_words", "languages",
                                        "overlap",  "sector", "experience", "capacity"};
    static const int64_t want[] = {10, 25, 16, 10, 27, 15, 10, 6};
    int64_t sum = 0;
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
        assert_int_equal(mk_int(p, parts[k]), want[k]);
        sum += want[k];
    }
    assert_int_equal(mk_int(item, "score"), sum);
}

static void test_suggest(void **state)
{
    (void)state;
    int64_t best = 0, other = 0, nolang = 0, young = 0;
    khnet_ctx *b = mk_person("suggest.best",
                             MK_MENTOR(25, 3) ",\"sectors\":[\"aquaculture\"],"
                                              "\"expertise\":[\"aquaculture\",\"shrimp farming\"]",
                             &best);
    khnet_ctx *o = mk_person("suggest.other", MK_MENTOR(15, 3), &other);
    khnet_ctx *n = mk_person("suggest.nolang", MK_MENTOR(25, 3) ",\"languages\":[\"fr\"]", &nolang);
    khnet_ctx *y = mk_person("suggest.young", MK_MENTOR(3, 3), &young);
    khnet_ctx *e = mk_person("suggest.mentee", MK_MENTEE ",\"sectors\":[\"aquaculture\"]", NULL);
    khnet_reply *rep = NULL;
    assert_int_equal(
        khnet_mentee_request_set_json(e, "{\"goals\":\"shrimp farming in Khánh Hòa\"}", &rep),
        KHNET_OK);
    khnet_reply_free(rep);

    assert_int_equal(khnet_mentor_suggest(e, 50, &rep), KHNET_OK);
    it_assert_str(it_map_get(it_get(rep, "request"), "goals"), "shrimp farming in Khánh Hòa");
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->type, KP_ARRAY);
    assert_true(items->v.arr.n >= 2);
    check_best(&items->v.arr.items[0], best);
    int rank_other = mk_index_of_mentor(items, other);
    assert_true(rank_other > 0);
    assert_int_equal(mk_index_of_mentor(items, nolang), -1); /* no shared language */
    assert_int_equal(mk_index_of_mentor(items, young), -1);  /* too little experience */
    for (uint32_t i = 1; i < items->v.arr.n; i++)            /* best first */
        assert_true(mk_int(&items->v.arr.items[i - 1], "score") >=
                    mk_int(&items->v.arr.items[i], "score"));
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentor_suggest(e, 1, &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "items")->v.arr.n, 1);
    khnet_reply_free(rep);
    it_expect_err(khnet_mentor_suggest(e, 51, &rep), &rep, 400, "out_of_range", "limit");
    khnet_free(b);
    khnet_free(o);
    khnet_free(n);
    khnet_free(y);
    khnet_free(e);
}

/* ---- the request flow -------------------------------------------------------- */

/* The mentorship in a reply: its id, after checking the fields every view has. */
static int64_t check_mentorship(const khnet_reply *rep, const char *status, int64_t mentor,
                                int64_t mentee)
{
    it_assert_str(it_get(rep, "status"), status);
    assert_int_equal(mk_int(rep->root, "mentor_id"), mentor);
    assert_int_equal(mk_int(rep->root, "mentee_id"), mentee);
    assert_int_equal(it_get(rep, "mentor_name")->type, KP_STR);
    assert_int_equal(it_get(rep, "created_at")->type, KP_STR);
    assert_int_equal(it_get(rep, "round_id")->type, KP_NIL);
    return mk_int(rep->root, "id");
}

/* Asks mentor for e; the new request's id. */
static int64_t ask(khnet_ctx *e, int64_t e_id, int64_t mentor, const char *message)
{
    khnet_reply *rep = NULL;
    khnet_err rc = khnet_mentor_request(e, mentor, message, &rep);
    if (rc != KHNET_OK) it_expect_ok(rc, &rep, 201);
    assert_int_equal(rep->status, 201);
    int64_t id = check_mentorship(rep, "requested", mentor, e_id);
    khnet_reply_free(rep);
    return id;
}

static void test_request_refusals(void **state)
{
    (void)state;
    int64_t m = 0, fr = 0, e_id = 0;
    khnet_ctx *mc = mk_person("refuse.mentor", MK_MENTOR(20, 3), &m);
    khnet_ctx *fc = mk_person("refuse.french", MK_MENTOR(20, 3) ",\"languages\":[\"fr\"]", &fr);
    khnet_ctx *e = mk_person("refuse.mentee", MK_MENTEE, &e_id);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_mentor_request(e, m, "Chào anh", &rep), KHNET_OK);
    assert_int_equal(rep->status, 201);
    check_mentorship(rep, "requested", m, e_id);
    it_assert_str(it_get(rep, "message"), "Chào anh");
    assert_true(mk_int(rep->root, "score") > 0);
    assert_int_equal(mk_int(it_get(rep, "explanation"), "remaining_capacity"), 3);
    assert_false(mk_bool(rep->root, "mentor_accepted"));
    assert_int_equal(it_get(rep, "expires_at")->type, KP_STR);
    assert_int_equal(it_get(rep, "conversation_id")->type, KP_NIL);
    khnet_reply_free(rep);

    it_expect_err(khnet_mentor_request(e, m, NULL, &rep), &rep, 409, "conflict", "mentor_id");
    assert_int_equal(khnet_mentor_request(e, fr, NULL, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 409);
    assert_string_equal(rep->code, "not_eligible");
    mk_strs(it_get(rep, "error"), "reasons", 1, "no_shared_language");
    khnet_reply_free(rep);
    it_expect_err(khnet_mentor_request(e, e_id, NULL, &rep), &rep, 409, "not_eligible",
                  "mentor_id");
    it_expect_err(khnet_mentor_request(e, 99999999, NULL, &rep), &rep, 404, "not_found",
                  "mentor_id");
    char long_msg[2100];
    memset(long_msg, 'a', 2001);
    long_msg[2001] = '\0';
    it_expect_err(khnet_mentor_request(e, fr, long_msg, &rep), &rep, 400, "too_long", "message");
    assert_int_equal(khnet_mentor_request(e, 0, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_mentor_request(e, -5, "x", &rep), KHNET_ERR_ARG);
    khnet_free(mc);
    khnet_free(fc);
    khnet_free(e);
}

static void test_accept_end_feedback(void **state)
{
    (void)state;
    int64_t m = 0, o = 0, e_id = 0;
    khnet_ctx *mc = mk_person("flow.mentor", MK_MENTOR(20, 3), &m);
    khnet_ctx *oc = mk_person("flow.other", MK_MENTOR(20, 3), &o);
    khnet_ctx *e = mk_person("flow.mentee", MK_MENTEE, &e_id);
    khnet_ctx *x = mk_person("flow.stranger", MK_MENTEE, NULL);
    int64_t r1 = ask(e, e_id, m, "Chào anh"), r2 = ask(e, e_id, o, NULL);
    khnet_reply *rep = NULL;

    it_expect_err(khnet_mentorship_accept(e, r1, &rep), &rep, 403, "forbidden", NULL);
    it_expect_err(khnet_mentorship_accept(x, r1, &rep), &rep, 404, "not_found", NULL);
    it_expect_err(khnet_mentorship_accept(mc, 99999999, &rep), &rep, 404, "not_found", NULL);
    assert_int_equal(khnet_mentorship_accept(mc, 0, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_mentorship_accept(mc, r1, &rep), KHNET_OK);
    check_mentorship(rep, "active", m, e_id);
    assert_true(mk_bool(rep->root, "mentor_accepted"));
    assert_true(mk_int(rep->root, "conversation_id") > 0);
    assert_int_equal(it_get(rep, "started_at")->type, KP_STR);
    khnet_reply_free(rep);
    /* the first acceptance wins: the other request was withdrawn */
    it_expect_err(khnet_mentorship_accept(oc, r2, &rep), &rep, 409, "conflict", NULL);

    /* end: the library's checks, the server's, then with a rating */
    assert_int_equal(khnet_mentorship_end(e, r1, NULL, -1, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_mentorship_end(e, r1, NULL, 0, "no rating", &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_mentorship_end(e, 0, NULL, 5, NULL, &rep), KHNET_ERR_ARG);
    it_expect_err(khnet_mentorship_end(e, r1, NULL, 9, NULL, &rep), &rep, 400, "out_of_range",
                  "rating");
    it_expect_err(khnet_mentorship_end(x, r1, NULL, 0, NULL, &rep), &rep, 404, "not_found", NULL);
    assert_int_equal(khnet_mentorship_end(e, r1, "Xong rồi", 5, "Cảm ơn anh", &rep), KHNET_OK);
    check_mentorship(rep, "ended", m, e_id);
    it_assert_str(it_get(rep, "reason"), "Xong rồi");
    assert_int_equal(it_get(rep, "closed_at")->type, KP_STR);
    khnet_reply_free(rep);
    it_expect_err(khnet_mentorship_end(mc, r1, NULL, 0, NULL, &rep), &rep, 409, "conflict", NULL);

    /* feedback after the end: once per side */
    it_expect_err(khnet_mentorship_feedback(e, r1, 4, NULL, &rep), &rep, 409, "conflict", NULL);
    it_expect_err(khnet_mentorship_feedback(mc, r1, 0, NULL, &rep), &rep, 400, "out_of_range",
                  "rating");
    it_expect_err(khnet_mentorship_feedback(oc, r2, 3, NULL, &rep), &rep, 409, "conflict", NULL);
    it_expect_err(khnet_mentorship_feedback(x, r1, 3, NULL, &rep), &rep, 404, "not_found", NULL);
    assert_int_equal(khnet_mentorship_feedback(mc, 0, 3, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_mentorship_feedback(mc, r1, 4, "Chăm chỉ", &rep), KHNET_OK);
    assert_int_equal(rep->status, 201);
    assert_int_equal(mk_int(rep->root, "mentorship_id"), r1);
    assert_int_equal(mk_int(rep->root, "rating"), 4);
    khnet_reply_free(rep);
    it_expect_err(khnet_mentorship_feedback(mc, r1, 4, NULL, &rep), &rep, 409, "conflict", NULL);

    /* what the mentor may see of it: a count below the minimum, no average */
    assert_int_equal(khnet_mentoring_feedback_summary(mc, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "count"), 1);
    assert_int_equal(mk_int(rep->root, "minimum"), 3);
    assert_int_equal(it_get(rep, "average")->type, KP_NIL);
    assert_int_equal(it_get(rep, "ratings")->type, KP_NIL);
    khnet_reply_free(rep);
    it_expect_err(khnet_mentoring_feedback_list(e, NULL, 0, &rep), &rep, 403, "forbidden", NULL);
    khnet_free(mc);
    khnet_free(oc);
    khnet_free(e);
    khnet_free(x);
}

/* decline (the mentor's) and withdraw (the mentee's), each refused to the other side. */
static void test_decline_withdraw(void **state)
{
    (void)state;
    int64_t m = 0, e_id = 0, f_id = 0;
    khnet_ctx *mc = mk_person("close.mentor", MK_MENTOR(20, 3), &m);
    khnet_ctx *e = mk_person("close.mentee", MK_MENTEE, &e_id);
    khnet_ctx *f = mk_person("close.mentee2", MK_MENTEE, &f_id);
    int64_t r1 = ask(e, e_id, m, NULL), r2 = ask(f, f_id, m, NULL);
    khnet_reply *rep = NULL;
    it_expect_err(khnet_mentorship_decline(e, r1, NULL, &rep), &rep, 403, "forbidden", NULL);
    assert_int_equal(khnet_mentorship_decline(mc, 0, NULL, &rep), KHNET_ERR_ARG);
    char long_reason[600];
    memset(long_reason, 'r', 501);
    long_reason[501] = '\0';
    it_expect_err(khnet_mentorship_decline(mc, r1, long_reason, &rep), &rep, 400, "too_long",
                  "reason");
    assert_int_equal(khnet_mentorship_decline(mc, r1, "Hết chỗ", &rep), KHNET_OK);
    check_mentorship(rep, "declined", m, e_id);
    it_assert_str(it_get(rep, "reason"), "Hết chỗ");
    khnet_reply_free(rep);
    it_expect_err(khnet_mentorship_decline(mc, r1, NULL, &rep), &rep, 409, "conflict", NULL);

    it_expect_err(khnet_mentorship_withdraw(mc, r2, NULL, &rep), &rep, 403, "forbidden", NULL);
    assert_int_equal(khnet_mentorship_withdraw(f, -1, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_mentorship_withdraw(f, r2, "Đã có thầy", &rep), KHNET_OK);
    check_mentorship(rep, "withdrawn", m, f_id);
    khnet_reply_free(rep);
    it_expect_err(khnet_mentorship_withdraw(f, r2, NULL, &rep), &rep, 409, "conflict", NULL);
    khnet_free(mc);
    khnet_free(e);
    khnet_free(f);
}

/* Events by cursor, both ways libkhnet reads them: khnet_events pages
 * through GET /v1/events, khnet_stream replays from a seq. */
static void test_events(void **state)
{
    (void)state;
    int64_t m = 0, o = 0, e_id = 0;
    khnet_ctx *mc = mk_person("events.mentor", MK_MENTOR(20, 3), &m);
    khnet_ctx *oc = mk_person("events.other", MK_MENTOR(20, 3), &o);
    khnet_ctx *e = mk_person("events.mentee", MK_MENTEE, &e_id);
    int64_t r1 = ask(e, e_id, m, NULL), r2 = ask(e, e_id, o, NULL);
    khnet_reply *rep = NULL;
    it_expect_ok(khnet_mentorship_accept(mc, r1, &rep), &rep, 200);

    /* the other mentor: requested, then withdrawn, one page at a time */
    assert_int_equal(khnet_events(oc, 0, 1, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    const kp_value *ev = &items->v.arr.items[0];
    it_assert_str(it_map_get(ev, "kind"), "mentoring.requested");
    assert_int_equal(mk_int(it_map_get(ev, "payload"), "id"), r2);
    it_assert_str(it_map_get(it_map_get(ev, "payload"), "status"), "requested");
    assert_int_equal(it_map_get(ev, "at")->type, KP_STR);
    int64_t seq = mk_int(ev, "seq");
    const kp_value *next = it_get(rep, "next");
    assert_int_equal(next->type, KP_STR);
    assert_int_equal(strtoll(next->v.s.ptr, NULL, 10), seq);
    khnet_reply_free(rep);
    assert_int_equal(khnet_events(oc, seq, 0, &rep), KHNET_OK);
    items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    it_assert_str(it_map_get(&items->v.arr.items[0], "kind"), "mentoring.withdrawn");
    assert_int_equal(mk_int(it_map_get(&items->v.arr.items[0], "payload"), "id"), r2);
    assert_int_equal(mk_int(&items->v.arr.items[0], "seq"), seq + 1);
    assert_int_equal(it_get(rep, "next")->type, KP_NIL);
    khnet_reply_free(rep);
    assert_int_equal(khnet_events(oc, -1, 0, &rep), KHNET_ERR_ARG);
    it_expect_err(khnet_events(oc, 0, 501, &rep), &rep, 400, "out_of_range", "limit");

    /* the same from the stream: the mentor's accepted event after its request */
    int64_t last = 0;
    assert_int_equal(mk_events(mc, 0, "mentoring.accepted", "mentoring.requested", &last), 1);
    assert_int_equal(last, r1);
    assert_int_equal(mk_events(oc, seq, "mentoring.withdrawn", "mentoring.withdrawn", &last), 1);
    assert_int_equal(last, r2);
    khnet_free(mc);
    khnet_free(oc);
    khnet_free(e);
}

/* The capacity rule: a mentor with one place accepts one mentee, not two. */
static void test_capacity(void **state)
{
    (void)state;
    int64_t m = 0, a_id = 0, b_id = 0;
    khnet_ctx *mc = mk_person("cap.mentor", MK_MENTOR(20, 1), &m);
    khnet_ctx *a = mk_person("cap.a", MK_MENTEE, &a_id);
    khnet_ctx *b = mk_person("cap.b", MK_MENTEE, &b_id);
    int64_t ra = ask(a, a_id, m, NULL), rb = ask(b, b_id, m, NULL);
    khnet_reply *rep = NULL;
    it_expect_ok(khnet_mentorship_accept(mc, ra, &rep), &rep, 200);
    it_expect_err(khnet_mentorship_accept(mc, rb, &rep), &rep, 409, "capacity_full", NULL);
    assert_int_equal(khnet_mentor_offer_get(mc, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "active"), 1);
    assert_int_equal(mk_int(rep->root, "remaining"), 0);
    khnet_reply_free(rep);
    /* a full mentor is no suggestion and takes no new request */
    assert_int_equal(khnet_mentor_suggest(b, 50, &rep), KHNET_OK);
    assert_int_equal(mk_index_of_mentor(it_get(rep, "items"), m), -1);
    khnet_reply_free(rep);
    khnet_ctx *c = mk_person("cap.c", MK_MENTEE, NULL);
    assert_int_equal(khnet_mentor_request(c, m, NULL, &rep), KHNET_ERR_HTTP);
    assert_string_equal(rep->code, "not_eligible");
    mk_strs(it_get(rep, "error"), "reasons", 1, "no_capacity");
    khnet_reply_free(rep);
    khnet_free(mc);
    khnet_free(a);
    khnet_free(b);
    khnet_free(c);
}

/* Pausing declines the open requests politely and stops new ones. */
static void test_pause(void **state)
{
    (void)state;
    int64_t m = 0, e_id = 0;
    khnet_ctx *mc = mk_person("pause.mentor", MK_MENTOR(20, 2), &m);
    khnet_ctx *e = mk_person("pause.mentee", MK_MENTEE, &e_id);
    int64_t r = ask(e, e_id, m, NULL);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_mentor_offer_set(mc, -1, NULL, 0, 1, &rep), KHNET_OK);
    assert_true(mk_bool(rep->root, "paused"));
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentorships_list(e, "declined", NULL, 0, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    assert_int_equal(mk_int(&items->v.arr.items[0], "id"), r);
    it_assert_str(it_map_get(&items->v.arr.items[0], "reason"),
                  "The mentor is not taking new mentees at the moment. Thank you for asking.");
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentor_request(e, m, NULL, &rep), KHNET_ERR_HTTP);
    assert_string_equal(rep->code, "not_eligible");
    mk_strs(it_get(rep, "error"), "reasons", 1, "paused");
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentor_offer_set(mc, -1, NULL, 0, 0, &rep), KHNET_OK);
    assert_false(mk_bool(rep->root, "paused"));
    khnet_reply_free(rep);
    ask(e, e_id, m, NULL);
    khnet_free(mc);
    khnet_free(e);
}

/* My mentorships, page by page, and the list's refusals. */
static void test_list(void **state)
{
    (void)state;
    int64_t m1 = 0, m2 = 0, e_id = 0;
    khnet_ctx *a = mk_person("list.mentor1", MK_MENTOR(20, 2), &m1);
    khnet_ctx *b = mk_person("list.mentor2", MK_MENTOR(20, 2), &m2);
    khnet_ctx *e = mk_person("list.mentee", MK_MENTEE, &e_id);
    int64_t r1 = ask(e, e_id, m1, NULL), r2 = ask(e, e_id, m2, NULL);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_mentorships_list(e, NULL, NULL, 1, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    assert_int_equal(mk_int(&items->v.arr.items[0], "id"), r2); /* newest first */
    const kp_value *next = it_get(rep, "next");
    assert_int_equal(next->type, KP_STR);
    char cursor[64];
    snprintf(cursor, sizeof cursor, "%.*s", (int)next->v.s.len, next->v.s.ptr);
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentorships_list(e, "requested", cursor, 5, &rep), KHNET_OK);
    items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    assert_int_equal(mk_int(&items->v.arr.items[0], "id"), r1);
    assert_int_equal(it_get(rep, "next")->type, KP_NIL);
    khnet_reply_free(rep);
    assert_int_equal(khnet_mentorships_list(a, "active", NULL, 0, &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "items")->v.arr.n, 0);
    khnet_reply_free(rep);
    it_expect_err(khnet_mentorships_list(e, "sleeping", NULL, 0, &rep), &rep, 400, "invalid_value",
                  "status");
    it_expect_err(khnet_mentorships_list(e, NULL, "not-a-cursor", 0, &rep), &rep, 400,
                  "invalid_value", "after");
    it_expect_err(khnet_mentorships_list(e, NULL, NULL, 1000, &rep), &rep, 400, "out_of_range",
                  "limit");
    char big[200];
    memset(big, '1', 150);
    big[150] = '\0';
    assert_int_equal(khnet_mentorships_list(e, NULL, big, 0, &rep), KHNET_ERR_ARG);
    khnet_free(a);
    khnet_free(b);
    khnet_free(e);
}

/* The officer's reads: the figures and every feedback; members are refused. */
static void test_officer_reads(void **state)
{
    (void)state;
    int64_t m = 0, e_id = 0;
    khnet_ctx *off = mk_officer("reads.officer", NULL);
    khnet_ctx *mc = mk_person("reads.mentor", MK_MENTOR(20, 2), &m);
    khnet_ctx *e = mk_person("reads.mentee", MK_MENTEE ",\"country\":\"VN\"", &e_id);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_mentoring_stats(off, &rep), KHNET_OK);
    int64_t active0 = mk_int(rep->root, "active"), open0 = mk_int(rep->root, "open_requests");
    khnet_reply_free(rep);
    int64_t r = ask(e, e_id, m, NULL);
    assert_int_equal(khnet_mentoring_stats(off, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "open_requests"), open0 + 1);
    khnet_reply_free(rep);
    it_expect_ok(khnet_mentorship_accept(mc, r, &rep), &rep, 200);
    assert_int_equal(khnet_mentoring_stats(off, &rep), KHNET_OK);
    assert_int_equal(mk_int(rep->root, "active"), active0 + 1);
    assert_int_equal(mk_int(rep->root, "open_requests"), open0);
    assert_true(mk_int(rep->root, "mentors_offering") >= 1);
    assert_int_equal(it_get(rep, "unmatched_by_sector")->type, KP_MAP);
    assert_int_equal(it_get(rep, "unmatched_by_country")->type, KP_MAP);
    assert_true(mk_num(rep->root, "avg_hours_to_accept") >= 0.0);
    khnet_reply_free(rep);
    it_expect_err(khnet_mentoring_stats(e, &rep), &rep, 403, "forbidden", NULL);

    it_expect_ok(khnet_mentorship_end(mc, r, NULL, 3, "Tốt", &rep), &rep, 200);
    assert_int_equal(khnet_mentoring_feedback_list(off, NULL, 1, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    const kp_value *f = &items->v.arr.items[0];
    assert_int_equal(mk_int(f, "mentorship_id"), r);
    assert_int_equal(mk_int(f, "author_id"), m);
    it_assert_str(it_map_get(f, "author_side"), "mentor");
    assert_int_equal(mk_int(f, "subject_id"), e_id);
    assert_int_equal(mk_int(f, "rating"), 3);
    it_assert_str(it_map_get(f, "comment"), "Tốt");
    khnet_reply_free(rep);
    it_expect_err(khnet_mentoring_feedback_list(off, "x", 0, &rep), &rep, 400, "invalid_value",
                  "after");
    khnet_free(off);
    khnet_free(mc);
    khnet_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offer),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_request_refusals),
        cmocka_unit_test(test_accept_end_feedback),
        cmocka_unit_test(test_decline_withdraw),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_pause),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_officer_reads),
    };
    return cmocka_run_group_tests_name("it_mentoring", tests, NULL, NULL);
}
