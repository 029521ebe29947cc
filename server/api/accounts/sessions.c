/* sessions.c — the caller's sessions: list, log out (this one, one by id,
 * all).  Tokens never leave the server after login; only ids do. */
#include "accounts.h"

static void list_authed(http_req *r, const api_principal *who)
{
    api_dec id = api_dec_of(who->account_id), current = api_dec_of(who->session_id);
    const char *params[2] = {id.s, current.s};
    api_query(r, ACC_STMT(SESSIONS_LIST), 2, params, api_reply_row);
}

void api_sessions_list(http_req *r)
{
    api_authenticate(r, list_authed);
}

/* ---- revocation ------------------------------------------------------------------ */
/* Revokes `session` (NULL: all) of the caller; `strict`: 404 when no such
 * session was live (by id), else 204 whatever was left (logging out). */
static void revoke_sessions(http_req *r, const api_principal *who, const char *session, bool strict)
{
    api_dec id = api_dec_of(who->account_id);
    const char *params[3] = {id.s, session, strict ? "true" : "false"};
    api_query(r, ACC_STMT(SESSIONS_REVOKE), 3, params, api_reply_row_empty);
}

static void logout_authed(http_req *r, const api_principal *who)
{
    api_dec sid = api_dec_of(who->session_id);
    revoke_sessions(r, who, sid.s, false);
}

static void logout_all_authed(http_req *r, const api_principal *who)
{
    revoke_sessions(r, who, NULL, false);
}

static void revoke_authed(http_req *r, const api_principal *who)
{
    const char *s = api_path_id(r, "id");
    if (s) revoke_sessions(r, who, s, true);
}

void api_logout(http_req *r)
{
    api_authenticate(r, logout_authed);
}
void api_logout_all(http_req *r)
{
    api_authenticate(r, logout_all_authed);
}
void api_session_revoke(http_req *r)
{
    api_authenticate(r, revoke_authed);
}
