/* posts.c — one post's life after it is written: the author's edits and
 * deletes (a moderator may delete too), the revision history, and
 * reports into the moderators' queue (PROTOCOL.md "Forums"). */
#include "forum.h"

static void edit_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"markdown", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    forum_text text;
    if (!b || forum_text_read(r, b, &text) != 0) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[7] = {
        me.s, api_role_name(who->role), id, text.markdown, text.html, text.mentions, text.links.s};
    api_query(r, FORUM_STMT(POST_EDIT), 7, p, api_reply_row);
}

static void delete_authed(http_req *r, const api_principal *who)
{
    forum_delete(r, who, FORUM_STMT(POST_DELETE));
}

static void revisions_authed(http_req *r, const api_principal *who)
{
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[3] = {me.s, api_role_name(who->role), id};
    api_query(r, FORUM_STMT(REVISIONS), 3, p, api_reply_row);
}

static void report_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"reason", NULL};
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *reason =
        b ? api_str(r, b, "reason", FORUM_REASON_MAX, (size_t)4 * FORUM_REASON_MAX) : NULL;
    if (!reason) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[4] = {me.s, api_role_name(who->role), id, reason};
    api_query(r, FORUM_STMT(REPORT), 4, p, api_reply_row);
}

void api_forum_post_edit(http_req *r)
{
    api_authenticate(r, edit_authed);
}
void api_forum_post_delete(http_req *r)
{
    api_authenticate(r, delete_authed);
}
void api_forum_revisions(http_req *r)
{
    api_authenticate(r, revisions_authed);
}
void api_forum_report(http_req *r)
{
    api_authenticate(r, report_authed);
}
