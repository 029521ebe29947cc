/* data_rights.c — a member's data rights: GET /v1/account/export (all the
 * service holds about me, one SQL document) and DELETE /v1/account
 * (erasure, after re-checking the password with scrypt on the threadpool).
 * What is exported and what erasure removes is decided in SQL
 * (khnet_account_export / khnet_account_erase, migrations/0008). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* An export holds every message the member wrote: far more values than a
 * request may carry, so it is decoded with its own, wider limits. */
static const kp_limits export_limits = {
    .max_depth = 16,
    .max_items = 50000000,
    .max_str = 1u << 20,
    .max_total = (size_t)1 << 30,
};

/* ---- GET /v1/account/export ----------------------------------------------------- */
static void export_done(http_req *r, const PGresult *res)
{
    const char *json = api_col(res, "doc");
    kp_value *v = NULL;
    kp_err e = {0};
    if (!json) {
        http_reply_error(r, 404, "not_found", "no such account", NULL);
    } else if (kp_json_decode(http_req_arena(r), json, strlen(json), &export_limits, &v, &e) != 0) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
    } else {
        kp_w_value(http_req_out(r), v);
        http_req_add_header(r, "Cache-Control", "no-store");
        http_reply(r, 200);
    }
}

static void export_authed(http_req *r, const api_principal *who)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)who->account_id);
    const char *params[1] = {id};
    api_query(r, STMT_ACCOUNT_EXPORT, 1, params, export_done);
}

void api_account_export(http_req *r)
{
    api_authenticate(r, export_authed);
}

/* ---- DELETE /v1/account ------------------------------------------------------------ */
typedef struct erasing {
    char *pw;                   /* the password given, NUL-terminated, arena */
    char stored[AUTH_HASH_MAX]; /* the account's hash */
    char account[24];           /* id as text */
    int ok;                     /* 1 matches, 0 wrong, -1 failure */
} erasing;

static void erase_work(void *data)
{
    erasing *x = data;
    x->ok = auth_password_verify(x->pw, strlen(x->pw), x->stored);
}

static void erase_done(http_req *r, const PGresult *res)
{
    const char *ok = api_col(res, "erased");
    if (ok && !strcmp(ok, "t"))
        http_reply(r, 204);
    else
        http_reply_error(r, 404, "not_found", "no such account", NULL);
}

static void erase_checked(http_req *r, void *data)
{
    erasing *x = data;
    if (x->ok == 0) {
        http_reply_error(r, 403, "forbidden", "the password is wrong", "password");
        return;
    }
    if (x->ok != 1) {
        http_reply_error(r, 500, "internal", "cannot check the password", NULL);
        return;
    }
    const char *params[1] = {x->account};
    api_query(r, STMT_ACCOUNT_ERASE, 1, params, erase_done);
}

static void erase_loaded(http_req *r, const PGresult *res, void *data)
{
    erasing *x = data;
    const char *stored = api_col(res, "password_hash");
    if (!stored || strlen(stored) >= sizeof x->stored) {
        /* erased meanwhile, or imported and never given a password */
        http_reply_error(r, 403, "forbidden", "the password is wrong", "password");
        return;
    }
    memcpy(x->stored, stored, strlen(stored) + 1);
    api_offload(r, erase_work, erase_checked, x);
}

static void erase_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"password", NULL};
    const kp_value *b = http_req_body(r);
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (!b) {
        http_reply_error(r, 400, "missing_field", "the password is required", "password");
        return;
    }
    if (kp_check_fields(b, allowed, &e) ||
        kp_get_str(b, "password", true, 1, 200, &s, &n, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return;
    }
    erasing *x = kp_arena_alloc(http_req_arena(r), sizeof *x);
    if (!x || !(x->pw = kp_arena_strndup(http_req_arena(r), s, n))) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    snprintf(x->account, sizeof x->account, "%lld", (long long)who->account_id);
    const char *params[1] = {x->account};
    api_query_with(r, STMT_ACCOUNT_GET, 1, params, erase_loaded, x);
}

void api_account_erase(http_req *r)
{
    api_authenticate(r, erase_authed);
}
