/* search.c — expert search: POST /v1/search/experts, POST /v1/search/fit,
 * GET /v1/profiles/{id}/similar and GET /v1/suggest.  Each handler
 * validates its input, sends one statement (a function in
 * migrations/0004_search.sql, where folding, matching, visibility, ranking,
 * facets and highlighting live), and re-encodes the JSON it returns.
 * Cursors and input formats: server/search/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "search/search.h"

enum { Q_MAX = 500, FIT_MAX = 20480, LIMIT_MAX = 50, SUGGEST_MAX = 10, SUGGEST_Q_MAX = 100 };

static const char *const roles[] = {"member", "moderator", "liaison", "admin"};
static const char *const degree_levels[] = {"bachelor", "master", "phd", "md",
                                            "engineer", "other",  NULL};

/* Runs next with the caller, or with NULL when no Authorization was sent
 * (a bad token is still 401: never a silent downgrade to anonymous). */
static void optional_auth(http_req *r, api_authed next)
{
    size_t n = 0;
    if (http_req_header(r, "authorization", &n))
        api_authenticate(r, next);
    else
        next(r, NULL);
}

static char *num_text(http_req *r, long long v)
{
    char *s = kp_arena_alloc(http_req_arena(r), 24);
    if (s) snprintf(s, 24, "%lld", v);
    return s;
}

static void viewer_params(http_req *r, const api_principal *who, const char **p)
{
    p[0] = who ? num_text(r, who->account_id) : NULL;
    p[1] = who ? roles[who->role] : NULL;
}

static bool one_of(const char *s, size_t n, const char *const *set)
{
    for (; *set; set++)
        if (strlen(*set) == n && !memcmp(s, *set, n)) return true;
    return false;
}

typedef enum list_kind { L_SECTOR, L_COUNTRY, L_DEGREE, L_LANG } list_kind;

