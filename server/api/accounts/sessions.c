/* sessions.c — the caller's sessions: list, log out (this one, one by id,
 * all).  Tokens never leave the server after login; only ids do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

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
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)who->account_id);
    const char *params[1] = {id};
    api_query_with(r, STMT_SESSIONS_LIST, 1, params, list_done, (void *)who);
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
        http_reply_error(r, 404, "not_found", "no such session", "id");
}

/* Revokes `session` (NULL: all) of the caller. */
static void revoke_sessions(http_req *r, const api_principal *who, const char *session,
                            api_done done)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)who->account_id);
    const char *params[3] = {id, session, NULL};
    api_query(r, STMT_SESSIONS_REVOKE, 3, params, done);
}

static void logout_authed(http_req *r, const api_principal *who)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)who->session_id);
    revoke_sessions(r, who, sid, revoked_any);
}

static void logout_all_authed(http_req *r, const api_principal *who)
{
    revoke_sessions(r, who, NULL, revoked_any);
}

static void revoke_authed(http_req *r, const api_principal *who)
{
    const char *s = http_req_param(r, "id");
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s)) {
        http_reply_error(r, 400, "invalid_value", "id must be a positive integer", "id");
        return;
    }
    revoke_sessions(r, who, s, revoked_one);
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
