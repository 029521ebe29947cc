/* threads.c — a category's threads, starting a thread, a thread and its
 * posts, replying, deleting a whole thread (PROTOCOL.md "Forums").
 * Reading is open to anonymous callers; who sees what (hidden posts and
 * threads) is SQL's.  Starting a thread and replying take an
 * Idempotency-Key ("Retrying a post"). */
#include <stdio.h>
#include <string.h>

#include "forum.h"
#include "forum/forum.h"

/* A page of what belongs to the path's {id} (a category's threads, a
 * thread's posts): stmt's parameters are the viewer's two, the id, the
 * `after` key and the limit. */
static void id_page(http_req *r, const api_principal *who, const db_stmt *stmt)
{
    const char *id = api_path_id(r, "id");
    const char *key = NULL, *limit = NULL;
    if (!id || api_page(r, "after", 20, &key, &limit) != 0) return;
    api_dec me;
    const char *p[5];
    api_viewer(who, &me, p);
    p[2] = id;
    p[3] = key;
    p[4] = limit;
    api_query(r, stmt, 5, p, api_reply_row);
}

static void list_authed(http_req *r, const api_principal *who)
{
    id_page(r, who, FORUM_STMT(THREADS_LIST));
}

/* tags: an optional list of at most FORUM_TAGS_MAX strings, each checked
 * and trimmed (server/forum), as a JSON array in the arena ("[]" when
 * absent).  NULL after replying. */
static const char *tags_json(http_req *r, const kp_value *b)
{
    const kp_value *arr = NULL;
    kp_err e = {0};
    if (kp_get_array(b, "tags", false, FORUM_TAGS_MAX, &arr, &e) < 0) {
        api_fail_kperr(r, &e);
        return NULL;
    }
    if (!arr) return "[]";
    kp_value *items = kp_arena_alloc(http_req_arena(r), sizeof(kp_value) * (arr->v.arr.n + 1));
    if (!items) {
        api_oom(r);
        return NULL;
    }
    for (uint32_t i = 0; i < arr->v.arr.n; i++) {
        const kp_value *t = &arr->v.arr.items[i];
        char field[16];
        snprintf(field, sizeof field, "tags.%u", i);
        if (t->type != KP_STR) {
            api_fail(r, "invalid_type", "a tag is a string", field);
            return NULL;
        }
        const char *s = t->v.s.ptr;
        size_t n = t->v.s.len;
        if (forum_tag_check(&s, &n) != 0) {
            api_fail(r, "invalid_value",
                     "a tag is 1-40 characters, no control characters or commas", field);
            return NULL;
        }
        items[i] = (kp_value){.type = KP_STR, .v.s = {s, (uint32_t)n}};
    }
    kp_value list = {.type = KP_ARRAY, .v.arr = {items, arr->v.arr.n}};
    return forum_json(r, &list);
}

/* The answer of a post written behind an Idempotency-Key (PROTOCOL.md
 * "Retrying a post"): 422 on a mismatch, Idempotent-Replay on a replay,
 * then as every forum write. */
static void idem_reply_row(http_req *r, const PGresult *res)
{
    if (api_idem_check(r, api_col(res, "idem")) != 0) return;
    forum_reply_row(r, res);
}

static void create_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"title", "markdown", "tags", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *title =
        b ? api_str(r, b, "title", FORUM_TITLE_MAX, (size_t)4 * FORUM_TITLE_MAX) : NULL;
    const char *tags = title ? tags_json(r, b) : NULL;
    forum_text text;
    api_idem idem;
    if (!tags || forum_text_read(r, b, &text) != 0 ||
        api_idem_begin(r, who->account_id, &idem) != 0)
        return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[12] = {idem.params[0],
                         idem.params[1],
                         idem.params[2],
                         me.s,
                         api_role_name(who->role),
                         id,
                         title,
                         tags,
                         text.markdown,
                         text.html,
                         text.mentions,
                         text.links.s};
    api_query(r, FORUM_STMT(THREAD_CREATE), 12, p, idem_reply_row);
}

static void get_authed(http_req *r, const api_principal *who)
{
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me;
    const char *p[3];
    api_viewer(who, &me, p);
    p[2] = id;
    api_query(r, FORUM_STMT(THREAD_GET), 3, p, api_reply_row);
}

static void reply_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"markdown", "reply_to", "quote_of", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b) return;
    bool bad = false;
    const char *reply_to = forum_opt_id(r, b, "reply_to", &bad);
    const char *quote_of = bad ? NULL : forum_opt_id(r, b, "quote_of", &bad);
    forum_text text;
    api_idem idem;
    if (bad || forum_text_read(r, b, &text) != 0 || api_idem_begin(r, who->account_id, &idem) != 0)
        return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[12] = {idem.params[0],
                         idem.params[1],
                         idem.params[2],
                         me.s,
                         api_role_name(who->role),
                         id,
                         text.markdown,
                         text.html,
                         reply_to,
                         quote_of,
                         text.mentions,
                         text.links.s};
    api_query(r, FORUM_STMT(REPLY), 12, p, idem_reply_row);
}

void api_forum_threads_list(http_req *r)
{
    api_authenticate_optional(r, list_authed);
}
void api_forum_thread_create(http_req *r)
{
    api_authenticate(r, create_authed);
}
static void delete_authed(http_req *r, const api_principal *who)
{
    forum_delete(r, who, FORUM_STMT(THREAD_DELETE));
}

void api_forum_thread_get(http_req *r)
{
    api_authenticate_optional(r, get_authed);
}
void api_forum_thread_delete(http_req *r)
{
    api_authenticate(r, delete_authed);
}
/* The thread page, the forum's hottest read: one statement checks the
 * token and reads the page (khnet_forum_posts_by_token), one round trip
 * where api_authenticate_optional's session check and the read took two.
 * A malformed Authorization is 401 before the path and query are read, as
 * there; an unknown, expired or revoked token is the statement's 401. */
void api_forum_posts_list(http_req *r)
{
    const char *token = NULL, *key = NULL, *limit = NULL;
    if (api_bearer_hex(r, &token) != 0) return;
    const char *id = api_path_id(r, "id");
    if (!id || api_page(r, "after", 20, &key, &limit) != 0) return;
    const char *p[4] = {token, id, key, limit};
    api_query(r, FORUM_STMT(POSTS_BY_TOKEN), 4, p, api_reply_row);
}
void api_forum_reply(http_req *r)
{
    api_authenticate(r, reply_authed);
}
