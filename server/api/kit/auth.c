/* auth.c — who is calling: the bearer-token step (one query), optional
 * authentication for public reads, role names and role checks, and the
 * login/sign-up rate limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kit.h"

static const char *const role_names[API_NROLES] = {"member", "moderator", "liaison", "admin"};

const char *api_role_name(api_role role)
{
    return role_names[role];
}

bool api_role_parse(const char *s, size_t n, api_role *out)
{
    for (int i = 0; s && i < API_NROLES; i++)
        if (strlen(role_names[i]) == n && !memcmp(role_names[i], s, n)) {
            *out = (api_role)i;
            return true;
        }
    return false;
}

bool api_allow(http_req *r, const api_principal *who, unsigned roles, const char *message)
{
    if (roles & API_ROLE_BIT(who->role)) return true;
    api_fail(r, "forbidden", message, NULL);
    return false;
}

void api_viewer(const api_principal *who, api_dec *id, const char **p)
{
    if (!who) {
        p[0] = p[1] = NULL;
        return;
    }
    *id = api_dec_of(who->account_id);
    p[0] = id->s;
    p[1] = api_role_name(who->role);
}

/* ---- bearer tokens -------------------------------------------------------- */
typedef struct authing {
    api_authed next; /* the handler's continuation */
} authing;

void api_unauthenticated(http_req *r, const char *msg)
{
    http_req_add_header(r, "WWW-Authenticate", "Bearer");
    api_fail(r, "unauthenticated", msg, NULL);
}

static void auth_done(http_req *r, const PGresult *res, void *data)
{
    authing *a = data;
    const char *sid = api_col(res, "session_id"), *aid = api_col(res, "account_id");
    const char *role = api_col(res, "role");
    api_principal *who = kp_arena_alloc(http_req_arena(r), sizeof *who);
    if (!who) {
        api_oom(r);
        return;
    }
    if (!sid || !aid || !role || !api_role_parse(role, strlen(role), &who->role)) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return;
    }
    who->session_id = strtoll(sid, NULL, 10);
    who->account_id = strtoll(aid, NULL, 10);
    a->next(r, who);
}

/* The kit's own statement: the session behind a token hash. */
static const db_stmt kit_stmts[] = {
    {"session_auth", "SELECT * FROM khnet_session_auth($1)", 1},
};
const api_domain api_domain_kit = {"kit", NULL, 0, kit_stmts, 1};

void api_authenticate_token(http_req *r, const char *token, size_t len, api_authed next)
{
    uint8_t digest[AUTH_DIGEST_LEN];
    if (auth_token_digest(token, len, digest) != 0) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return;
    }
    authing *a = kp_arena_alloc(http_req_arena(r), sizeof *a);
    char hex[AUTH_DIGEST_HEX];
    if (!a) {
        api_oom(r);
        return;
    }
    a->next = next;
    auth_digest_hex(digest, hex);
    const char *params[1] = {hex};
    api_query_with(r, &kit_stmts[0], 1, params, auth_done, a);
}

int api_bearer_hex(http_req *r, const char **hex)
{
    size_t n = 0;
    const char *h = http_req_header(r, "authorization", &n);
    uint8_t digest[AUTH_DIGEST_LEN];
    *hex = NULL;
    if (!h) return 0;
    if (n < 7 || strncasecmp(h, "Bearer ", 7) != 0 ||
        auth_token_digest(h + 7, n - 7, digest) != 0) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return -1;
    }
    char *out = kp_arena_alloc(http_req_arena(r), AUTH_DIGEST_HEX);
    if (!out) {
        api_oom(r);
        return -1;
    }
    auth_digest_hex(digest, out);
    *hex = out;
    return 0;
}

void api_authenticate(http_req *r, api_authed next)
{
    size_t n = 0;
    const char *h = http_req_header(r, "authorization", &n);
    if (!h) {
        api_unauthenticated(r, "this endpoint needs Authorization: Bearer <token>");
        return;
    }
    if (n < 7 || strncasecmp(h, "Bearer ", 7) != 0) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return;
    }
    api_authenticate_token(r, h + 7, n - 7, next);
}

void api_authenticate_optional(http_req *r, api_authed next)
{
    size_t n = 0;
    if (http_req_header(r, "authorization", &n))
        api_authenticate(r, next);
    else
        next(r, NULL);
}

/* ---- rate limits ------------------------------------------------------------
 * One pair of limiters for the process: a client whose connections land on
 * different workers gets the configured limit, not workers × it. */
int api_rate_limit(http_req *r, const char *email)
{
    api_ctx *ctx = http_req_app(r);
    uint64_t now = uv_hrtime() / 1000000u; /* one clock for all workers */
    char addr[64], key[96];
    if (http_req_peer(r, addr, sizeof addr) != 0) strcpy(addr, "unknown");
    snprintf(key, sizeof key, "a:%s", addr);
    uint32_t wait = auth_rl_take(ctx->rl_addr, key, now);
    if (!wait) wait = auth_rl_take(ctx->rl_email, email, now);
    if (!wait) return 0;
    char secs[16];
    snprintf(secs, sizeof secs, "%u", wait);
    http_req_add_header(r, "Retry-After", secs);
    api_fail(r, "rate_limited", "too many attempts; retry later", NULL);
    return -1;
}
