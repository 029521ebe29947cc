/* moderation.c — blocks between members, message reports into the
 * moderators' queue, resolving reports, and silencing (PROTOCOL.md
 * "Messaging").  Queue and audit rows: migrations/0006_messaging.sql. */
#include <string.h>

#include "chat.h"

enum { REASON_MAX = 1000, SILENCE_MAX_MINUTES = 525600 };

static void block(http_req *r, const api_principal *who, const char *on)
{
    const char *acc = chat_path_id(r, "account_id");
    if (!acc) return;
    const char *p[3] = {chat_me(r, who), acc, on};
    api_query(r, STMT_BLOCK_SET, 3, p, chat_done_empty);
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
    const char *key = NULL, *limit = NULL;
    if (chat_page(r, "after", 20, &key, &limit) != 0) return;
    const char *p[3] = {chat_me(r, who), key, limit};
    api_query(r, STMT_BLOCKS_LIST, 3, p, chat_done);
}

static void report_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"reason", NULL};
    const char *id = chat_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *reason = b ? chat_str(r, b, "reason", REASON_MAX, (size_t)4 * REASON_MAX) : NULL;
    if (!reason) return;
    const char *p[3] = {chat_me(r, who), id, reason};
    api_query(r, STMT_REPORT_MESSAGE, 3, p, chat_done);
}

static void reports_authed(http_req *r, const api_principal *who)
{
    if (!chat_moderator(r, who)) return;
    const char *status = "open", *v = NULL;
    int got = http_req_query_param(r, "status", &v);
    if (got != 0) {
        if (got < 0 || (strcmp(v, "open") != 0 && strcmp(v, "resolved") != 0)) {
            http_reply_error(r, 400, "invalid_value", "status is open or resolved", "status");
            return;
        }
        status = v;
    }
    const char *key = NULL, *limit = NULL;
    if (chat_page(r, "after", 20, &key, &limit) != 0) return;
    const char *p[3] = {status, key, limit};
    api_query(r, STMT_REPORTS_LIST, 3, p, chat_done);
}

static void resolve_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"resolution", NULL};
    if (!chat_moderator(r, who)) return;
    const char *id = chat_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *res = b ? chat_str(r, b, "resolution", REASON_MAX, (size_t)4 * REASON_MAX) : NULL;
    if (!res) return;
    const char *p[3] = {chat_me(r, who), id, res};
    api_query(r, STMT_REPORT_RESOLVE, 3, p, chat_done);
}

static void silence_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"minutes", "reason", NULL};
    if (!chat_moderator(r, who)) return;
    const char *id = chat_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b) return;
    int64_t minutes = 0;
    kp_err e = {0};
    if (kp_get_int(b, "minutes", true, 0, SILENCE_MAX_MINUTES, &minutes, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return;
    }
    const char *reason = chat_str(r, b, "reason", REASON_MAX, (size_t)4 * REASON_MAX);
    if (!reason) return;
    const char *p[5] = {chat_me(r, who), who->role == ROLE_ADMIN ? "admin" : "moderator", id,
                        chat_num(r, minutes), reason};
    api_query(r, STMT_SILENCE, 5, p, chat_done);
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
