/* search.c — expert search: POST /v1/search/experts, POST /v1/search/fit,
 * GET /v1/profiles/{id}/similar and GET /v1/suggest.  Each handler
 * validates its input, sends one statement (a function in
 * migrations/repeatable/40_search.sql, where folding, matching, visibility,
 * ranking, facets and highlighting live) and replies with its row in the
 * one shape (the kit's api_reply_row; the search's next_key becomes the
 * opaque cursor of its sort).  Cursors and input formats: server/search/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/search.h"
#include "search_api.h"

enum {
    Q_MAX = 500,
    FIT_MAX = 20480,
    LIMIT_MAX = 50,
    SUGGEST_MAX = 10,
    SUGGEST_Q_MAX = 100,
    NAMES_MAX = 20, /* cities, affiliations per search */
    NAMES_LEN_MAX = 200
};

/* An item check for get_list: NULL when s[0..n) is accepted, else the
 * error code. */
typedef const char *item_check(const char *s, size_t n);

static const char *sector_ok(const char *s, size_t n)
{
    return api_chars(s, n, "abcdefghijklmnopqrstuvwxyz0123456789_", 2, 40) ? NULL : "invalid_value";
}

static const char *country_ok(const char *s, size_t n)
{
    return api_chars(s, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2, 2) ? NULL : "invalid_value";
}

static const char *degree_ok(const char *s, size_t n)
{
    return api_one_of(s, n, api_degree_levels) ? NULL : "invalid_value";
}

static const char *lang_ok(const char *s, size_t n)
{
    return api_chars(s, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", 2, 35)
               ? NULL
               : "invalid_value";
}

/* A free-text name (a city, an affiliation): 1-200 characters, no control
 * characters. */
static const char *name_ok(const char *s, size_t n)
{
    size_t chars = kp_utf8_len(s, n);
    if (chars < 1) return "too_short";
    if (chars > NAMES_LEN_MAX) return "too_long";
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) return "invalid_value";
    return NULL;
}

/* What a list accepts: at most `max` items each passing `check`; the
 * messages for an item that is no string and for one `check` refuses. */
typedef struct list_rule {
    uint32_t max;
    item_check *check;
    const char *type_msg, *bad_msg;
} list_rule;

#define CODE_LIST(max, check)                                                                      \
    {                                                                                              \
        (max), (check), "a string", "not an accepted value"                                        \
    }
static const list_rule sectors_rule = CODE_LIST(14, sector_ok),
                       countries_rule = CODE_LIST(50, country_ok),
                       degrees_rule = CODE_LIST(6, degree_ok), langs_rule = CODE_LIST(20, lang_ok),
                       names_rule = {NAMES_MAX, name_ok, "a name of 1-200 characters",
                                     "a name of 1-200 characters"};

/* Body field `key`, a list of strings, as a PostgreSQL array literal in the
 * arena: each item checked by the rule, then quoted with its backslashes
 * and double quotes escaped.  1, 0 (absent), or -1 with e naming `key.N`. */
static int get_list(http_req *r, const kp_value *body, const char *key, const list_rule *rule,
                    const char **out, kp_err *e)
{
    const kp_value *arr = NULL;
    int got = kp_get_array(body, key, false, rule->max, &arr, e);
    if (got <= 0) return got;
    kp_buf b;
    kp_buf_init(&b);
    kp_buf_append(&b, "{", 1);
    for (uint32_t i = 0; i < arr->v.arr.n; i++) {
        const kp_value *it = &arr->v.arr.items[i];
        const char *why =
            it->type != KP_STR ? "invalid_type" : rule->check(it->v.s.ptr, it->v.s.len);
        if (why) {
            char field[64];
            snprintf(field, sizeof field, "%s.%u", key, i);
            kp_err_set(e, why, field, "%s", it->type != KP_STR ? rule->type_msg : rule->bad_msg);
            kp_buf_free(&b);
            return -1;
        }
        kp_buf_append(&b, i ? ",\"" : "\"", i ? 2 : 1);
        for (uint32_t k = 0; k < it->v.s.len; k++) {
            char c = it->v.s.ptr[k];
            if (c == '"' || c == '\\') kp_buf_append(&b, "\\", 1);
            kp_buf_append(&b, &c, 1);
        }
        kp_buf_append(&b, "\"", 1);
    }
    kp_buf_append(&b, "}", 1);
    *out = b.oom ? NULL : kp_arena_strndup(http_req_arena(r), (const char *)b.data, b.len);
    kp_buf_free(&b);
    return *out ? 1 : (kp_err_set(e, "internal", NULL, "out of memory"), -1);
}

static int str_param(http_req *r, const char *s, uint32_t n, const char **out, kp_err *e)
{
    *out = kp_arena_strndup(http_req_arena(r), s, n);
    return *out ? 0 : (kp_err_set(e, "internal", NULL, "out of memory"), -1);
}

/* The filters both search and fit accept, into p[0..5] in
 * khnet_search_experts order (sectors, countries, degrees, languages,
 * mentor, min_years; *years holds the last one's text).  0 or -1 with e. */
