/* categories.c — the category list, admins' category writes and
 * moderators per category, and "mark category read" (PROTOCOL.md
 * "Forums").  Who may do what is SQL's (khnet_forum_category_*). */
#include <string.h>

#include "forum.h"

enum { NAME_MAX_CHARS = 100, DESCRIPTION_MAX = 1000, POSITION_MAX = 10000 };

static void categories_authed(http_req *r, const api_principal *who)
{
    api_dec me;
    const char *p[2];
    api_viewer(who, &me, p);
    api_query(r, FORUM_STMT(CATEGORIES), 2, p, api_reply_row);
}

static bool slug_ok(const char *s, size_t n)
{
    return n >= 2 && n <= 40 && s[0] >= 'a' && s[0] <= 'z' &&
           api_chars(s, n, "abcdefghijklmnopqrstuvwxyz0123456789_", 2, 40);
}

static void create_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"slug",     "name",      "description",
                                          "position", "read_only", NULL};
    if (!api_allow(r, who, API_ROLE_BIT(ROLE_ADMIN), "admins only")) return;
    const kp_value *b = api_body(r, allowed);
    const char *slug = b ? api_str(r, b, "slug", 40, 40) : NULL;
    if (!slug) return;
    if (!slug_ok(slug, strlen(slug))) {
        api_fail(r, "invalid_value", "a slug is [a-z][a-z0-9_]{1,39}", "slug");
        return;
    }
    const char *name = api_str(r, b, "name", NAME_MAX_CHARS, (size_t)4 * NAME_MAX_CHARS);
    if (!name) return;
    const char *desc = NULL;
    if (kp_map_get(b, "description") && kp_map_get(b, "description")->type != KP_NIL) {
        desc = api_str(r, b, "description", DESCRIPTION_MAX, (size_t)4 * DESCRIPTION_MAX);
        if (!desc) return;
    }
    int64_t pos = 0;
    bool ro = false;
    kp_err e = {0};
    int got_pos = kp_get_int(b, "position", false, 0, POSITION_MAX, &pos, &e);
    int got_ro = got_pos < 0 ? -1 : kp_get_bool(b, "read_only", false, &ro, &e);
    if (got_pos < 0 || got_ro < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    api_dec me = api_dec_of(who->account_id), position = api_dec_of(pos);
    const char *p[7] = {me.s,
                        api_role_name(who->role),
                        slug,
                        name,
                        desc,
                        got_pos ? position.s : NULL,
                        got_ro ? (ro ? "true" : "false") : NULL};
    api_query(r, FORUM_STMT(CATEGORY_CREATE), 7, p, api_reply_row);
}

/* The PATCH body checked field by field, passed on as JSON. */
static int patch_check(http_req *r, const kp_value *b)
{
    kp_err e = {0};
    int64_t pos;
    bool flag;
    if (b->v.map.n == 0) {
        api_fail(r, "missing_field", "nothing to change", "body");
        return -1;
    }
    if (kp_map_get(b, "name") && !api_str(r, b, "name", NAME_MAX_CHARS, (size_t)4 * NAME_MAX_CHARS))
        return -1;
    const kp_value *d = kp_map_get(b, "description");
    if (d && d->type != KP_NIL &&
        !api_str(r, b, "description", DESCRIPTION_MAX, (size_t)4 * DESCRIPTION_MAX))
        return -1;
    if (kp_get_int(b, "position", false, 0, POSITION_MAX, &pos, &e) < 0 ||
        kp_get_bool(b, "read_only", false, &flag, &e) < 0 ||
        kp_get_bool(b, "archived", false, &flag, &e) < 0) {
        api_fail_kperr(r, &e);
        return -1;
    }
    /* A null position/read_only/archived would mean "unchanged" to the
     * codec but "clear" to SQL: refused. */
    static const char *const not_null[] = {"position", "read_only", "archived", "name"};
    for (size_t i = 0; i < sizeof not_null / sizeof not_null[0]; i++) {
        const kp_value *v = kp_map_get(b, not_null[i]);
        if (v && v->type == KP_NIL) {
            api_fail(r, "invalid_type", "cannot be null", not_null[i]);
            return -1;
        }
    }
    return 0;
}

static void update_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"name",      "description", "position",
                                          "read_only", "archived",    NULL};
    if (!api_allow(r, who, API_ROLE_BIT(ROLE_ADMIN), "admins only")) return;
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b || patch_check(r, b) != 0) return;
    const char *patch = forum_json(r, b);
    if (!patch) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[4] = {me.s, api_role_name(who->role), id, patch};
    api_query(r, FORUM_STMT(CATEGORY_UPDATE), 4, p, api_reply_row);
}

static void mod_set(http_req *r, const api_principal *who, const char *on)
{
    if (!api_allow(r, who, API_ROLE_BIT(ROLE_ADMIN), "admins only")) return;
    const char *id = api_path_id(r, "id");
    const char *acc = id ? api_path_id(r, "account_id") : NULL;
    if (!acc) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[5] = {me.s, api_role_name(who->role), id, acc, on};
    api_query(r, FORUM_STMT(CATEGORY_MOD_SET), 5, p, api_reply_row_empty);
}

static void mod_add_authed(http_req *r, const api_principal *who)
{
    mod_set(r, who, "true");
}
static void mod_remove_authed(http_req *r, const api_principal *who)
{
    mod_set(r, who, "false");
}

static void read_authed(http_req *r, const api_principal *who)
{
    const char *id = api_path_id(r, "id");
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[3] = {me.s, api_role_name(who->role), id};
    api_query(r, FORUM_STMT(CATEGORY_READ), 3, p, api_reply_row);
}

void api_forum_categories(http_req *r)
{
    api_authenticate_optional(r, categories_authed);
}
void api_forum_category_create(http_req *r)
{
    api_authenticate(r, create_authed);
}
void api_forum_category_update(http_req *r)
{
    api_authenticate(r, update_authed);
}
void api_forum_category_mod_add(http_req *r)
{
    api_authenticate(r, mod_add_authed);
}
void api_forum_category_mod_remove(http_req *r)
{
    api_authenticate(r, mod_remove_authed);
}
void api_forum_category_read(http_req *r)
{
    api_authenticate(r, read_authed);
}
