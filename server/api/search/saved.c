/* saved_searches.c — saved searches for liaison officers and admins
 * (PROTOCOL.md "Saved searches"): create, list, delete, and the experts new
 * since the owner last looked.  The query is checked by the search's own
 * parser (api_search_parse in search.c) and stored as sent; ownership and
 * the "last looked" mark live in migrations/0007_saved_searches.sql.  Not
 * here: matching and ranking (khnet_search_experts). */
#include <stdio.h>
#include <string.h>

#include "search/search.h"
#include "search_api.h"

enum { SAVED_NAME_MAX = 100 };

static bool may_save(http_req *r, const api_principal *who)
{
    return api_allow(r, who, API_ROLE_BIT(ROLE_LIAISON) | API_ROLE_BIT(ROLE_ADMIN),
                     "liaison officers and admins only");
}

/* The search's checks, with fields named inside the body ("query.limit");
 * a cursor makes no sense in a stored query.  Sets *sort; 0 or -1. */
static int check_query(http_req *r, const kp_value *query, const char **sort, kp_err *e)
{
    const char *p[SEARCH_NPARAMS] = {NULL};
    if (kp_expect_map(query, "query", e) < 0) return -1;
    if (kp_map_get(query, "after")) {
        kp_err_set(e, "invalid_value", "query.after", "a saved search keeps no cursor");
        return -1;
    }
    if (api_search_parse(r, query, p, e) < 0) {
        char field[sizeof e->field + 8];
        int n = snprintf(field, sizeof field, "query%s%s", e->field[0] ? "." : "", e->field);
        if (n > 0 && (size_t)n < sizeof e->field) memcpy(e->field, field, (size_t)n + 1);
        return -1;
    }
    *sort = p[10];
    return 0;
}

const char *search_json_text(http_req *r, const kp_value *query)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_json_write(&b, query);
    const char *s = b.oom ? NULL : kp_arena_strndup(http_req_arena(r), (const char *)b.data, b.len);
    kp_buf_free(&b);
    return s;
}

static void create_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"name", "query", NULL};
    if (!may_save(r, who)) return;
    const kp_value *b = api_body(r, allowed);
    const char *name = b ? api_str(r, b, "name", SAVED_NAME_MAX, (size_t)4 * SAVED_NAME_MAX) : NULL;
    if (!name) return;
    const kp_value *query = kp_map_get(b, "query");
    const char *sort = NULL;
    kp_err e = {0};
    if (!query || query->type == KP_NIL) {
        api_fail(r, "missing_field", "field is required", "query");
        return;
    }
    if (check_query(r, query, &sort, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    const char *json = search_json_text(r, query);
    if (!json) {
        api_oom(r);
        return;
    }
    api_dec me = api_dec_of(who->account_id);
    const char *p[4] = {me.s, name, json, sort};
    api_query(r, SEARCH_STMT(SAVED_CREATE), 4, p, api_reply_row);
}

static void list_authed(http_req *r, const api_principal *who)
{
    const char *key = NULL, *limit = NULL;
    if (!may_save(r, who) || api_page(r, "after", 20, &key, &limit) != 0) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[3] = {me.s, key, limit};
    api_query(r, SEARCH_STMT(SAVED_LIST), 3, p, api_reply_row);
}

static void delete_authed(http_req *r, const api_principal *who)
{
    const char *id = may_save(r, who) ? api_path_id(r, "id") : NULL;
    if (!id) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[2] = {me.s, id};
    api_query(r, SEARCH_STMT(SAVED_DELETE), 2, p, api_reply_row_empty);
}

/* ?peek=true|false into *peek; ?after= (a cursor from an earlier page of
 * this look) into p[0..2] (sort, key, id; the id's text in *id).  Replies
 * 400 and returns -1. */
static int new_params(http_req *r, const char **peek, const char **p, api_dec *id)
{
    const char *v = NULL;
    int got = api_query_param(r, "peek", &v);
    *peek = "false";
    if (got < 0) return -1;
    if (got) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
            api_fail(r, "invalid_value", "peek is true or false", "peek");
            return -1;
        }
        *peek = v;
    }
    got = api_query_param(r, "after", &v);
    if (got <= 0) return got;
    search_key k;
    if (search_cursor_decode(v, strlen(v), &k) != 0) {
        api_fail(r, "invalid_value", "not a cursor from this saved search", "after");
        return -1;
    }
    char *kt = kp_arena_alloc(http_req_arena(r), 40);
    if (!kt) {
        api_oom(r);
        return -1;
    }
    search_key_text(&k, kt, 40);
    *id = api_dec_of(k.id);
    p[0] = search_sort_name(k.sort);
    p[1] = kt;
    p[2] = id->s;
    return 0;
}

static void new_authed(http_req *r, const api_principal *who)
{
    const char *p[7] = {NULL};
    api_dec me, after_id;
    if (!may_save(r, who) || !(p[2] = api_path_id(r, "id")) ||
        new_params(r, &p[3], p + 4, &after_id) < 0)
        return;
    api_viewer(who, &me, p);
    api_query(r, SEARCH_STMT(SAVED_NEW), 7, p, api_search_answer);
}

void api_saved_create(http_req *r)
{
    api_authenticate(r, create_authed);
}
void api_saved_list(http_req *r)
{
    api_authenticate(r, list_authed);
}
void api_saved_delete(http_req *r)
{
    api_authenticate(r, delete_authed);
}
void api_saved_new(http_req *r)
{
    api_authenticate(r, new_authed);
}
