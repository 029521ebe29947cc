/* flow.c — suggestions, a mentee's requests and what follows (accept,
 * decline, withdraw, end with feedback), feedback as officers and mentors
 * read it, and the liaison figures (PROTOCOL.md "Mentoring").  Who is a
 * side of a mentorship, capacity and events are decided in SQL; here:
 * decode → role → one query. */
#include <string.h>

#include "mentoring.h"

static const char *const statuses[] = {"requested", "proposed",  "active",  "ended",
                                       "declined",  "withdrawn", "expired", NULL};

const char *men_opt_str(http_req *r, const kp_value *b, const char *key, uint32_t max_chars,
                        bool *bad)
{
    const char *s = NULL;
    uint32_t n = 0;
    kp_err e = {0};
    int rc = b ? kp_get_str(b, key, false, 1, max_chars, &s, &n, &e) : 0;
    if (rc < 0) {
        api_fail_kperr(r, &e);
        *bad = true;
        return NULL;
    }
    if (rc == 0) return NULL;
    char *out = kp_arena_strndup(http_req_arena(r), s, n);
    if (!out) {
        api_oom(r);
        *bad = true;
    }
    return out;
}

static void suggest_authed(http_req *r, const api_principal *who)
{
    int limit = 0;
    if (api_limit(r, 10, 50, &limit) != 0) return;
    api_dec me = api_dec_of(who->account_id), lim = api_dec_of(limit);
    const char *p[2] = {me.s, lim.s};
    api_query(r, MEN_STMT(SUGGEST), 2, p, api_reply_row);
}

static void ask_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"mentor_id", "message", NULL};
    const kp_value *b = api_body(r, allowed);
    if (!b) return;
    int64_t mentor = 0;
    if (api_int(r, b, "mentor_id", true, 1, INT64_MAX, &mentor) < 0) return;
    bool bad = false;
    const char *message = men_opt_str(r, b, "message", MEN_TEXT_MAX, &bad);
    if (bad) return;
    api_dec me = api_dec_of(who->account_id), m = api_dec_of(mentor);
    const char *p[3] = {me.s, m.s, message};
    api_query(r, MEN_STMT(ASK), 3, p, api_reply_row);
}

static void list_authed(http_req *r, const api_principal *who)
{
    const char *key = NULL, *limit = NULL;
    if (api_page(r, "after", 20, &key, &limit) != 0) return;
    const char *status = NULL;
    int rc = api_query_param(r, "status", &status);
    if (rc < 0) return;
    if (rc == 1 && !api_one_of(status, strlen(status), statuses)) {
        api_fail(r, "invalid_value", "not a mentorship status", "status");
        return;
    }
    api_dec me = api_dec_of(who->account_id);
    const char *p[4] = {me.s, status, key, limit};
    api_query(r, MEN_STMT(LIST), 4, p, api_reply_row);
}

static void accept_authed(http_req *r, const api_principal *who)
{
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[2] = {me.s, id};
    api_query(r, MEN_STMT(ACCEPT), 2, p, api_reply_row);
}

/* decline / withdraw / end: {reason?}, and for end {rating?, comment?}. */
static void close_with(http_req *r, const api_principal *who, const char *action)
{
    static const char *const plain[] = {"reason", NULL};
    static const char *const ending[] = {"reason", "rating", "comment", NULL};
    bool is_end = !strcmp(action, "ended");
    const char *id = api_path_id(r, "id");
    if (!id) return;
    /* No body is allowed (every field is optional).  Asked before
     * api_body, which may reply: r is not to be touched after a reply. */
    bool has_body = http_req_body(r) != NULL;
    const kp_value *b = has_body ? api_body(r, is_end ? ending : plain) : NULL;
    if (has_body && !b) return;
    bool bad = false;
    const char *reason = men_opt_str(r, b, "reason", MEN_REASON_MAX, &bad);
    const char *comment = bad ? NULL : men_opt_str(r, b, "comment", MEN_TEXT_MAX, &bad);
    if (bad) return;
    int64_t rating = 0;
    int has_rating = b ? api_int(r, b, "rating", false, 1, 5, &rating) : 0;
    if (has_rating < 0) return;
    if (comment && !has_rating) {
        api_fail(r, "missing_field", "a comment comes with a rating", "rating");
        return;
    }
    api_dec me = api_dec_of(who->account_id), rt = api_dec_of(rating);
    const char *p[6] = {me.s, id, action, reason, has_rating ? rt.s : NULL, comment};
    api_query(r, MEN_STMT(CLOSE), 6, p, api_reply_row);
}

static void decline_authed(http_req *r, const api_principal *who)
{
    close_with(r, who, "declined");
}
static void withdraw_authed(http_req *r, const api_principal *who)
{
    close_with(r, who, "withdrawn");
}
static void end_authed(http_req *r, const api_principal *who)
{
    close_with(r, who, "ended");
}

static void feedback_add_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"rating", "comment", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b) return;
    int64_t rating = 0;
    if (api_int(r, b, "rating", true, 1, 5, &rating) < 0) return;
    bool bad = false;
    const char *comment = men_opt_str(r, b, "comment", MEN_TEXT_MAX, &bad);
    if (bad) return;
    api_dec me = api_dec_of(who->account_id), rt = api_dec_of(rating);
    const char *p[4] = {me.s, id, rt.s, comment};
    api_query(r, MEN_STMT(FEEDBACK_ADD), 4, p, api_reply_row);
}

static void feedback_list_authed(http_req *r, const api_principal *who)
{
    if (!api_allow(r, who, MEN_OFFICERS, "only liaison officers and admins read feedback")) return;
    const char *key = NULL, *limit = NULL;
    if (api_page(r, "after", 20, &key, &limit) != 0) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[3] = {me.s, key, limit};
    api_query(r, MEN_STMT(FEEDBACK_LIST), 3, p, api_reply_row);
}

static void feedback_summary_authed(http_req *r, const api_principal *who)
{
    api_query_caller(r, who, MEN_STMT(FEEDBACK_SUMMARY), api_reply_row);
}

static void stats_authed(http_req *r, const api_principal *who)
{
    if (!api_allow(r, who, MEN_OFFICERS, "only liaison officers and admins see the figures"))
        return;
    api_query(r, MEN_STMT(STATS), 0, NULL, api_reply_row);
}

void api_men_suggest(http_req *r)
{
    api_authenticate(r, suggest_authed);
}
void api_men_ask(http_req *r)
{
    api_authenticate(r, ask_authed);
}
void api_men_list(http_req *r)
{
    api_authenticate(r, list_authed);
}
void api_men_accept(http_req *r)
{
    api_authenticate(r, accept_authed);
}
void api_men_decline(http_req *r)
{
    api_authenticate(r, decline_authed);
}
void api_men_withdraw(http_req *r)
{
    api_authenticate(r, withdraw_authed);
}
void api_men_end(http_req *r)
{
    api_authenticate(r, end_authed);
}
void api_men_feedback_add(http_req *r)
{
    api_authenticate(r, feedback_add_authed);
}
void api_men_feedback_list(http_req *r)
{
    api_authenticate(r, feedback_list_authed);
}
void api_men_feedback_summary(http_req *r)
{
    api_authenticate(r, feedback_summary_authed);
}
void api_men_stats(http_req *r)
{
    api_authenticate(r, stats_authed);
}
