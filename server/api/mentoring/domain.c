/* domain.c — the mentoring domain's routes and statements (functions in
 * migrations/repeatable/90_mentoring.sql; each answers (status, field,
 * body)). */
#include "mentoring.h"

static const http_route routes[] = {
    {"GET", "/v1/mentoring/offer", api_men_offer_get},
    {"PUT", "/v1/mentoring/offer", api_men_offer_put},
    {"GET", "/v1/mentoring/request", api_men_request_get},
    {"PUT", "/v1/mentoring/request", api_men_request_put},
    {"GET", "/v1/mentoring/suggestions", api_men_suggest},
    {"POST", "/v1/mentoring/mentorships", api_men_ask},
    {"GET", "/v1/mentoring/mentorships", api_men_list},
    {"POST", "/v1/mentoring/mentorships/{id}/accept", api_men_accept},
    {"POST", "/v1/mentoring/mentorships/{id}/decline", api_men_decline},
    {"POST", "/v1/mentoring/mentorships/{id}/withdraw", api_men_withdraw},
    {"POST", "/v1/mentoring/mentorships/{id}/end", api_men_end},
    {"POST", "/v1/mentoring/mentorships/{id}/feedback", api_men_feedback_add},
    {"GET", "/v1/mentoring/feedback/summary", api_men_feedback_summary},
    {"GET", "/v1/mentoring/feedback", api_men_feedback_list},
    {"GET", "/v1/mentoring/stats", api_men_stats},
    {"POST", "/v1/mentoring/rounds", api_men_round_open},
    {"GET", "/v1/mentoring/rounds/{id}", api_men_round_get},
    {"POST", "/v1/mentoring/rounds/{id}/join", api_men_round_join},
    {"POST", "/v1/mentoring/rounds/{id}/run", api_men_round_run},
    {"PUT", "/v1/mentoring/rounds/{id}/rules", api_men_round_rule},
    {"POST", "/v1/mentoring/rounds/{id}/publish", api_men_round_publish},
};

#define ROW "SELECT status, field, body::text AS body FROM "

const db_stmt mentoring_stmts[MEN_NSTMTS] = {
    [MEN_OFFER_GET] = {"men_offer_get", ROW "khnet_mentor_offer_get($1::bigint)", 1},
    [MEN_OFFER_PUT] = {"men_offer_put", ROW "khnet_mentor_offer_put($1::bigint, $2::jsonb)", 2},
    [MEN_REQUEST_GET] = {"men_request_get", ROW "khnet_mentee_request_get($1::bigint)", 1},
    [MEN_REQUEST_PUT] = {"men_request_put", ROW "khnet_mentee_request_put($1::bigint, $2::jsonb)",
                         2},
    [MEN_SUGGEST] = {"men_suggest", ROW "khnet_mentoring_suggest($1::bigint, $2::int)", 2},
    [MEN_ASK] = {"men_ask", ROW "khnet_mentoring_request($1::bigint, $2::bigint, $3::text)", 3},
    [MEN_LIST] = {"men_list",
                  ROW "khnet_mentorships_list($1::bigint, $2::text, $3::bigint, $4::int)", 4},
    [MEN_ACCEPT] = {"men_accept", ROW "khnet_mentoring_accept($1::bigint, $2::bigint)", 2},
    [MEN_CLOSE] = {"men_close",
                   ROW "khnet_mentoring_close($1::bigint, $2::bigint, $3::text, $4::text, "
                       "$5::int, $6::text)",
                   6},
    [MEN_FEEDBACK_ADD] = {"men_feedback_add",
                          ROW "khnet_mentoring_feedback_add($1::bigint, $2::bigint, $3::int, "
                              "$4::text)",
                          4},
    [MEN_FEEDBACK_LIST] = {"men_feedback_list",
                           ROW "khnet_mentoring_feedback_list($1::bigint, $2::bigint, $3::int)", 3},
    [MEN_FEEDBACK_SUMMARY] = {"men_feedback_summary",
                              ROW "khnet_mentoring_feedback_summary($1::bigint)", 1},
    [MEN_STATS] = {"men_stats", ROW "khnet_mentoring_stats()", 0},
    [MEN_ROUND_OPEN] = {"men_round_open",
                        ROW "khnet_round_open($1::bigint, $2::text, $3::timestamptz, $4::text)", 4},
    [MEN_ROUND_GET] = {"men_round_get", ROW "khnet_round_get($1::bigint, $2::boolean, $3::bigint)",
                       3},
    [MEN_ROUND_JOIN] = {"men_round_join",
                        ROW "khnet_round_join($1::bigint, $2::bigint, $3::text, $4::int)", 4},
    [MEN_ROUND_PROBLEM] = {"men_round_problem", ROW "khnet_round_problem($1::bigint)", 1},
    [MEN_ROUND_STORE] = {"men_round_store",
                         ROW "khnet_round_store($1::bigint, $2::bigint, $3::int, $4::bigint[], "
                             "$5::bigint[], $6::int[], $7::bigint[], $8::bigint, $9::bigint)",
                         9},
    [MEN_ROUND_RULE] = {"men_round_rule",
                        ROW "khnet_round_rule($1::bigint, $2::bigint, $3::bigint, $4::bigint, "
                            "$5::text)",
                        5},
    [MEN_ROUND_PUBLISH] = {"men_round_publish", ROW "khnet_round_publish($1::bigint, $2::bigint)",
                           2},
    /* a timer's statement: not a profile writer (khnet_background_tx) */
    [MEN_EXPIRE] = {"men_expire", "SELECT khnet_mentoring_expire() FROM khnet_background_tx()", 0},
};

const api_domain api_domain_mentoring = API_DOMAIN("mentoring", routes, mentoring_stmts);