static bool item_ok(list_kind k, const char *s, size_t n)
{
    switch (k) {
    case L_SECTOR:
        return search_chars_valid(s, n, "abcdefghijklmnopqrstuvwxyz0123456789_", 2, 40);
    case L_COUNTRY:
        return search_chars_valid(s, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2, 2);
    case L_DEGREE:
        return one_of(s, n, degree_levels);
    default:
        return search_chars_valid(
            s, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", 2, 35);
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

static const char *str_param(http_req *r, const char *s, uint32_t n)
{
    return kp_arena_strndup(http_req_arena(r), s, n);
}

/* The filters both search and fit accept, into p[3..8] in
 * khnet_search_experts order (sectors, countries, degrees, languages,
 * mentor, min_years).  0 or -1 with e set. */
static int get_filters(http_req *r, const kp_value *body, const char **p, kp_err *e)
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
    int64_t years = 0;
    got = kp_get_int(body, "min_years", false, 0, 80, &years, e);
    if (got < 0) return -1;
    if (got) p[5] = num_text(r, years);
    return 0;
}

/* Writes the database's JSON object as msgpack, with `next_key` replaced by
 * the opaque cursor `next` (nil when absent). */
static bool write_result(http_req *r, const kp_value *v, search_sort sort)
{
    kp_buf *b = http_req_out(r);
    kp_w_map(b, v->v.map.n);
    for (uint32_t i = 0; i < v->v.map.n; i++) {
        const kp_pair *pr = &v->v.map.pairs[i];
        if (pr->key.v.s.len == 8 && !memcmp(pr->key.v.s.ptr, "next_key", 8)) {
            kp_w_cstr(b, "next");
            search_key k;
            char c[SEARCH_CURSOR_LEN + 1];
            char *txt = pr->val.type == KP_STR
                            ? kp_arena_strndup(http_req_arena(r), pr->val.v.s.ptr, pr->val.v.s.len)
                            : NULL;
            if (txt && search_key_parse(txt, sort, &k) == 0) {
                search_cursor_encode(&k, c, sizeof c);
                kp_w_cstr(b, c);
            } else {
                kp_w_nil(b);
            }
            continue;
        }
        kp_w_value(b, &pr->key);
        kp_w_value(b, &pr->val);
    }
    return !b->oom;
}

/* Decodes the one-row, one-column JSON answer; replies 400 for the
 * function's {error: {field}} (an unknown sector) and returns NULL. */
static const kp_value *decode_answer(http_req *r, const PGresult *res)
{
    const char *json = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : NULL;
    kp_value *v = NULL;
    kp_err e = {0};
    if (!json) return NULL;
    if (kp_json_decode(http_req_arena(r), json, strlen(json), NULL, &v, &e) != 0 ||
        v->type != KP_MAP) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return NULL;
    }
    const kp_value *err = kp_map_get(v, "error");
    if (err) {
        const kp_value *f = kp_map_get(err, "field");
        char *field = f && f->type == KP_STR
                          ? kp_arena_strndup(http_req_arena(r), f->v.s.ptr, f->v.s.len)
                          : NULL;
        const kp_value *m = kp_map_get(err, "message");
        char *msg = m && m->type == KP_STR
                        ? kp_arena_strndup(http_req_arena(r), m->v.s.ptr, m->v.s.len)
                        : NULL;
        http_reply_error(r, 400, "invalid_value", msg ? msg : "unknown sector", field);
        return NULL;
    }
    return v;
}

/* ---- POST /v1/search/experts ---------------------------------------------- */

typedef struct experts_req {
    const char *p[14]; /* khnet_search_experts parameters */
    search_sort sort;  /* the sort the cursor encodes */
} experts_req;

static const char *const experts_fields[] = {
    "q",         "sectors",       "countries", "degree_levels", "languages", "willing_to_mentor",
    "min_years", "updated_since", "sort",      "limit",         "after",     NULL};

static int experts_parse(http_req *r, const kp_value *body, experts_req *q, kp_err *e)
{
    const char *s = NULL;
    uint32_t n = 0;
    if (kp_check_fields(body, experts_fields, e) < 0) return -1;
    int got = kp_get_str(body, "q", false, 0, Q_MAX, &s, &n, e);
    if (got < 0) return -1;
    if (got) q->p[2] = str_param(r, s, n);
    if (get_filters(r, body, q->p + 3, e) < 0) return -1;
    got = kp_get_str(body, "updated_since", false, 1, 40, &s, &n, e);
    if (got < 0) return -1;
    if (got && !search_rfc3339_valid(s, n))
        return kp_err_set(e, "invalid_value", "updated_since", "an RFC 3339 timestamp"), -1;
    if (got) q->p[9] = str_param(r, s, n);
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
    q->p[11] = num_text(r, limit);
    got = kp_get_str(body, "after", false, 1, 64, &s, &n, e);
    if (got < 0) return -1;
    if (got) {
        search_key k;
        if (search_cursor_decode(s, n, &k) != 0 || k.sort != q->sort)
            return kp_err_set(e, "invalid_value", "after", "not a cursor from this search"), -1;
        char *kt = kp_arena_alloc(http_req_arena(r), 40);
        if (!kt) return kp_err_set(e, "internal", NULL, "out of memory"), -1;
        search_key_text(&k, kt, 40);
        q->p[12] = kt;
        q->p[13] = num_text(r, k.id);
    }
    return 0;
}

int api_search_parse(http_req *r, const kp_value *query, const char **p, kp_err *e)
{
    experts_req q;
    memset(&q, 0, sizeof q);
    if (experts_parse(r, query, &q, e) < 0) return -1;
    memcpy(p, q.p, sizeof q.p);
    return 0;
}

void api_search_answer(http_req *r, const PGresult *res)
{
    const kp_value *v = decode_answer(r, res);
    if (!v) {
        if (!PQntuples(res) || PQgetisnull(res, 0, 0))
            http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
    const kp_value *s = kp_map_get(v, "sort");
    search_sort sort = SEARCH_RECENT;
    if (s && s->type == KP_STR && search_sort_parse(s->v.s.ptr, s->v.s.len, &sort) != 0)
        sort = SEARCH_RECENT;
    if (!write_result(r, v, sort)) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
    http_reply(r, 200);
}

static void experts_done(http_req *r, const PGresult *res, void *data)
{
    const experts_req *q = data;
    const kp_value *v = decode_answer(r, res);
    if (!v) return;
    if (!write_result(r, v, q->sort)) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
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
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    memset(q, 0, sizeof *q);
    const kp_value *body = body_or_empty(r);
    if (kp_expect_map(body, NULL, &e) < 0 || experts_parse(r, body, q, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return;
    }
    viewer_params(r, who, q->p);
    api_query_with(r, STMT_SEARCH_EXPERTS, 14, q->p, experts_done, q);
}

void api_search_experts(http_req *r)
{
    optional_auth(r, experts_authed);
}

/* ---- POST /v1/search/fit ----------------------------------------------------- */

static const char *const fit_fields[] = {"text",          "sectors",   "countries",
                                         "degree_levels", "languages", "willing_to_mentor",
                                         "min_years",     "limit",     NULL};

static void plain_done(http_req *r, const PGresult *res)
{
    const kp_value *v = decode_answer(r, res);
    if (!v) {
        if (!PQntuples(res) || PQgetisnull(res, 0, 0))
            http_reply_error(r, 404, "not_found", "no such profile", NULL);
        return;
    }
    kp_w_value(http_req_out(r), v);
    http_reply(r, 200);
}

static void fit_authed(http_req *r, const api_principal *who)
{
    const char *p[10] = {NULL}, *s = NULL;
    uint32_t n = 0;
    int64_t limit = 20;
    kp_err e = {0};
    const kp_value *body = http_req_body(r);
    if (!body) {
        http_reply_error(r, 400, "missing_field", "a body is required", "text");
        return;
    }
    if (kp_expect_map(body, NULL, &e) < 0 || kp_check_fields(body, fit_fields, &e) < 0 ||
        kp_get_str(body, "text", true, 1, FIT_MAX, &s, &n, &e) < 0 ||
        get_filters(r, body, p + 3, &e) < 0 ||
        kp_get_int(body, "limit", false, 1, LIMIT_MAX, &limit, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return;
    }
    viewer_params(r, who, p);
    p[2] = str_param(r, s, n);
    p[9] = num_text(r, limit);
    api_query(r, STMT_SEARCH_FIT, 10, p, plain_done);
}

void api_search_fit(http_req *r)
{
    optional_auth(r, fit_authed);
}

/* ---- GET /v1/profiles/{id}/similar ----------------------------------------- */

/* Reads ?limit= (1..max, default def) into *out; replies and returns -1. */
static int query_limit(http_req *r, int def, int max, int *out)
{
    const char *v = NULL;
    int got = http_req_query_param(r, "limit", &v);
    *out = def;
    if (got == 0) return 0;
    if (got < 0 || !search_chars_valid(v, strlen(v), "0123456789", 1, 4)) {
        http_reply_error(r, 400, "invalid_value", "limit is an integer", "limit");
        return -1;
    }
    *out = atoi(v);
    if (*out < 1 || *out > max) {
        http_reply_error(r, 400, "out_of_range", "limit is out of range", "limit");
        return -1;
    }
    return 0;
}

static void similar_authed(http_req *r, const api_principal *who)
{
    const char *id = http_req_param(r, "id");
    size_t n = id ? strlen(id) : 0;
    int limit = 0;
    if (!id || !search_chars_valid(id, n, "0123456789", 1, 18) || id[0] == '0') {
        http_reply_error(r, 400, "invalid_value", "a profile id is a positive integer", "id");
        return;
    }
    if (query_limit(r, 10, LIMIT_MAX, &limit) < 0) return;
    const char *p[4] = {NULL, NULL, id, num_text(r, limit)};
    viewer_params(r, who, p);
    api_query(r, STMT_SEARCH_SIMILAR, 4, p, plain_done);
}

void api_search_similar(http_req *r)
{
    optional_auth(r, similar_authed);
}

/* ---- GET /v1/suggest ------------------------------------------------------------ */

void api_suggest(http_req *r)
{
    const char *q = NULL;
    int limit = 0;
    int got = http_req_query_param(r, "q", &q);
    if (got < 0) {
        http_reply_error(r, 400, "invalid_value", "bad percent-encoding", "q");
        return;
    }
    size_t chars = got ? kp_utf8_len(q, strlen(q)) : 0;
    if (!got || q[strspn(q, " \t")] == '\0') {
        http_reply_error(r, 400, "missing_field", "q is required", "q");
        return;
    }
    if (chars > SUGGEST_Q_MAX) {
        http_reply_error(r, 400, "too_long", "q is at most 100 characters", "q");
        return;
    }
    if (query_limit(r, SUGGEST_MAX, SUGGEST_MAX, &limit) < 0) return;
    const char *p[2] = {q, num_text(r, limit)};
    api_query(r, STMT_SEARCH_SUGGEST, 2, p, plain_done);
}
