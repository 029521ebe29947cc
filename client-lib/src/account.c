/* account.c — typed calls for accounts, profiles and data rights
 * (PROTOCOL.md "Accounts and sessions", "Profiles", "Bulk import"): each
 * builds its path and body and goes through khnet_call, so replies, errors
 * and ownership are those of khnet_call.  khnet_login and khnet_logout
 * also set and clear the context's bearer token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khnet.h"
#include "khnet_int.h"

/* Sends b (freed here) to method path; NOMEM when the body could not be built. */
static khnet_err send_body(khnet_ctx *ctx, const char *method, const char *path, kp_buf *b,
                           khnet_reply **out)
{
    khnet_err rc = b->oom ? KHNET_ERR_NOMEM : khnet_call(ctx, method, path, b->data, b->len, out);
    kp_buf_free(b);
    return rc;
}

static khnet_err credentials(khnet_ctx *ctx, const char *path, const char *email,
                             const char *password, khnet_reply **out)
{
    if (!email || !password) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 2);
    kp_w_cstr(&b, "email");
    kp_w_cstr(&b, email);
    kp_w_cstr(&b, "password");
    kp_w_cstr(&b, password);
    return send_body(ctx, "POST", path, &b, out);
}

khnet_err khnet_register(khnet_ctx *ctx, const char *email, const char *password,
                         khnet_reply **out)
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

khnet_err khnet_me(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/account", NULL, 0, out);
}

khnet_err khnet_profile_get(khnet_ctx *ctx, int64_t id, khnet_reply **out)
{
    char path[48];
    if (id > 0) snprintf(path, sizeof path, "/v1/profiles/%lld", (long long)id);
    else snprintf(path, sizeof path, "/v1/profiles/me");
    return khnet_call(ctx, "GET", path, NULL, 0, out);
}

khnet_err khnet_profile_patch(khnet_ctx *ctx, int64_t id, const char *json_fields,
                              khnet_reply **out)
{
    if (!json_fields) return KHNET_ERR_ARG;
    char path[48];
    if (id > 0) snprintf(path, sizeof path, "/v1/profiles/%lld", (long long)id);
    else snprintf(path, sizeof path, "/v1/profiles/me");
    return khnet_call_json(ctx, "PATCH", path, json_fields, out);
}

khnet_err khnet_export(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/account/export", NULL, 0, out);
}

khnet_err khnet_account_erase(khnet_ctx *ctx, const char *password, khnet_reply **out)
{
    if (!password) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 1);
    kp_w_cstr(&b, "password");
    kp_w_cstr(&b, password);
    khnet_err rc = send_body(ctx, "DELETE", "/v1/account", &b, out);
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
    return send_body(ctx, "POST", "/v1/profiles/import", &b, out);
}

/* Filter values and cursors are short (the server takes at most 40
 * characters); a longer one is refused here rather than cut. */
enum { LIST_VALUE_MAX = 100 };

khnet_err khnet_profiles_list(khnet_ctx *ctx, const khnet_profile_filter *filter,
                              const char *after, int limit, khnet_reply **out)
{
    static const khnet_profile_filter none = {NULL, NULL, NULL, NULL, NULL};
    const khnet_profile_filter *f = filter ? filter : &none;
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
