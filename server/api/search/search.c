/* search.c — expert search: POST /v1/search/experts, POST /v1/search/fit,
 * GET /v1/profiles/{id}/similar and GET /v1/suggest.  Each handler
 * validates its input, sends one statement (a function in
 * migrations/0004_search.sql, where folding, matching, visibility, ranking,
 * facets and highlighting live), and re-encodes the JSON it returns.
 * Cursors and input formats: server/search/. */
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

typedef enum list_kind { L_SECTOR, L_COUNTRY, L_DEGREE, L_LANG } list_kind;

static bool item_ok(list_kind k, const char *s, size_t n)
{
    switch (k) {
    case L_SECTOR:
        return api_chars(s, n, "abcdefghijklmnopqrstuvwxyz0123456789_", 2, 40);
    case L_COUNTRY:
        return api_chars(s, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2, 2);
    case L_DEGREE:
        return api_one_of(s, n, api_degree_levels);
    default:
        return api_chars(s, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", 2,
                         35);
    }
}

/* Reads a list of strings as a PostgreSQL array literal (items are
 * checked against a safe alphabet first, so quoting is enough).  1, 0
 * (absent), or -1 with e set. */
static int get_list(http_req *r, const kp_value *body, const char *key, uint32_t max,
                    list_kind kind, const char **out, kp_err *e)
{
    const kp_value *arr = NULL;
    int got = kp_get_array(body, key, false, max, &arr, e);
    if (got <= 0) return got;
    kp_buf b;
    kp_buf_init(&b);
    kp_buf_append(&b, "{", 1);
    for (uint32_t i = 0; i < arr->v.arr.n; i++) {
        const kp_value *it = &arr->v.arr.items[i];
        char field[64];
        snprintf(field, sizeof field, "%s.%u", key, i);
        if (it->type != KP_STR) {
            kp_err_set(e, "invalid_type", field, "a string");
            kp_buf_free(&b);
            return -1;
        }
        if (!item_ok(kind, it->v.s.ptr, it->v.s.len)) {
            kp_err_set(e, "invalid_value", field, "not an accepted value");
            kp_buf_free(&b);
            return -1;
        }
        kp_buf_appendf(&b, "%s\"%.*s\"", i ? "," : "", (int)it->v.s.len, it->v.s.ptr);
    }
    kp_buf_append(&b, "}", 1);
    *out = b.oom ? NULL : kp_arena_strndup(http_req_arena(r), (const char *)b.data, b.len);
    kp_buf_free(&b);
    return *out ? 1 : (kp_err_set(e, "internal", NULL, "out of memory"), -1);
}

/* Reads a list of free-text names (cities, affiliations: 1-200 characters,
 * no control characters) as a PostgreSQL array literal, each item quoted
 * with its backslashes and double quotes escaped.  1, 0 (absent), or -1
 * with e set. */
static int get_names(http_req *r, const kp_value *body, const char *key, const char **out,
                     kp_err *e)
{
    const kp_value *arr = NULL;
    int got = kp_get_array(body, key, false, NAMES_MAX, &arr, e);
    if (got <= 0) return got;
    kp_buf b;
    kp_buf_init(&b);
    kp_buf_append(&b, "{", 1);
    for (uint32_t i = 0; i < arr->v.arr.n; i++) {
        const kp_value *it = &arr->v.arr.items[i];
        char field[64];
        snprintf(field, sizeof field, "%s.%u", key, i);
        size_t chars = it->type == KP_STR ? kp_utf8_len(it->v.s.ptr, it->v.s.len) : 0;
        const char *why = it->type != KP_STR      ? "invalid_type"
                          : chars < 1             ? "too_short"
                          : chars > NAMES_LEN_MAX ? "too_long"
                                                  : NULL;
        for (uint32_t k = 0; !why && k < it->v.s.len; k++)
            if ((unsigned char)it->v.s.ptr[k] < 0x20 || it->v.s.ptr[k] == 0x7f)
                why = "invalid_value";
        if (why) {
            kp_err_set(e, why, field, "a name of 1-200 characters");
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
    if (get_list(r, body, "sectors", 14, L_SECTOR, &p[0], e) < 0 ||
        get_list(r, body, "countries", 50, L_COUNTRY, &p[1], e) < 0 ||
        get_list(r, body, "degree_levels", 6, L_DEGREE, &p[2], e) < 0 ||
        get_list(r, body, "languages", 20, L_LANG, &p[3], e) < 0)
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

/* The one-row, one-column JSON answer as a map.  NULL after replying:
 * when SQL answered NULL, 404 not_found `missing` (or 500 when `missing` is
 * NULL: that function always answers); 400 for the function's
 * {error: {field, message}} (an unknown sector); 500 when it is no map. */
static const kp_value *answer(http_req *r, const PGresult *res, const char *missing)
{
    if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
        if (missing)
            api_fail(r, "not_found", missing, NULL);
        else
            api_fail(r, "internal", "internal error", NULL);
        return NULL;
    }
    const kp_value *v = api_json(r, PQgetvalue(res, 0, 0), NULL);
    if (!v) return NULL;
    if (v->type != KP_MAP) {
        api_fail(r, "internal", "internal error", NULL);
        return NULL;
    }
    const kp_value *err = kp_map_get(v, "error");
    if (!err) return v;
    const kp_value *f = kp_map_get(err, "field"), *m = kp_map_get(err, "message");
    char field[64] = "", msg[128] = "unknown sector";
    if (f && f->type == KP_STR) snprintf(field, sizeof field, "%.*s", (int)f->v.s.len, f->v.s.ptr);
    if (m && m->type == KP_STR) snprintf(msg, sizeof msg, "%.*s", (int)m->v.s.len, m->v.s.ptr);
    api_fail(r, "invalid_value", msg, field[0] ? field : NULL);
    return NULL;
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
    if (get_names(r, body, "cities", &q->p[14], e) < 0 ||
        get_names(r, body, "affiliations", &q->p[15], e) < 0)
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
    const kp_value *v = answer(r, res, "no such saved search");
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
    const kp_value *v = answer(r, res, NULL);
    if (!v) return;
    api_write_doc(r, v, sort_cursor, &q->sort);
    http_reply(r, 200);
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

static void plain_done(http_req *r, const PGresult *res)
{
    const kp_value *v = answer(r, res, "no such profile");
    if (!v) return;
    api_write_doc(r, v, NULL, NULL);
    http_reply(r, 200);
}

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
    api_query(r, SEARCH_STMT(FIT), 10, p, plain_done);
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
    api_query(r, SEARCH_STMT(SIMILAR), 4, p, plain_done);
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
    api_query(r, SEARCH_STMT(SUGGEST), 2, p, plain_done);
}
