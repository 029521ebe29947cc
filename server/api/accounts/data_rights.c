/* data_rights.c — a member's data rights: GET /v1/account/export (all the
 * service holds about me, one SQL document) and DELETE /v1/account
 * (erasure, after re-checking the password with scrypt on the threadpool).
 * What is exported and what erasure removes is decided in SQL
 * (khnet_account_export / khnet_account_erase, migrations/0008). */
#include <string.h>

#include "accounts.h"

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
    bool created;
    const kp_value *doc = api_row_body_lim(r, res, &export_limits, &created);
    if (!doc) return;
    api_write_doc(r, doc, NULL, NULL);
    http_req_add_header(r, "Cache-Control", "no-store");
    http_reply(r, 200);
}

static void export_authed(http_req *r, const api_principal *who)
{
    api_query_caller(r, who, ACC_STMT(ACCOUNT_EXPORT), export_done);
}

void api_account_export(http_req *r)
{
    api_authenticate(r, export_authed);
}

/* ---- DELETE /v1/account ------------------------------------------------------------ */
static void erase_checked(http_req *r, api_pw *pw)
{
    /* unknown: erased meanwhile, or imported and never given a password */
    if (!pw->known || pw->ok == 0) {
        api_fail(r, "forbidden", "the password is wrong", "password");
        return;
    }
    if (pw->ok != 1) {
        api_fail(r, "internal", "cannot check the password", NULL);
        return;
    }
    const char *params[1] = {pw->account};
    api_query(r, ACC_STMT(ACCOUNT_ERASE), 1, params, api_reply_row_empty);
}

static void erase_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"password", NULL};
    const kp_value *b = http_req_body(r);
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (!b) {
        api_fail(r, "missing_field", "the password is required", "password");
        return;
    }
    /* any length: a password set before today's rules must still erase */
    if (kp_check_fields(b, allowed, &e) ||
        kp_get_str(b, "password", true, 1, API_PW_MAX, &s, &n, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    api_pw *pw = api_pw_new(r, NULL);
    if (!pw) return;
    if (!(pw->password = kp_arena_strndup(http_req_arena(r), s, n))) {
        api_oom(r);
        return;
    }
    api_dec id = api_dec_of(who->account_id);
    api_pw_check(r, ACC_STMT(PASSWORD_LOOKUP), id.s, pw, erase_checked);
}

void api_account_erase(http_req *r)
{
    api_authenticate(r, erase_authed);
}
