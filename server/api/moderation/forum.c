/* forum.c — the forum moderators' endpoints (PROTOCOL.md "Moderation"):
 * lock/pin/move a thread, hide/unhide a post, the report queue (list,
 * assign, resolve in bulk) and the moderation log.  Who moderates which
 * category is SQL's (khnet_forum_is_mod); every act is logged there, in the
 * same transaction as the act. */
#include <stdio.h>
#include <string.h>

#include "moderation.h"

enum { REASON_MAX = 1000, SILENCE_MAX_MINUTES = 525600, RESOLVE_MAX = 100 };

/* Optional string `key` of 1..REASON_MAX characters; NULL when absent,
 * *bad after replying. */
static const char *opt_reason(http_req *r, const kp_value *b, const char *key, bool *bad)
{
    const kp_value *v = kp_map_get(b, key);
    if (!v || v->type == KP_NIL) return NULL;
    const char *s = api_str(r, b, key, REASON_MAX, (size_t)4 * REASON_MAX);
    if (!s) *bad = true;
    return s;
}

/* Query parameter `name` as a positive id (NULL when absent); -1 after
 * replying. */
static int query_id(http_req *r, const char *name, const char **out)
{
    const char *v = NULL;
    int got = api_query_param(r, name, &v);
    *out = NULL;
    if (got <= 0) return got;
    if (!api_chars(v, strlen(v), "0123456789", 1, 18) || v[0] == '0') {
        api_fail(r, "invalid_value", "an id is a positive integer", name);
        return -1;
    }
    *out = v;
    return 0;
}

static void thread_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"locked", "pinned", "category_id", "reason", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b) return;
    bool locked = false, pinned = false, bad = false;
    int64_t cat = 0;
    kp_err e = {0};
    int got_l = kp_get_bool(b, "locked", false, &locked, &e);
    int got_p = got_l < 0 ? -1 : kp_get_bool(b, "pinned", false, &pinned, &e);
    int got_c = got_p < 0 ? -1 : kp_get_int(b, "category_id", false, 1, INT64_MAX, &cat, &e);
    if (got_c < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    if (got_l + got_p + got_c == 0) {
        api_fail(r, "missing_field", "one of locked, pinned, category_id", "body");
        return;
    }
    const char *reason = opt_reason(r, b, "reason", &bad);
    if (bad) return;
    api_dec me = api_dec_of(who->account_id), c = api_dec_of(cat);
    const char *p[7] = {me.s,
                        api_role_name(who->role),
                        id,
                        got_l ? (locked ? "true" : "false") : NULL,
                        got_p ? (pinned ? "true" : "false") : NULL,
                        got_c ? c.s : NULL,
                        reason};
    api_query(r, MOD_STMT(FORUM_THREAD), 7, p, api_reply_row);
}

static void hidden(http_req *r, const api_principal *who, bool hide)
{
    static const char *const allowed[] = {"reason", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b) return;
    bool bad = false;
    const char *reason = hide ? api_str(r, b, "reason", REASON_MAX, (size_t)4 * REASON_MAX)
                              : opt_reason(r, b, "reason", &bad);
    if ((hide && !reason) || bad) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[5] = {me.s, api_role_name(who->role), id, hide ? "true" : "false", reason};
    api_query(r, MOD_STMT(POST_HIDDEN), 5, p, api_reply_row);
}

static void hide_authed(http_req *r, const api_principal *who)
{
    hidden(r, who, true);
}
static void unhide_authed(http_req *r, const api_principal *who)
{
    hidden(r, who, false);
}

static void queue_authed(http_req *r, const api_principal *who)
{
    const char *status = "open", *v = NULL, *cat = NULL, *assignee = NULL;
    int got = api_query_param(r, "status", &v);
    if (got < 0) return;
    if (got > 0) {
        if (strcmp(v, "open") != 0 && strcmp(v, "resolved") != 0) {
            api_fail(r, "invalid_value", "status is open or resolved", "status");
            return;
        }
        status = v;
    }
    got = api_query_param(r, "assignee", &assignee);
    if (got < 0) return;
    if ((got > 0 && strcmp(assignee, "me") != 0 && strcmp(assignee, "none") != 0 &&
         (!api_chars(assignee, strlen(assignee), "0123456789", 1, 18) || assignee[0] == '0'))) {
        api_fail(r, "invalid_value", "assignee is me, none or an id", "assignee");
        return;
    }
    const char *key = NULL, *limit = NULL;
    if (query_id(r, "category_id", &cat) != 0 || api_page(r, "after", 20, &key, &limit) != 0)
        return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[7] = {me.s, api_role_name(who->role), status, cat, got > 0 ? assignee : NULL, key,
                        limit};
    api_query(r, MOD_STMT(QUEUE), 7, p, api_reply_row);
}

