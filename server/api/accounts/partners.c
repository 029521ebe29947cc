/* partners.c — partner frontends (admin only: register, list, change
 * origins or disable, rotate the key).  Each write's function also answers
 * the enabled partners' origins after the change, which this worker's CORS
 * cache (server/cors/) installs at once; the others reload within one
 * refresh period. */
#include <stdio.h>
#include <string.h>

#include "accounts.h"

enum { PARTNER_NAME_MAX = 200, PARTNER_ORIGINS_MAX = 20 };

/* ---- requests ------------------------------------------------------------------ */
static bool admin_only(http_req *r, const api_principal *who)
{
    return api_allow(r, who, API_ROLE_BIT(ROLE_ADMIN), "only an admin manages partners");
}

/* `origins` as a PostgreSQL array literal in the arena ("{}" when empty),
 * each origin normalised; 0 when absent and optional, 1 when set, -1 after
 * replying 400. */
static int read_origins(http_req *r, const kp_value *b, bool required, const char **out)
{
    const kp_value *arr;
    kp_err e = {0};
    int rc = kp_get_array(b, "origins", required, PARTNER_ORIGINS_MAX, &arr, &e);
    if (rc <= 0) {
        if (rc < 0) api_fail_kperr(r, &e);
        return rc;
    }
    uint32_t n = arr->v.arr.n;
    char *lit = kp_arena_alloc(http_req_arena(r), n * (AUTH_ORIGIN_MAX + 3) + 3);
    char(*seen)[AUTH_ORIGIN_MAX + 1] = kp_arena_alloc(http_req_arena(r), (n + 1) * sizeof *seen);
    if (!lit || !seen) {
        api_oom(r);
        return -1;
    }
    size_t o = 0;
    lit[o++] = '{';
    for (uint32_t i = 0; i < n; i++) {
        const kp_value *v = &arr->v.arr.items[i];
        char field[32];
        snprintf(field, sizeof field, "origins.%u", i);
        if (v->type != KP_STR) {
            api_fail(r, "invalid_type", "an origin is a string", field);
            return -1;
        }
        if (!auth_origin_normalize(v->v.s.ptr, v->v.s.len, seen[i])) {
            api_fail(r, "invalid_value",
                     "an origin is scheme://host[:port] with scheme http or https and no path",
                     field);
            return -1;
        }
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(seen[j], seen[i])) {
                api_fail(r, "invalid_value", "origin listed twice", field);
                return -1;
            }
        o += (size_t)sprintf(lit + o, "%s\"%s\"", i ? "," : "", seen[i]);
    }
    lit[o++] = '}';
    lit[o] = '\0';
    *out = lit;
    return 1;
}

/* ---- GET /v1/partners ---------------------------------------------------------- */
static void list_authed(http_req *r, const api_principal *who)
{
    if (admin_only(r, who)) api_query(r, ACC_STMT(PARTNERS_LIST), 0, NULL, api_reply_row);
}

void api_partners_list(http_req *r)
{
    api_authenticate(r, list_authed);
}

/* ---- the writes -------------------------------------------------------------------- */
typedef struct pchange {
    char key[AUTH_TOKEN_LEN + 1]; /* the new key, shown once; "" when none */
} pchange;

/* The partner the function answers, with its `cors` (the origins after the
 * write) installed in this worker's cache instead of shown, and the new key
 * (once) added. */
static void write_done(http_req *r, const PGresult *res, void *data)
{
    const pchange *w = data;
    bool created;
    const kp_value *doc = api_row_body(r, res, &created);
    if (!doc) return;
    const kp_value *cors = kp_map_get(doc, "cors");
    if (!cors || cors->type != KP_STR) {
        api_fail(r, "internal", "internal error", NULL);
        return;
    }
    const char *origins = kp_arena_strndup(http_req_arena(r), cors->v.s.ptr, cors->v.s.len);
    if (!origins) {
        api_oom(r);
        return;
    }
    cors_install(&((api_ctx *)http_req_app(r))->cors, origins);
    api_write_doc_plus(r, doc, "cors", w->key[0] ? 1 : 0);
    if (w->key[0]) {
        kp_w_cstr(http_req_out(r), "key");
        kp_w_cstr(http_req_out(r), w->key);
    }
    http_reply(r, created ? 201 : 200);
}

/* A fresh partner key into w->key and its digest (bytea hex) into hex. */
static int new_key(http_req *r, pchange *w, char hex[AUTH_DIGEST_HEX])
{
    uint8_t d[AUTH_DIGEST_LEN];
    if (auth_token_new(w->key, d) != 0) {
        api_fail(r, "internal", "no randomness", NULL);
        return -1;
    }
    auth_digest_hex(d, hex);
    return 0;
}

static pchange *pwrite_new(http_req *r)
{
    pchange *w = kp_arena_alloc(http_req_arena(r), sizeof *w);
    if (!w) {
        api_oom(r);
        return NULL;
    }
    *w = (pchange){.key = ""};
    return w;
}

/* POST /v1/partners */
static void create_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"name", "origins", NULL};
    if (!admin_only(r, who)) return;
    const kp_value *b = api_body(r, allowed);
    const char *name, *origins;
    uint32_t nl;
    kp_err e = {0};
    if (!b) return;
    if (kp_get_str(b, "name", true, 1, PARTNER_NAME_MAX, &name, &nl, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    if (read_origins(r, b, true, &origins) < 0) return;
    pchange *w = pwrite_new(r);
    char hex[AUTH_DIGEST_HEX];
    if (!w || new_key(r, w, hex) != 0) return;
    const char *name_z = kp_arena_strndup(http_req_arena(r), name, nl);
    if (!name_z) {
        api_oom(r);
        return;
    }
    api_dec actor = api_dec_of(who->account_id);
    const char *params[4] = {actor.s, name_z, origins, hex};
    api_query_with(r, ACC_STMT(PARTNER_CREATE), 4, params, write_done, w);
}

void api_partner_create(http_req *r)
{
    api_authenticate(r, create_authed);
}

/* PATCH /v1/partners/{id} */
static void update_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"origins", "disabled", NULL};
    const char *id = admin_only(r, who) ? api_path_id(r, "id") : NULL;
    if (!id) return;
    const kp_value *b = api_body(r, allowed);
    const char *origins = NULL;
    bool disabled;
    kp_err e = {0};
    if (!b || read_origins(r, b, false, &origins) < 0) return;
    int has_disabled = kp_get_bool(b, "disabled", false, &disabled, &e);
    if (has_disabled < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    pchange *w = pwrite_new(r);
    if (!w) return;
    api_dec actor = api_dec_of(who->account_id);
    const char *params[4] = {actor.s, id, origins,
                             has_disabled ? (disabled ? "true" : "false") : NULL};
    api_query_with(r, ACC_STMT(PARTNER_UPDATE), 4, params, write_done, w);
}

void api_partner_update(http_req *r)
{
    api_authenticate(r, update_authed);
}

/* POST /v1/partners/{id}/key */
static void rekey_authed(http_req *r, const api_principal *who)
{
    char hex[AUTH_DIGEST_HEX];
    const char *id = admin_only(r, who) ? api_path_id(r, "id") : NULL;
    pchange *w = id ? pwrite_new(r) : NULL;
    if (!w || new_key(r, w, hex) != 0) return;
    api_dec actor = api_dec_of(who->account_id);
    const char *params[3] = {actor.s, id, hex};
    api_query_with(r, ACC_STMT(PARTNER_REKEY), 3, params, write_done, w);
}

void api_partner_rekey(http_req *r)
{
    api_authenticate(r, rekey_authed);
}