static int get_filters(http_req *r, const kp_value *body, const char **p, api_dec *years, kp_err *e)
{
    if (get_list(r, body, "sectors", &sectors_rule, &p[0], e) < 0 ||
        get_list(r, body, "countries", &countries_rule, &p[1], e) < 0 ||
        get_list(r, body, "degree_levels", &degrees_rule, &p[2], e) < 0 ||
        get_list(r, body, "languages", &langs_rule, &p[3], e) < 0)
        return -1;
    bool mentor = false;
    int got = kp_get_bool(body, "willing_to_mentor", false, &mentor, e);
    if (got < 0) return -1;
    if (got) p[4] = mentor ? "true" : "false";
    int64_t n = 0;
    got = kp_get_int(body, "min_years", false, 0, 80, &n, e);
    if (got < 0) return -1;
    *years = api_dec_of(n);
    if (got) p[5] = years->s;
    return 0;
}

/* The answer's next_key as the opaque cursor of the sort in *data. */
static void sort_cursor(kp_buf *b, const kp_value *key, void *data)
{
    const search_sort *sort = data;
    char txt[64], c[SEARCH_CURSOR_LEN + 1];
    search_key k;
    if (key->type == KP_STR && key->v.s.len < sizeof txt) {
        memcpy(txt, key->v.s.ptr, key->v.s.len);
        txt[key->v.s.len] = '\0';
        if (search_key_parse(txt, *sort, &k) == 0) {
            search_cursor_encode(&k, c, sizeof c);
            kp_w_cstr(b, c);
            return;
        }
    }
    kp_w_nil(b);
}

/* ---- POST /v1/search/experts ---------------------------------------------- */

typedef struct experts_req {
    const char *p[SEARCH_NPARAMS]; /* khnet_search_experts parameters */
    api_dec viewer;                /* p[0]'s text */
    api_dec years, limit, id;      /* texts of p[8], p[11], p[13] */
    search_sort sort;              /* the sort the cursor encodes */
} experts_req;

static const char *const experts_fields[] = {"q",
                                             "sectors",
                                             "countries",
                                             "degree_levels",
                                             "languages",
                                             "willing_to_mentor",
                                             "min_years",
                                             "updated_since",
                                             "sort",
                                             "limit",
                                             "after",
                                             "cities",
                                             "affiliations",
                                             NULL};

/* `after`: a cursor of this search's sort into p[12], p[13]. */
static int experts_after(http_req *r, const kp_value *body, experts_req *q, kp_err *e)
{
    const char *s = NULL;
    uint32_t n = 0;
    int got = kp_get_str(body, "after", false, 1, 64, &s, &n, e);
    if (got <= 0) return got;
    search_key k;
    if (search_cursor_decode(s, n, &k) != 0 || k.sort != q->sort)
        return kp_err_set(e, "invalid_value", "after", "not a cursor from this search"), -1;
    char *kt = kp_arena_alloc(http_req_arena(r), 40);
    if (!kt) return kp_err_set(e, "internal", NULL, "out of memory"), -1;
    search_key_text(&k, kt, 40);
    q->id = api_dec_of(k.id);
    q->p[12] = kt;
    q->p[13] = q->id.s;
    return 0;
}

static int experts_parse(http_req *r, const kp_value *body, experts_req *q, kp_err *e)
{
    const char *s = NULL;
    uint32_t n = 0;
    if (kp_check_fields(body, experts_fields, e) < 0) return -1;
    int got = kp_get_str(body, "q", false, 0, Q_MAX, &s, &n, e);
    if (got < 0 || (got && str_param(r, s, n, &q->p[2], e) < 0)) return -1;
    if (get_filters(r, body, q->p + 3, &q->years, e) < 0) return -1;
    got = kp_get_str(body, "updated_since", false, 1, 40, &s, &n, e);
    if (got < 0) return -1;
    if (got && !search_rfc3339_valid(s, n))
        return kp_err_set(e, "invalid_value", "updated_since", "an RFC 3339 timestamp"), -1;
    if (got && str_param(r, s, n, &q->p[9], e) < 0) return -1;
    if (get_list(r, body, "cities", &names_rule, &q->p[14], e) < 0 ||
        get_list(r, body, "affiliations", &names_rule, &q->p[15], e) < 0)
        return -1;
    bool has_q = q->p[2] && q->p[2][strspn(q->p[2], " \t\r\n")];
    q->sort = has_q ? SEARCH_RELEVANCE : SEARCH_RECENT;
    got = kp_get_str(body, "sort", false, 1, 20, &s, &n, e);
    if (got < 0) return -1;
    if (got && search_sort_parse(s, n, &q->sort) != 0)
        return kp_err_set(e, "invalid_value", "sort", "relevance, experience or recent"), -1;
    /* relevance without a query orders like recent (as the SQL does) */
    if (q->sort == SEARCH_RELEVANCE && !has_q) q->sort = SEARCH_RECENT;
    q->p[10] = search_sort_name(q->sort);
    int64_t limit = 20;
    if (kp_get_int(body, "limit", false, 1, LIMIT_MAX, &limit, e) < 0) return -1;
    q->limit = api_dec_of(limit);
    q->p[11] = q->limit.s;
    return experts_after(r, body, q, e);
}