static void assign_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"assignee_id", NULL};
    const char *id = api_path_id(r, "id");
    if (!id) return;
    /* No body, or no assignee_id: the caller takes the item. */
    const kp_value *b = http_req_body(r) ? api_body(r, allowed) : NULL;
    if (http_req_body(r) && !b) return;
    api_dec me = api_dec_of(who->account_id), to;
    const char *assignee = me.s;
    const kp_value *v = b ? kp_map_get(b, "assignee_id") : NULL;
    if (v && v->type == KP_NIL) {
        assignee = NULL;
    } else if (v) {
        int64_t a = 0;
        if (api_int(r, b, "assignee_id", true, 1, INT64_MAX, &a) < 0) return;
        to = api_dec_of(a);
        assignee = to.s;
    }
    const char *p[4] = {me.s, api_role_name(who->role), id, assignee};
    api_query(r, MOD_STMT(QUEUE_ASSIGN), 4, p, api_reply_row);
}

/* items: 1..RESOLVE_MAX positive ids, as a text[] literal in the arena. */
static const char *items_literal(http_req *r, const kp_value *b)
{
    const kp_value *arr = NULL;
    kp_err e = {0};
    if (kp_get_array(b, "items", true, RESOLVE_MAX, &arr, &e) < 0) {
        api_fail_kperr(r, &e);
        return NULL;
    }
    if (arr->v.arr.n == 0) {
        api_fail(r, "too_short", "at least one item", "items");
        return NULL;
    }
    char *s = kp_arena_alloc(http_req_arena(r), (size_t)arr->v.arr.n * 20 + 3);
    if (!s) {
        api_oom(r);
        return NULL;
    }
    size_t n = 0;
    s[n++] = '{';
    for (uint32_t i = 0; i < arr->v.arr.n; i++) {
        const kp_value *it = &arr->v.arr.items[i];
        if (it->type != KP_INT || it->v.i < 1) {
            char field[24];
            snprintf(field, sizeof field, "items.%u", i);
            api_fail(r, it->type == KP_INT ? "invalid_value" : "invalid_type",
                     "an item is a queue item id", field);
            return NULL;
        }
        n += (size_t)sprintf(s + n, "%s%lld", i ? "," : "", (long long)it->v.i);
    }
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void resolve_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"items", "action", "reason", "minutes", NULL};
    static const char *const actions[] = {"dismiss", "hide", "silence", NULL};
    const kp_value *b = api_body(r, allowed);
    const char *items = b ? items_literal(r, b) : NULL;
    const char *action = items ? api_str(r, b, "action", 10, 10) : NULL;
    if (!action) return;
    if (!api_one_of(action, strlen(action), actions)) {
        api_fail(r, "invalid_value", "action is dismiss, hide or silence", "action");
        return;
    }
    const char *reason = api_str(r, b, "reason", REASON_MAX, (size_t)4 * REASON_MAX);
    if (!reason) return;
    bool silence = strcmp(action, "silence") == 0;
    int64_t minutes = 0;
    if (api_int(r, b, "minutes", silence, 1, SILENCE_MAX_MINUTES, &minutes) < 0) return;
    if (!silence && kp_map_get(b, "minutes")) {
        api_fail(r, "invalid_value", "minutes go with silence only", "minutes");
        return;
    }
    api_dec me = api_dec_of(who->account_id), mins = api_dec_of(minutes);
    const char *p[6] = {me.s,   api_role_name(who->role), items, action,
                        reason, silence ? mins.s : NULL};
    api_query(r, MOD_STMT(QUEUE_RESOLVE), 6, p, api_reply_row);
}

static void log_authed(http_req *r, const api_principal *who)
{
    static const char *const kinds[] = {"thread",   "post",       "account",
                                        "category", "queue_item", NULL};
    const char *actor = NULL, *cat = NULL, *target = NULL, *action = NULL, *kind = NULL;
    if (query_id(r, "actor_id", &actor) != 0 || query_id(r, "category_id", &cat) != 0 ||
        query_id(r, "target_id", &target) != 0)
        return;
    int got = api_query_param(r, "action", &action);
    if (got < 0) return;
    if ((got > 0 && !api_chars(action, strlen(action), "abcdefghijklmnopqrstuvwxyz_.", 3, 40))) {
        api_fail(r, "invalid_value", "an action such as post.hide", "action");
        return;
    }
    int got_k = api_query_param(r, "target_kind", &kind);
    if (got_k < 0) return;
    if (got_k > 0 && !api_one_of(kind, strlen(kind), kinds)) {
        api_fail(r, "invalid_value", "target_kind is thread, post, account, category or queue_item",
                 "target_kind");
        return;
    }
    const char *key = NULL, *limit = NULL;
    if (api_page(r, "after", 50, &key, &limit) != 0) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[9] = {me.s, api_role_name(who->role), actor,  got > 0 ? action : NULL,
                        cat,  got_k > 0 ? kind : NULL,  target, key,
                        limit};
    api_query(r, MOD_STMT(LOG), 9, p, api_reply_row);
}

void api_mod_thread(http_req *r)
{
    api_authenticate(r, thread_authed);
}
void api_mod_post_hide(http_req *r)
{
    api_authenticate(r, hide_authed);
}
void api_mod_post_unhide(http_req *r)
{
    api_authenticate(r, unhide_authed);
}
void api_mod_queue(http_req *r)
{
    api_authenticate(r, queue_authed);
}
void api_mod_queue_assign(http_req *r)
{
    api_authenticate(r, assign_authed);
}
void api_mod_queue_resolve(http_req *r)
{
    api_authenticate(r, resolve_authed);
}
void api_mod_log(http_req *r)
{
    api_authenticate(r, log_authed);
}
