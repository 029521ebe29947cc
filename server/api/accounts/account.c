/* account.c — the caller's own account (GET /v1/account, password change)
 * and role changes by admins.  Each starts with api_authenticate. */
#include "accounts.h"

/* ---- GET /v1/account --------------------------------------------------------- */
static void me_authed(http_req *r, const api_principal *who)
{
    api_query_caller(r, who, ACC_STMT(ACCOUNT_GET), api_reply_row);
}

void api_me(http_req *r)
{
    api_authenticate(r, me_authed);
}

/* ---- POST /v1/account/password ----------------------------------------------- */
static void pw_checked(http_req *r, api_pw *pw)
{
    const api_principal *who = pw->data;
    if (!pw->known) {
        api_fail(r, "not_found", "no such account", NULL);
        return;
    }
    if (pw->ok == 0) {
        api_fail(r, "forbidden", "the current password is wrong", "current_password");
        return;
    }
    if (pw->ok != 1) {
        api_fail(r, "internal", "cannot hash the password", NULL);
        return;
    }
    api_dec session = api_dec_of(who->session_id);
    const char *params[3] = {pw->account, pw->hash, session.s};
    api_query(r, ACC_STMT(PASSWORD_SET), 3, params, api_reply_row_empty);
}

static void pw_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"current_password", "new_password", NULL};
    const kp_value *b = api_body(r, allowed);
    api_pw *pw = b ? api_pw_new(r, (void *)who) : NULL;
    if (!pw || !(pw->password = api_password(r, b, "current_password")) ||
        !(pw->new_password = api_password(r, b, "new_password")))
        return;
    api_dec id = api_dec_of(who->account_id);
    api_pw_check(r, ACC_STMT(PASSWORD_LOOKUP), id.s, pw, pw_checked);
}

void api_password_change(http_req *r)
{
    api_authenticate(r, pw_authed);
}

/* ---- PUT /v1/accounts/{id}/role ------------------------------------------------ */
static void role_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"role", NULL};
    if (!api_allow(r, who, API_ROLE_BIT(ROLE_ADMIN), "only an admin changes roles")) return;
    const kp_value *b = api_body(r, allowed);
    const char *s;
    uint32_t n;
    kp_err e = {0};
    api_role role;
    if (!b) return;
    if (kp_get_str(b, "role", true, 1, 16, &s, &n, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    if (!api_role_parse(s, n, &role)) {
        api_fail(r, "invalid_value", "role must be member, moderator, liaison or admin", "role");
        return;
    }
    const char *target = api_path_id(r, "id");
    if (!target) return;
    api_dec actor = api_dec_of(who->account_id);
    const char *params[3] = {actor.s, target, api_role_name(role)};
    api_query(r, ACC_STMT(ROLE_SET), 3, params, api_reply_row);
}

void api_role_set(http_req *r)
{
    api_authenticate(r, role_authed);
}
