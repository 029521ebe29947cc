/* marks.c — what a member marks for themselves: read state, watched
 * threads, "helpful" reactions, and their @handle (PROTOCOL.md "Forums"). */
#include <string.h>

#include "forum.h"
#include "forum/forum.h"

enum { SEQ_MAX = 2147483647 };

static void read_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"up_to_seq", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b) return;
    int64_t seq = 0;
    if (api_int(r, b, "up_to_seq", true, 1, SEQ_MAX, &seq) < 0) return;
    api_dec me = api_dec_of(who->account_id), up_to = api_dec_of(seq);
    const char *p[4] = {me.s, api_role_name(who->role), id, up_to.s};
    api_query(r, FORUM_STMT(THREAD_READ), 4, p, api_reply_row);
}

/* PUT / DELETE on a thread's watch or a post's reaction: 4 parameters
 * (caller, id, on), statement `stmt`. */
static void toggle(http_req *r, const api_principal *who, const db_stmt *stmt, const char *on,
                   api_done done)
{
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[4] = {me.s, api_role_name(who->role), id, on};
    api_query(r, stmt, 4, p, done);
}

static void watch_authed(http_req *r, const api_principal *who)
{
    toggle(r, who, FORUM_STMT(WATCH), "true", api_reply_row_empty);
}
static void unwatch_authed(http_req *r, const api_principal *who)
{
    toggle(r, who, FORUM_STMT(WATCH), "false", api_reply_row_empty);
}
static void helpful_authed(http_req *r, const api_principal *who)
{
    toggle(r, who, FORUM_STMT(HELPFUL), "true", api_reply_row);
}
static void unhelpful_authed(http_req *r, const api_principal *who)
{
    toggle(r, who, FORUM_STMT(HELPFUL), "false", api_reply_row);
}

static void handle_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"handle", NULL};
    const kp_value *b = api_body(r, allowed);
    const char *h = b ? api_str(r, b, "handle", FORUM_HANDLE_MAX, FORUM_HANDLE_MAX) : NULL;
    if (!h) return;
    if (!forum_handle_valid(h, strlen(h))) {
        api_fail(r, "invalid_value", "a handle is [a-z][a-z0-9_]{2,29}", "handle");
        return;
    }
    api_dec me = api_dec_of(who->account_id);
    const char *p[2] = {me.s, h};
    api_query(r, FORUM_STMT(HANDLE_SET), 2, p, api_reply_row);
}

void api_forum_thread_read(http_req *r)
{
    api_authenticate(r, read_authed);
}
void api_forum_watch(http_req *r)
{
    api_authenticate(r, watch_authed);
}
void api_forum_unwatch(http_req *r)
{
    api_authenticate(r, unwatch_authed);
}
void api_forum_helpful(http_req *r)
{
    api_authenticate(r, helpful_authed);
}
void api_forum_unhelpful(http_req *r)
{
    api_authenticate(r, unhelpful_authed);
}
void api_forum_handle_set(http_req *r)
{
    api_authenticate(r, handle_authed);
}