int api_search_parse(http_req *r, const kp_value *query, const char **p, kp_err *e)
{
    experts_req *q = kp_arena_alloc(http_req_arena(r), sizeof *q); /* p points into it */
    if (!q) return kp_err_set(e, "internal", NULL, "out of memory"), -1;
    memset(q, 0, sizeof *q);
    if (experts_parse(r, query, q, e) < 0) return -1;
    memcpy(p, q->p, sizeof q->p);
    return 0;
}

void api_search_answer(http_req *r, const PGresult *res)
{
    bool created = false;
    const kp_value *v = api_row_body(r, res, &created);
    if (!v) return;
    const kp_value *s = kp_map_get(v, "sort");
    search_sort sort = SEARCH_RECENT;
    if (s && s->type == KP_STR && search_sort_parse(s->v.s.ptr, s->v.s.len, &sort) != 0)
        sort = SEARCH_RECENT;
    api_write_doc(r, v, sort_cursor, &sort);
    http_reply(r, 200);
}

static void experts_done(http_req *r, const PGresult *res, void *data)
{
    experts_req *q = data;
    api_reply_row_with(r, res, 200, sort_cursor, &q->sort);
}

static const kp_value *body_or_empty(http_req *r)
{
    static const kp_value empty = {.type = KP_MAP};
    const kp_value *b = http_req_body(r);
    return b ? b : &empty;
}

static void experts_authed(http_req *r, const api_principal *who)
{
    experts_req *q = kp_arena_alloc(http_req_arena(r), sizeof *q);
    kp_err e = {0};
    if (!q) {
        api_oom(r);
        return;
    }
    memset(q, 0, sizeof *q);
    const kp_value *body = body_or_empty(r);
    if (kp_expect_map(body, NULL, &e) < 0 || experts_parse(r, body, q, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    api_viewer(who, &q->viewer, q->p);
    api_query_with(r, SEARCH_STMT(EXPERTS), SEARCH_NPARAMS, q->p, experts_done, q);
}

void api_search_experts(http_req *r)
{
    api_authenticate_optional(r, experts_authed);
}

/* ---- POST /v1/search/fit, GET /v1/profiles/{id}/similar, GET /v1/suggest ---- */

static const char *const fit_fields[] = {"text",          "sectors",   "countries",
                                         "degree_levels", "languages", "willing_to_mentor",
                                         "min_years",     "limit",     NULL};

static void fit_authed(http_req *r, const api_principal *who)
{
    const char *p[10] = {NULL}, *s = NULL;
    uint32_t n = 0;
    int64_t limit = 20;
    api_dec viewer, years, lim;
    kp_err e = {0};
    const kp_value *body = http_req_body(r);
    if (!body) {
        api_fail(r, "missing_field", "a body is required", "text");
        return;
    }
    if (kp_expect_map(body, NULL, &e) < 0 || kp_check_fields(body, fit_fields, &e) < 0 ||
        kp_get_str(body, "text", true, 1, FIT_MAX, &s, &n, &e) < 0 ||
        get_filters(r, body, p + 3, &years, &e) < 0 ||
        kp_get_int(body, "limit", false, 1, LIMIT_MAX, &limit, &e) < 0 ||
        str_param(r, s, n, &p[2], &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    api_viewer(who, &viewer, p);
    lim = api_dec_of(limit);
    p[9] = lim.s;
    api_query(r, SEARCH_STMT(FIT), 10, p, api_reply_row);
}

void api_search_fit(http_req *r)
{
    api_authenticate_optional(r, fit_authed);
}

static void similar_authed(http_req *r, const api_principal *who)
{
    const char *id = api_path_id(r, "id");
    int limit = 0;
    if (!id || api_limit(r, 10, LIMIT_MAX, &limit) < 0) return;
    api_dec viewer, lim = api_dec_of(limit);
    const char *p[4] = {NULL, NULL, id, lim.s};
    api_viewer(who, &viewer, p);
    api_query(r, SEARCH_STMT(SIMILAR), 4, p, api_reply_row);
}

void api_search_similar(http_req *r)
{
    api_authenticate_optional(r, similar_authed);
}

void api_suggest(http_req *r)
{
    const char *q = NULL;
    int limit = 0;
    int got = api_query_param(r, "q", &q);
    if (got < 0) return;
    if (!got || q[strspn(q, " \t")] == '\0') {
        api_fail(r, "missing_field", "q is required", "q");
        return;
    }
    if (kp_utf8_len(q, strlen(q)) > SUGGEST_Q_MAX) {
        api_fail(r, "too_long", "q is at most 100 characters", "q");
        return;
    }
    if (api_limit(r, SUGGEST_MAX, SUGGEST_MAX, &limit) < 0) return;
    api_dec lim = api_dec_of(limit);
    const char *p[2] = {q, lim.s};
    api_query(r, SEARCH_STMT(SUGGEST), 2, p, api_reply_row);
}
