/* mentoring.c — typed calls for mentoring (PROTOCOL.md "Mentoring"): my
 * offer and request, suggestions, the request flow, the figures, and
 * programme rounds.  Each builds its path and msgpack body and goes
 * through khnet_call, so replies, errors and ownership are khnet_call's.
 * Values are checked by the server; here only what cannot be sent (a NULL
 * required string, an id < 1) is refused with KHNET_ERR_ARG. */
#include <stdio.h>
#include <string.h>

#include "khnet.h"
#include "khnet_int.h"

static void mpath(char *path, size_t cap, const char *base, int64_t id, const char *tail)
{
    snprintf(path, cap, "%s/%lld%s", base, (long long)id, tail);
}

/* Writes "key": [n strings]; false (nothing usable) when one is NULL. */
static bool write_list(kp_buf *b, const char *key, const char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!items[i]) return false;
    kp_w_cstr(b, key);
    kp_w_array(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        kp_w_cstr(b, items[i]);
    return true;
}

/* POST path {ik: iv, sk: sv}, without sk when sv is NULL. */
static khnet_err post_int_str(khnet_ctx *ctx, const char *path, const char *ik, int64_t iv,
                              const char *sk, const char *sv, khnet_reply **out)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, sv ? 2 : 1);
    kp_w_cstr(&b, ik);
    kp_w_int(&b, iv);
    if (sv) {
        kp_w_cstr(&b, sk);
        kp_w_cstr(&b, sv);
    }
    return khnet__send_body(ctx, "POST", path, &b, out);
}

khnet_err khnet_mentor_offer_get(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/mentoring/offer", NULL, 0, out);
}

khnet_err khnet_mentor_offer_set(khnet_ctx *ctx, int capacity, const char *const *topics,
                                 size_t n_topics, int paused, khnet_reply **out)
{
    if ((n_topics && !topics) || n_topics > UINT32_MAX) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, (capacity >= 0) + (topics != NULL) + (paused >= 0));
    if (capacity >= 0) {
        kp_w_cstr(&b, "capacity");
        kp_w_int(&b, capacity);
    }
    if (topics && !write_list(&b, "topics", topics, n_topics)) {
        kp_buf_free(&b);
        return KHNET_ERR_ARG;
    }
    if (paused >= 0) {
        kp_w_cstr(&b, "paused");
        kp_w_bool(&b, paused > 0);
    }
    return khnet__send_body(ctx, "PUT", "/v1/mentoring/offer", &b, out);
}

khnet_err khnet_mentor_offer_set_json(khnet_ctx *ctx, const char *fields_json, khnet_reply **out)
{
    if (!fields_json) return KHNET_ERR_ARG;
    return khnet_call_json(ctx, "PUT", "/v1/mentoring/offer", fields_json, out);
}

khnet_err khnet_mentee_request_get(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/mentoring/request", NULL, 0, out);
}

khnet_err khnet_mentee_request_set_json(khnet_ctx *ctx, const char *fields_json, khnet_reply **out)
{
    if (!fields_json) return KHNET_ERR_ARG;
    return khnet_call_json(ctx, "PUT", "/v1/mentoring/request", fields_json, out);
}

khnet_err khnet_mentor_suggest(khnet_ctx *ctx, int limit, khnet_reply **out)
{
    char path[64] = "/v1/mentoring/suggestions", lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    khnet__add_param(path, sizeof path, "limit", limit > 0 ? lim : NULL);
    return khnet_call(ctx, "GET", path, NULL, 0, out);
}

khnet_err khnet_mentor_request(khnet_ctx *ctx, int64_t mentor_id, const char *message,
                               khnet_reply **out)
{
    if (mentor_id < 1) return KHNET_ERR_ARG;
    return post_int_str(ctx, "/v1/mentoring/mentorships", "mentor_id", mentor_id, "message",
                        message, out);
}

khnet_err khnet_mentorships_list(khnet_ctx *ctx, const char *status, const char *after, int limit,
                                 khnet_reply **out)
{
    char path[512] = "/v1/mentoring/mentorships";
    if ((after && strlen(after) > 128) || (status && strlen(status) > 32)) return KHNET_ERR_ARG;
    khnet__add_param(path, sizeof path, "status", status);
    return khnet__get_paged(ctx, path, sizeof path, after, limit, out);
}

khnet_err khnet_mentorship_accept(khnet_ctx *ctx, int64_t id, khnet_reply **out)
{
    char path[80];
    if (id < 1) return KHNET_ERR_ARG;
    mpath(path, sizeof path, "/v1/mentoring/mentorships", id, "/accept");
    return khnet_call(ctx, "POST", path, NULL, 0, out);
}

/* decline / withdraw / end: {reason?, rating? (1-5, end only), comment?}. */
static khnet_err close_call(khnet_ctx *ctx, int64_t id, const char *verb, const char *reason,
                            int rating, const char *comment, khnet_reply **out)
{
    char path[80];
    if (id < 1) return KHNET_ERR_ARG;
    mpath(path, sizeof path, "/v1/mentoring/mentorships", id, verb);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, (reason != NULL) + (rating > 0) + (comment != NULL));
    if (reason) {
        kp_w_cstr(&b, "reason");
        kp_w_cstr(&b, reason);
    }
    if (rating > 0) {
        kp_w_cstr(&b, "rating");
        kp_w_int(&b, rating);
    }
    if (comment) {
        kp_w_cstr(&b, "comment");
        kp_w_cstr(&b, comment);
    }
    return khnet__send_body(ctx, "POST", path, &b, out);
}

