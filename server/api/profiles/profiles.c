/* profiles.c — GET /v1/profiles/{id} and the directory GET /v1/profiles.
 * Visibility is decided in SQL (khnet_profile_view, khnet_profile_directory
 * in migrations/0003_profiles.sql), which returns each profile as JSON with
 * hidden keys absent; here we validate input, send one statement, and
 * re-encode the JSON as the negotiated msgpack/JSON body.
 *
 * Viewer: reads take an optional bearer token.  Without Authorization the
 * caller is anonymous; with one, api_authenticate must accept it (a bad,
 * expired or revoked token is 401, never a silent downgrade to anonymous).
 * profile_viewer is the one place that turns the principal into the SQL's
 * viewer parameters; the single-profile read instead hands the token's hash
 * to SQL, which authenticates and reads in the same statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "profile/profile.h"

typedef struct viewer {
    const char *account_id; /* decimal text, NULL = anonymous */
    const char *role;       /* khnet_accounts.role, NULL = anonymous */
} viewer;

static viewer profile_viewer(http_req *r, const api_principal *who)
{
    static const char *const roles[] = {"member", "moderator", "liaison", "admin"};
    if (!who) return (viewer){NULL, NULL};
    char *id = kp_arena_alloc(http_req_arena(r), 24);
    if (!id) return (viewer){NULL, NULL}; /* out of memory: the narrowest view */
    snprintf(id, 24, "%lld", (long long)who->account_id);
    return (viewer){id, roles[who->role]};
}

/* Runs next with the caller, or with NULL when no Authorization was sent. */
static void with_optional_viewer(http_req *r, api_authed next)
{
    size_t n = 0;
    if (http_req_header(r, "authorization", &n))
        api_authenticate(r, next);
    else
        next(r, NULL);
}

/* A positive decimal id without sign, spaces or leading zeros. */
static bool valid_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 18 || s[0] == '0') return false;
    return strspn(s, "0123456789") == n;
}

/* Writes a JSON document from the database as msgpack; false on failure. */
static bool write_json(http_req *r, const char *json)
{
    kp_value *v = NULL;
    kp_err e = {0};
    if (kp_json_decode(http_req_arena(r), json, strlen(json), NULL, &v, &e) != 0) return false;
    kp_w_value(http_req_out(r), v);
    return true;
}

/* One statement authenticates the token and reads the profile
 * (khnet_profile_view_by_token): one round trip instead of two. */
static void get_done(http_req *r, const PGresult *res)
{
    const char *st = api_col(res, "auth_status"), *json = api_col(res, "profile");
    if (st && !strcmp(st, "unauthenticated")) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return;
    }
    if (!st) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
    if (!json) {
        http_reply_error(r, 404, "not_found", "no such profile", NULL);
        return;
    }
    if (!write_json(r, json)) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
    http_reply(r, 200);
}

void api_profile_get(http_req *r)
{
    const char *id = http_req_param(r, "id"), *token_hex = NULL;
    if (!valid_id(id)) {
        http_reply_error(r, 400, "invalid_value", "a profile id is a positive integer", "id");
        return;
    }
    if (api_bearer_hex(r, &token_hex) != 0) return;
    const char *params[2] = {token_hex, id};
    api_query(r, STMT_PROFILE_GET_BY_TOKEN, 2, params, get_done);
}

/* ---- directory -------------------------------------------------------------- */

enum { LIST_DEFAULT = 20, LIST_MAX = 100 };

typedef struct list_req {
    const char *p[9]; /* statement parameters, in khnet_profile_directory order */
    int limit;
} list_req;

static bool matches(const char *s, const char *chars, size_t min, size_t max)
{
    size_t n = strlen(s);
    return n >= min && n <= max && strspn(s, chars) == n;
}

static const char *const degree_levels[] = {"bachelor", "master", "phd", "md",
                                            "engineer", "other",  NULL};

static bool one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(s, *set)) return true;
    return false;
}

/* Is the value of filter `name` acceptable?  (Unknown sectors just match
 * nothing: the list is editable, so only its form is checked here.) */
