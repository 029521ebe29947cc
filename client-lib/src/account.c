/* account.c — typed calls for accounts, sessions, passwords, roles,
 * profiles and data rights (PROTOCOL.md "Accounts and sessions",
 * "Profiles", "Bulk import"): each builds its path and body and goes
 * through khnet_call, so replies, errors and ownership are those of
 * khnet_call.  khnet_login sets the context's bearer token; khnet_logout,
 * khnet_logout_all and khnet_account_erase clear it.  Partners are
 * partner.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khnet.h"
#include "khnet_int.h"

/* Shared with partner.c through khnet_int.h. */
khnet_err khnet__send_body(khnet_ctx *ctx, const char *method, const char *path, kp_buf *b,
                           khnet_reply **out)
{
    khnet_err rc = b->oom ? KHNET_ERR_NOMEM : khnet_call(ctx, method, path, b->data, b->len, out);
    kp_buf_free(b);
    return rc;
}

/* Writes {k1: v1[, k2: v2]} (k2 NULL: one pair) into a fresh b. */
static void write_pairs(kp_buf *b, const char *k1, const char *v1, const char *k2, const char *v2)
{
    kp_buf_init(b);
    kp_w_map(b, k2 ? 2 : 1);
    kp_w_cstr(b, k1);
    kp_w_cstr(b, v1);
    if (k2) {
        kp_w_cstr(b, k2);
        kp_w_cstr(b, v2);
    }
}

/* method path with the body of write_pairs; KHNET_ERR_ARG when a value is NULL. */
static khnet_err str_body(khnet_ctx *ctx, const char *method, const char *path, const char *k1,
                          const char *v1, const char *k2, const char *v2, khnet_reply **out)
{
    if (!v1 || (k2 && !v2)) return KHNET_ERR_ARG;
    kp_buf b;
    write_pairs(&b, k1, v1, k2, v2);
    return khnet__send_body(ctx, method, path, &b, out);
}

static khnet_err credentials(khnet_ctx *ctx, const char *path, const char *email,
                             const char *password, khnet_reply **out)
{
    return str_body(ctx, "POST", path, "email", email, "password", password, out);
}

khnet_err khnet_register(khnet_ctx *ctx, const char *email, const char *password, khnet_reply **out)
{
    return credentials(ctx, "/v1/accounts", email, password, out);
}

khnet_err khnet_login(khnet_ctx *ctx, const char *email, const char *password, khnet_reply **out)
{
    khnet_err rc = credentials(ctx, "/v1/sessions", email, password, out);
    if (rc != KHNET_OK) return rc;
    const kp_value *tok = (*out)->root ? kp_map_get((*out)->root, "token") : NULL;
    char buf[128];
    if (!tok || tok->type != KP_STR || tok->v.s.len >= sizeof buf) return KHNET_ERR_PROTOCOL;
    memcpy(buf, tok->v.s.ptr, tok->v.s.len);
    buf[tok->v.s.len] = '\0';
    return khnet_set_token(ctx, buf);
}

khnet_err khnet_logout(khnet_ctx *ctx, khnet_reply **out)
{
    khnet_err rc = khnet_call(ctx, "DELETE", "/v1/sessions/current", NULL, 0, out);
    if (rc == KHNET_OK) khnet_set_token(ctx, NULL);
    return rc;
}

/* The partner key goes into a header line; keys are 43 characters. */
enum { PARTNER_KEY_MAX = 200 };

khnet_err khnet_register_partner(khnet_ctx *ctx, const char *email, const char *password,
                                 const char *partner_key, khnet_reply **out)
{
    if (!email || !password || !partner_key || strlen(partner_key) > PARTNER_KEY_MAX)
        return KHNET_ERR_ARG;
    char line[PARTNER_KEY_MAX + 32];
    snprintf(line, sizeof line, "X-Partner-Key: %s", partner_key);
    const char *headers[] = {line, NULL};
    kp_buf b;
    write_pairs(&b, "email", email, "password", password);
    khnet_request req = KHNET_REQUEST_INIT;
    req.method = "POST";
    req.path = "/v1/accounts";
    req.body = b.data;
    req.body_len = b.len;
    req.headers = headers;
    khnet_err rc = b.oom ? KHNET_ERR_NOMEM : khnet_call_ex(ctx, &req, out);
    kp_buf_free(&b);
    return rc;
}

khnet_err khnet_sessions_list(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/sessions", NULL, 0, out);
}

khnet_err khnet_session_revoke(khnet_ctx *ctx, int64_t session_id, khnet_reply **out)
{
    if (session_id < 1) return KHNET_ERR_ARG;
    char path[48];
    snprintf(path, sizeof path, "/v1/sessions/%lld", (long long)session_id);
    return khnet_call(ctx, "DELETE", path, NULL, 0, out);
}

