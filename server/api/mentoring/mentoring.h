/* mentoring.h — the mentoring domain, inside: offers and requests
 * (offers.c), suggestions, the request flow, feedback and the liaison
 * figures (flow.c), and programme rounds (rounds.c, which runs the exact
 * optimiser of server/match/).  Its one export is api_domain_mentoring
 * (domain.c).  Rules, scores and events live in the SQL functions of the
 * repeatable mentoring file; every one answers (status, field, body). */
#ifndef KHNET_API_MENTORING_H
#define KHNET_API_MENTORING_H

#include "api/kit/kit.h"

enum mentoring_stmt {
    MEN_OFFER_GET,
    MEN_OFFER_PUT,
    MEN_REQUEST_GET,
    MEN_REQUEST_PUT,
    MEN_SUGGEST,
    MEN_ASK,
    MEN_LIST,
    MEN_ACCEPT,
    MEN_CLOSE,
    MEN_FEEDBACK_ADD,
    MEN_FEEDBACK_LIST,
    MEN_FEEDBACK_SUMMARY,
    MEN_STATS,
    MEN_ROUND_OPEN,
    MEN_ROUND_GET,
    MEN_ROUND_JOIN,
    MEN_ROUND_PROBLEM,
    MEN_ROUND_STORE,
    MEN_ROUND_RULE,
    MEN_ROUND_PUBLISH,
    MEN_EXPIRE, /* the sweep of api/sweep.c, not a route's */
    MEN_NSTMTS
};
extern const db_stmt mentoring_stmts[MEN_NSTMTS];
#define MEN_STMT(id) (&mentoring_stmts[MEN_##id])

/* Liaison officers and admins: who runs rounds and reads feedback. */
#define MEN_OFFICERS (API_ROLE_BIT(ROLE_LIAISON) | API_ROLE_BIT(ROLE_ADMIN))

/* Limits of PROTOCOL.md "Mentoring" (characters). */
enum { MEN_REASON_MAX = 500, MEN_TEXT_MAX = 2000 };

/* An optional string field of at most max_chars, NUL-terminated in the
 * arena, NULL when absent or nil (*bad set and replied 400 on a bad one). */
const char *men_opt_str(http_req *r, const kp_value *b, const char *key, uint32_t max_chars,
                        bool *bad);

void api_men_offer_get(http_req *r); /* offers.c */
void api_men_offer_put(http_req *r);
void api_men_request_get(http_req *r);
void api_men_request_put(http_req *r);
void api_men_suggest(http_req *r); /* flow.c */
void api_men_ask(http_req *r);
void api_men_list(http_req *r);
void api_men_accept(http_req *r);
void api_men_decline(http_req *r);
void api_men_withdraw(http_req *r);
void api_men_end(http_req *r);
void api_men_feedback_add(http_req *r);
void api_men_feedback_list(http_req *r);
void api_men_feedback_summary(http_req *r);
void api_men_stats(http_req *r);
void api_men_round_open(http_req *r); /* rounds.c */
void api_men_round_get(http_req *r);
void api_men_round_join(http_req *r);
void api_men_round_run(http_req *r);
void api_men_round_rule(http_req *r);
void api_men_round_publish(http_req *r);

#endif