khnet_err khnet_mentorship_decline(khnet_ctx *ctx, int64_t id, const char *reason,
                                   khnet_reply **out)
{
    return close_call(ctx, id, "/decline", reason, 0, NULL, out);
}

khnet_err khnet_mentorship_withdraw(khnet_ctx *ctx, int64_t id, const char *reason,
                                    khnet_reply **out)
{
    return close_call(ctx, id, "/withdraw", reason, 0, NULL, out);
}

khnet_err khnet_mentorship_end(khnet_ctx *ctx, int64_t id, const char *reason, int rating,
                               const char *comment, khnet_reply **out)
{
    if (rating < 0 || (comment && rating == 0)) return KHNET_ERR_ARG;
    return close_call(ctx, id, "/end", reason, rating, comment, out);
}

khnet_err khnet_mentorship_feedback(khnet_ctx *ctx, int64_t id, int rating, const char *comment,
                                    khnet_reply **out)
{
    char path[80];
    if (id < 1) return KHNET_ERR_ARG;
    mpath(path, sizeof path, "/v1/mentoring/mentorships", id, "/feedback");
    return post_int_str(ctx, path, "rating", rating, "comment", comment, out);
}

khnet_err khnet_mentoring_feedback_list(khnet_ctx *ctx, const char *after, int limit,
                                        khnet_reply **out)
{
    char path[512] = "/v1/mentoring/feedback";
    if (after && strlen(after) > 128) return KHNET_ERR_ARG;
    return khnet__get_paged(ctx, path, sizeof path, after, limit, out);
}

khnet_err khnet_mentoring_feedback_summary(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/mentoring/feedback/summary", NULL, 0, out);
}

khnet_err khnet_mentoring_stats(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/mentoring/stats", NULL, 0, out);
}

/* ---- rounds ------------------------------------------------------------------ */

khnet_err khnet_round_open(khnet_ctx *ctx, const char *name, const char *deadline,
                           const char *sector, khnet_reply **out)
{
    if (!name || !deadline) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, sector ? 3 : 2);
    kp_w_cstr(&b, "name");
    kp_w_cstr(&b, name);
    kp_w_cstr(&b, "deadline");
    kp_w_cstr(&b, deadline);
    if (sector) {
        kp_w_cstr(&b, "sector");
        kp_w_cstr(&b, sector);
    }
    return khnet__send_body(ctx, "POST", "/v1/mentoring/rounds", &b, out);
}

khnet_err khnet_round_get(khnet_ctx *ctx, int64_t id, khnet_reply **out)
{
    char path[64];
    if (id < 1) return KHNET_ERR_ARG;
    mpath(path, sizeof path, "/v1/mentoring/rounds", id, "");
    return khnet_call(ctx, "GET", path, NULL, 0, out);
}

khnet_err khnet_round_join(khnet_ctx *ctx, int64_t id, const char *side, int capacity,
                           khnet_reply **out)
{
    char path[80];
    if (id < 1 || !side) return KHNET_ERR_ARG;
    mpath(path, sizeof path, "/v1/mentoring/rounds", id, "/join");
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, capacity > 0 ? 2 : 1);
    kp_w_cstr(&b, "side");
    kp_w_cstr(&b, side);
    if (capacity > 0) {
        kp_w_cstr(&b, "capacity");
        kp_w_int(&b, capacity);
    }
    return khnet__send_body(ctx, "POST", path, &b, out);
}

static khnet_err round_post(khnet_ctx *ctx, int64_t id, const char *tail, khnet_reply **out)
{
    char path[80];
    if (id < 1) return KHNET_ERR_ARG;
    mpath(path, sizeof path, "/v1/mentoring/rounds", id, tail);
    return khnet_call(ctx, "POST", path, NULL, 0, out);
}

khnet_err khnet_round_run(khnet_ctx *ctx, int64_t id, khnet_reply **out)
{
    return round_post(ctx, id, "/run", out);
}

khnet_err khnet_round_publish(khnet_ctx *ctx, int64_t id, khnet_reply **out)
{
    return round_post(ctx, id, "/publish", out);
}

khnet_err khnet_round_rule(khnet_ctx *ctx, int64_t id, int64_t mentee_id, int64_t mentor_id,
                           const char *rule, khnet_reply **out)
{
    char path[80];
    if (id < 1 || mentee_id < 1 || mentor_id < 1 || !rule) return KHNET_ERR_ARG;
    mpath(path, sizeof path, "/v1/mentoring/rounds", id, "/rules");
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 3);
    kp_w_cstr(&b, "mentee_id");
    kp_w_int(&b, mentee_id);
    kp_w_cstr(&b, "mentor_id");
    kp_w_int(&b, mentor_id);
    kp_w_cstr(&b, "rule");
    kp_w_cstr(&b, rule);
    return khnet__send_body(ctx, "PUT", path, &b, out);
}