khnet_err khnet_logout_all(khnet_ctx *ctx, khnet_reply **out)
{
    khnet_err rc = khnet_call(ctx, "DELETE", "/v1/sessions", NULL, 0, out);
    if (rc == KHNET_OK) khnet_set_token(ctx, NULL);
    return rc;
}

khnet_err khnet_password_change(khnet_ctx *ctx, const char *current_password,
                                const char *new_password, khnet_reply **out)
{
    return str_body(ctx, "POST", "/v1/account/password", "current_password", current_password,
                    "new_password", new_password, out);
}

khnet_err khnet_password_reset_request(khnet_ctx *ctx, const char *email, khnet_reply **out)
{
    return str_body(ctx, "POST", "/v1/password-resets", "email", email, NULL, NULL, out);
}

khnet_err khnet_password_reset_confirm(khnet_ctx *ctx, const char *reset_token,
                                       const char *new_password, khnet_reply **out)
{
    return str_body(ctx, "POST", "/v1/password-resets/confirm", "token", reset_token,
                    "new_password", new_password, out);
}

khnet_err khnet_role_set(khnet_ctx *ctx, int64_t account_id, const char *role, khnet_reply **out)
{
    if (account_id < 1) return KHNET_ERR_ARG;
    char path[64];
    snprintf(path, sizeof path, "/v1/accounts/%lld/role", (long long)account_id);
    return str_body(ctx, "PUT", path, "role", role, NULL, NULL, out);
}

khnet_err khnet_me(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/account", NULL, 0, out);
}

khnet_err khnet_profile_get(khnet_ctx *ctx, int64_t id, khnet_reply **out)
{
    char path[48];
    if (id > 0)
        snprintf(path, sizeof path, "/v1/profiles/%lld", (long long)id);
    else
        snprintf(path, sizeof path, "/v1/profiles/me");
    return khnet_call(ctx, "GET", path, NULL, 0, out);
}

khnet_err khnet_profile_create(khnet_ctx *ctx, const char *json_fields, khnet_reply **out)
{
    if (!json_fields) return KHNET_ERR_ARG;
    return khnet_call_json(ctx, "POST", "/v1/profiles", json_fields, out);
}

khnet_err khnet_profile_patch(khnet_ctx *ctx, int64_t id, const char *json_fields,
                              khnet_reply **out)
{
    if (!json_fields) return KHNET_ERR_ARG;
    char path[48];
    if (id > 0)
        snprintf(path, sizeof path, "/v1/profiles/%lld", (long long)id);
    else
        snprintf(path, sizeof path, "/v1/profiles/me");
    return khnet_call_json(ctx, "PATCH", path, json_fields, out);
}

khnet_err khnet_export(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/account/export", NULL, 0, out);
}

khnet_err khnet_account_erase(khnet_ctx *ctx, const char *password, khnet_reply **out)
{
    khnet_err rc = str_body(ctx, "DELETE", "/v1/account", "password", password, NULL, NULL, out);
    if (rc == KHNET_OK) khnet_set_token(ctx, NULL);
    return rc;
}

khnet_err khnet_profiles_import(khnet_ctx *ctx, const char *format, const char *data, size_t len,
                                khnet_reply **out)
{
    if (!format || (!data && len) || len > UINT32_MAX) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 2);
    kp_w_cstr(&b, "format");
    kp_w_cstr(&b, format);
    kp_w_cstr(&b, "data");
    kp_w_str(&b, data ? data : "", len);
    return khnet__send_body(ctx, "POST", "/v1/profiles/import", &b, out);
}

/* Filter values and cursors are short (the server takes at most 40
 * characters); a longer one is refused here rather than cut. */
enum { LIST_VALUE_MAX = 100 };

khnet_err khnet_profiles_list(khnet_ctx *ctx, const khnet_profile_filter *filter, const char *after,
                              int limit, khnet_reply **out)
{
    khnet_profile_filter copy = KHNET_PROFILE_FILTER_INIT;
    const khnet_profile_filter *f = &copy;
    char why[KHNET__ERRSTR_MAX];
    if (!ctx) return KHNET_ERR_ARG;
    if (filter &&
        khnet__abi_in(&copy, sizeof copy, filter, "khnet_profile_filter", why, sizeof why) < 0)
        return khnet__set_err(ctx, KHNET_ERR_ARG, "%s", why);
    const char *names[] = {"sector", "country", "degree", "language", "mentoring", "after"};
    const char *values[] = {f->sector, f->country, f->degree, f->language, f->mentoring, after};
    char path[2048] = "/v1/profiles", lim[16];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (values[i] && strlen(values[i]) > LIST_VALUE_MAX) return KHNET_ERR_ARG;
        khnet__add_param(path, sizeof path, names[i], values[i]);
    }
    snprintf(lim, sizeof lim, "%d", limit);
    khnet__add_param(path, sizeof path, "limit", limit > 0 ? lim : NULL);
    return khnet_call(ctx, "GET", path, NULL, 0, out);
}
