/* partner.c — typed calls for partner frontends (PROTOCOL.md "Partners",
 * admin only): each builds its path and msgpack body and goes through
 * khnet_call, so replies, errors and ownership are those of khnet_call.
 * Signing up through a partner is khnet_register_partner in account.c. */
#include <stdio.h>

#include "khnet.h"
#include "khnet_int.h"

/* Appends "origins": [n strings]; false (nothing written) when one is NULL. */
static bool write_origins(kp_buf *b, const char *const *origins, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!origins[i]) return false;
    kp_w_cstr(b, "origins");
    kp_w_array(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        kp_w_cstr(b, origins[i]);
    return true;
}

static void partner_path(char *path, size_t cap, int64_t id, const char *tail)
{
    snprintf(path, cap, "/v1/partners/%lld%s", (long long)id, tail);
}

khnet_err khnet_partners_list(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/partners", NULL, 0, out);
}

khnet_err khnet_partner_create(khnet_ctx *ctx, const char *name, const char *const *origins,
                               size_t n, khnet_reply **out)
{
    if (!name || (n && !origins) || n > UINT32_MAX) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 2);
    kp_w_cstr(&b, "name");
    kp_w_cstr(&b, name);
    if (!write_origins(&b, origins, n)) {
        kp_buf_free(&b);
        return KHNET_ERR_ARG;
    }
    return khnet__send_body(ctx, "POST", "/v1/partners", &b, out);
}

khnet_err khnet_partner_update(khnet_ctx *ctx, int64_t partner_id, const char *const *origins,
                               size_t n, int disabled, khnet_reply **out)
{
    if (partner_id < 1 || (!origins && n) || n > UINT32_MAX) return KHNET_ERR_ARG;
    char path[48];
    partner_path(path, sizeof path, partner_id, "");
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, (origins ? 1u : 0u) + (disabled >= 0 ? 1u : 0u));
    if (origins && !write_origins(&b, origins, n)) {
        kp_buf_free(&b);
        return KHNET_ERR_ARG;
    }
    if (disabled >= 0) {
        kp_w_cstr(&b, "disabled");
        kp_w_bool(&b, disabled != 0);
    }
    return khnet__send_body(ctx, "PATCH", path, &b, out);
}

khnet_err khnet_partner_rekey(khnet_ctx *ctx, int64_t partner_id, khnet_reply **out)
{
    if (partner_id < 1) return KHNET_ERR_ARG;
    char path[48];
    partner_path(path, sizeof path, partner_id, "/key");
    return khnet_call(ctx, "POST", path, NULL, 0, out);
}