static bool filter_ok(const char *name, const char *v)
{
    static const char *const mentoring[] = {"willing", "seeking", NULL};
    if (!strcmp(name, "sector")) return matches(v, "abcdefghijklmnopqrstuvwxyz0123456789_", 2, 40);
    if (!strcmp(name, "country")) return matches(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2, 2);
    if (!strcmp(name, "degree")) return one_of(v, degree_levels);
    if (!strcmp(name, "mentoring")) return one_of(v, mentoring);
    return matches(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", 2, 35);
}

/* Fills q from the query string; on a bad parameter replies and returns -1. */
static int list_parse(http_req *r, list_req *q)
{
    static const char *const filters[] = {"sector", "country", "degree", "language", "mentoring"};
    const char *v = NULL;
    for (int i = 0; i < 5; i++) {
        int got = http_req_query_param(r, filters[i], &v);
        if (got < 0 || (got > 0 && !filter_ok(filters[i], v))) {
            http_reply_error(r, 400, "invalid_value", "not an accepted filter value", filters[i]);
            return -1;
        }
        q->p[2 + i] = got > 0 ? v : NULL;
    }
    q->limit = LIST_DEFAULT;
    int got = http_req_query_param(r, "limit", &v);
    if (got != 0) {
        if (got < 0 || !matches(v, "0123456789", 1, 4)) {
            http_reply_error(r, 400, "invalid_value", "limit is an integer", "limit");
            return -1;
        }
        q->limit = atoi(v);
        if (q->limit < 1 || q->limit > LIST_MAX) {
            http_reply_error(r, 400, "out_of_range", "limit is 1..100", "limit");
            return -1;
        }
    }
    int64_t after = 0;
    got = http_req_query_param(r, "after", &v);
    if (got < 0 || (got > 0 && profile_cursor_decode(v, strlen(v), &after) != 0)) {
        http_reply_error(r, 400, "invalid_value", "not a cursor from this listing", "after");
        return -1;
    }
    char *num = kp_arena_alloc(http_req_arena(r), 48);
    if (!num) return http_reply_error(r, 500, "internal", "out of memory", NULL), -1;
    snprintf(num, 24, "%lld", (long long)after);
    snprintf(num + 24, 24, "%d", q->limit + 1); /* one more tells whether a next page exists */
    q->p[7] = got > 0 ? num : NULL;
    q->p[8] = num + 24;
    return 0;
}

static void list_done(http_req *r, const PGresult *res)
{
    /* The statement asked for limit + 1 rows and echoes that number in
     * `fetch`, so a full answer means another page exists. */
    int rows = PQntuples(res);
    bool more = rows > 0 && rows == atoi(PQgetvalue(res, 0, 2));
    int n = more ? rows - 1 : rows;
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 2);
    kp_w_cstr(b, "items");
    kp_w_array(b, (uint32_t)n);
    for (int i = 0; i < n; i++)
        if (!write_json(r, PQgetvalue(res, i, 1))) {
            http_reply_error(r, 500, "internal", "internal error", NULL);
            return;
        }
    kp_w_cstr(b, "next");
    if (more) {
        char c[PROFILE_CURSOR_LEN + 1];
        profile_cursor_encode(strtoll(PQgetvalue(res, n - 1, 0), NULL, 10), c, sizeof c);
        kp_w_cstr(b, c);
    } else
        kp_w_nil(b);
    http_reply(r, 200);
}

static void list_authed(http_req *r, const api_principal *who)
{
    list_req q = {{NULL}, 0};
    if (list_parse(r, &q) != 0) return;
    viewer v = profile_viewer(r, who);
    q.p[0] = v.account_id;
    q.p[1] = v.role;
    api_query(r, STMT_PROFILE_LIST, 9, q.p, list_done);
}

/* The query string is checked before the token lookup (no query wasted on
 * a bad request) and parsed again once the caller is known: it is cheap. */
void api_profile_list(http_req *r)
{
    list_req q = {{NULL}, 0};
    if (list_parse(r, &q) != 0) return;
    with_optional_viewer(r, list_authed);
}
