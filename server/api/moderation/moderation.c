/* moderation.c — blocks between members, message reports into the
 * moderators' queue, resolving reports, and silencing (PROTOCOL.md
 * "Messaging").  Queue and audit rows: migrations/0006_messaging.sql. */
#include <string.h>

#include "moderation.h"

enum { REASON_MAX = 1000, SILENCE_MAX_MINUTES = 525600 };

static bool may_moderate(http_req *r, const api_principal *who)
{
    return api_allow(r, who, API_ROLE_BIT(ROLE_MODERATOR) | API_ROLE_BIT(ROLE_ADMIN),
                     "moderators and admins only");
}

static void block(http_req *r, const api_principal *who, const char *on)
{
    api_dec me = api_dec_of(who->account_id);
    const char *acc = api_path_id(r, "account_id");
    if (!acc) return;
    const char *p[3] = {me.s, acc, on};
    api_query(r, MOD_STMT(BLOCK_SET), 3, p, api_reply_row_empty);
}

static void block_authed(http_req *r, const api_principal *who)
{
    block(r, who, "true");
}
static void unblock_authed(http_req *r, const api_principal *who)
{
    block(r, who, "false");
}

static void blocks_authed(http_req *r, const api_principal *who)
{
    api_dec me = api_dec_of(who->account_id);
    const char *key = NULL, *limit = NULL;
    if (api_page(r, "after", 20, &key, &limit) != 0) return;
    const char *p[3] = {me.s, key, limit};
    api_query(r, MOD_STMT(BLOCKS_LIST), 3, p, api_reply_row);
}

/* (me, the path id, the body's one text field `key`) to `stmt`: a report's
 * reason, a resolution. */
static void id_and_text(http_req *r, const api_principal *who, const char *key, const db_stmt *stmt)
{
    const char *const allowed[] = {key, NULL};
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *text = b ? api_str(r, b, key, REASON_MAX, (size_t)4 * REASON_MAX) : NULL;
    if (!text) return;
    const char *p[3] = {me.s, id, text};
    api_query(r, stmt, 3, p, api_reply_row);
}

static void report_authed(http_req *r, const api_principal *who)
{
    id_and_text(r, who, "reason", MOD_STMT(REPORT_MESSAGE));
}

static void reports_authed(http_req *r, const api_principal *who)
{
    if (!may_moderate(r, who)) return;
    const char *status = "open", *v = NULL;
    int got = api_query_param(r, "status", &v);
    if (got < 0) return;
    if (got) {
        if (strcmp(v, "open") != 0 && strcmp(v, "resolved") != 0) {
            api_fail(r, "invalid_value", "status is open or resolved", "status");
            return;
        }
        status = v;
    }
    const char *key = NULL, *limit = NULL;
    if (api_page(r, "after", 20, &key, &limit) != 0) return;
    const char *p[3] = {status, key, limit};
    api_query(r, MOD_STMT(REPORTS_LIST), 3, p, api_reply_row);
}

static void resolve_authed(http_req *r, const api_principal *who)
{
    if (may_moderate(r, who)) id_and_text(r, who, "resolution", MOD_STMT(REPORT_RESOLVE));
}

static void silence_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"minutes", "reason", NULL};
    api_dec me = api_dec_of(who->account_id);
    if (!may_moderate(r, who)) return;
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b) return;
    int64_t minutes = 0;
    if (api_int(r, b, "minutes", true, 0, SILENCE_MAX_MINUTES, &minutes) < 0) return;
    const char *reason = api_str(r, b, "reason", REASON_MAX, (size_t)4 * REASON_MAX);
    if (!reason) return;
    api_dec mins = api_dec_of(minutes);
    const char *p[5] = {me.s, api_role_name(who->role), id, mins.s, reason};
    api_query(r, MOD_STMT(SILENCE), 5, p, api_reply_row);
}

void api_block(http_req *r)
{
    api_authenticate(r, block_authed);
}
void api_unblock(http_req *r)
{
    api_authenticate(r, unblock_authed);
}
void api_blocks_list(http_req *r)
{
    api_authenticate(r, blocks_authed);
}
void api_report_message(http_req *r)
{
    api_authenticate(r, report_authed);
}
void api_reports_list(http_req *r)
{
    api_authenticate(r, reports_authed);
}
void api_report_resolve(http_req *r)
{
    api_authenticate(r, resolve_authed);
}
void api_silence(http_req *r)
{
    api_authenticate(r, silence_authed);
}
