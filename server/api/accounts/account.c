/* account.c — the caller's own account (GET /v1/account, password change)
 * and role changes by admins.  Each starts with api_authenticate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

enum { PW_MIN = 10, PW_MAX = 200 };

/* The account as {id, email, role, <extra>: the column of that name}; 404
 * (naming `field_404`) when the statement found none. */
static void reply_account(http_req *r, const PGresult *res, const char *field_404,
                          const char *extra)
{
    const char *id = api_col(res, "id");
    if (!id) {
        http_reply_error(r, 404, "not_found", "no such account", field_404);
        return;
    }
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 4);
    kp_w_cstr(b, "id");
    kp_w_int(b, strtoll(id, NULL, 10));
    kp_w_cstr(b, "email");
    kp_w_cstr(b, api_col(res, "email"));
    kp_w_cstr(b, "role");
    kp_w_cstr(b, api_col(res, "role"));
    kp_w_cstr(b, extra);
    kp_w_cstr(b, api_col(res, extra));
    http_reply(r, 200);
}

/* ---- GET /v1/account --------------------------------------------------------- */
static void me_done(http_req *r, const PGresult *res)
{
    reply_account(r, res, NULL, "created_at"); /* none: erased between the two queries */
}

static void me_authed(http_req *r, const api_principal *who)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)who->account_id);
    const char *params[1] = {id};
    api_query(r, STMT_ACCOUNT_GET, 1, params, me_done);
}

void api_me(http_req *r)
{
    api_authenticate(r, me_authed);
}

/* ---- POST /v1/account/password ----------------------------------------------- */
typedef struct pwchange {
    char *cur, *next;              /* passwords, NUL-terminated, arena */
    char stored[AUTH_HASH_MAX];    /* current hash */
    char hash[AUTH_HASH_MAX];      /* new hash */
    auth_scrypt prm;               /* for the new hash */
    char account[24], session[24]; /* ids as text */
    int ok;                        /* 1 verified and hashed, 0 wrong, -1 failure */
} pwchange;

static void pw_work(void *data)
{
    pwchange *p = data;
    p->ok = auth_password_verify(p->cur, strlen(p->cur), p->stored);
    if (p->ok == 1 && auth_password_hash(p->next, strlen(p->next), &p->prm, p->hash) != 0)
        p->ok = -1;
}

static void pw_set(http_req *r, const PGresult *res)
{
    const char *n = api_col(res, "n");
    if (n && strcmp(n, "1") == 0)
        http_reply(r, 204);
    else
        http_reply_error(r, 404, "not_found", "no such account", NULL);
}

static void pw_checked(http_req *r, void *data)
{
    pwchange *p = data;
    if (p->ok == 0) {
        http_reply_error(r, 403, "forbidden", "the current password is wrong", "current_password");
        return;
    }
    if (p->ok != 1) {
        http_reply_error(r, 500, "internal", "cannot hash the password", NULL);
        return;
    }
    const char *params[3] = {p->account, p->hash, p->session};
    api_query(r, STMT_PASSWORD_SET, 3, params, pw_set);
}

static void pw_loaded(http_req *r, const PGresult *res, void *data)
{
    pwchange *p = data;
    const char *stored = api_col(res, "password_hash");
    if (!stored || strlen(stored) >= sizeof p->stored) {
        http_reply_error(r, 404, "not_found", "no such account", NULL);
        return;
    }
    memcpy(p->stored, stored, strlen(stored) + 1);
    api_offload(r, pw_work, pw_checked, p);
}

static char *password_field(http_req *r, const kp_value *b, const char *key)
{
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (kp_get_str(b, key, true, PW_MIN, PW_MAX, &s, &n, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return NULL;
    }
    return kp_arena_strndup(http_req_arena(r), s, n);
}

static void pw_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"current_password", "new_password", NULL};
    const kp_value *b = api_body(r, allowed);
    if (!b) return;
    pwchange *p = kp_arena_alloc(http_req_arena(r), sizeof *p);
    if (!p) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    memset(p, 0, sizeof *p);
    if (!(p->cur = password_field(r, b, "current_password"))) return;
    if (!(p->next = password_field(r, b, "new_password"))) return;
    p->prm = ((api_ctx *)http_req_app(r))->scrypt;
    snprintf(p->account, sizeof p->account, "%lld", (long long)who->account_id);
    snprintf(p->session, sizeof p->session, "%lld", (long long)who->session_id);
    const char *params[1] = {p->account};
    api_query_with(r, STMT_ACCOUNT_GET, 1, params, pw_loaded, p);
}

void api_password_change(http_req *r)
{
    api_authenticate(r, pw_authed);
}

/* ---- PUT /v1/accounts/{id}/role ------------------------------------------------ */
static void role_done(http_req *r, const PGresult *res)
{
    reply_account(r, res, "id", "previous_role");
}

/* A positive decimal id from a path parameter, or 0. */
static long long path_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s)) return 0;
    return strtoll(s, NULL, 10);
}

static void role_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"role", NULL};
    static const char *const roles[] = {"member", "moderator", "liaison", "admin"};
    if (who->role != ROLE_ADMIN) {
        http_reply_error(r, 403, "forbidden", "only an admin changes roles", NULL);
        return;
    }
    const kp_value *b = api_body(r, allowed);
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (!b) return;
    if (kp_get_str(b, "role", true, 1, 16, &s, &n, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return;
    }
    const char *role = NULL;
    for (int i = 0; i < 4; i++)
        if (strlen(roles[i]) == n && !memcmp(roles[i], s, n)) role = roles[i];
    if (!role) {
        http_reply_error(r, 400, "invalid_value",
                         "role must be member, moderator, liaison or admin", "role");
        return;
    }
    long long target = path_id(http_req_param(r, "id"));
    if (!target) {
        http_reply_error(r, 400, "invalid_value", "id must be a positive integer", "id");
        return;
    }
    char actor[24], tid[24];
    snprintf(actor, sizeof actor, "%lld", (long long)who->account_id);
    snprintf(tid, sizeof tid, "%lld", target);
    const char *params[3] = {actor, tid, role};
    api_query(r, STMT_ROLE_SET, 3, params, role_done);
}

void api_role_set(http_req *r)
{
    api_authenticate(r, role_authed);
}
