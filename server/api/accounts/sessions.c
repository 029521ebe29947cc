/* sessions.c — the caller's sessions: list, log out (this one, one by id,
 * all).  Tokens never leave the server after login; only ids do. */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"

static void list_done(http_req *r, const PGresult *res, void *data)
{
    const api_principal *who = data;
    kp_buf *b = http_req_out(r);
    int n = PQntuples(res);
    kp_w_map(b, 1);
    kp_w_cstr(b, "items");
    kp_w_array(b, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        long long id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        kp_w_map(b, 6);
        kp_w_cstr(b, "id");
        kp_w_int(b, id);
        kp_w_cstr(b, "created_at");
        kp_w_cstr(b, PQgetvalue(res, i, 1));
        kp_w_cstr(b, "expires_at");
        kp_w_cstr(b, PQgetvalue(res, i, 2));
        kp_w_cstr(b, "last_seen_at");
        kp_w_cstr(b, PQgetvalue(res, i, 3));
        kp_w_cstr(b, "user_agent");
        if (PQgetisnull(res, i, 4))
            kp_w_nil(b);
        else
            kp_w_cstr(b, PQgetvalue(res, i, 4));
        kp_w_cstr(b, "current");
        kp_w_bool(b, id == who->session_id);
    }
    http_reply(r, 200);
}

static void list_authed(http_req *r, const api_principal *who)
{
    api_dec id = api_dec_of(who->account_id);
    const char *params[1] = {id.s};
    api_query_with(r, ACC_STMT(SESSIONS_LIST), 1, params, list_done, (void *)who);
}

void api_sessions_list(http_req *r)
{
    api_authenticate(r, list_authed);
}

/* ---- revocation ------------------------------------------------------------------ */
static void revoked_any(http_req *r, const PGresult *res)
{
    (void)res;
    http_reply(r, 204);
}

static void revoked_one(http_req *r, const PGresult *res)
{
    const char *n = api_col(res, "n");
    if (n && strcmp(n, "0") != 0)
        http_reply(r, 204);
    else
        api_fail(r, "not_found", "no such session", "id");
}

/* Revokes `session` (NULL: all) of the caller. */
static void revoke_sessions(http_req *r, const api_principal *who, const char *session,
                            api_done done)
{
    api_dec id = api_dec_of(who->account_id);
    const char *params[3] = {id.s, session, NULL};
    api_query(r, ACC_STMT(SESSIONS_REVOKE), 3, params, done);
}

static void logout_authed(http_req *r, const api_principal *who)
{
    api_dec sid = api_dec_of(who->session_id);
    revoke_sessions(r, who, sid.s, revoked_any);
}

static void logout_all_authed(http_req *r, const api_principal *who)
{
    revoke_sessions(r, who, NULL, revoked_any);
}

static void revoke_authed(http_req *r, const api_principal *who)
{
    const char *s = api_path_id(r, "id");
    if (s) revoke_sessions(r, who, s, revoked_one);
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
