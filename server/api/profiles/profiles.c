/* profiles.c — GET /v1/profiles/{id} and the directory GET /v1/profiles.
 * Visibility is decided in SQL (khnet_profile_view, khnet_profile_directory
 * in migrations/0003_profiles.sql), which returns each profile as JSON with
 * hidden keys absent; here we validate input, send one statement, and
 * re-encode the JSON as the negotiated msgpack/JSON body.
 *
 * Viewer: reads take an optional bearer token (api_authenticate_optional:
 * a bad, expired or revoked token is 401, never a silent downgrade to
 * anonymous).  The single-profile read instead hands the token's hash to
 * SQL, which authenticates and reads in the same statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"
#include "profiles.h"

/* One statement authenticates the token and reads the profile
 * (khnet_profile_view_by_token): one round trip instead of two; a bad token
 * is its 401 unauthenticated. */
void api_profile_get(http_req *r)
{
    const char *id = api_path_id(r, "id"), *token_hex = NULL;
    if (!id || api_bearer_hex(r, &token_hex) != 0) return;
    const char *params[2] = {token_hex, id};
    api_query(r, PROF_STMT(GET_BY_TOKEN), 2, params, api_reply_row);
}

/* ---- directory -------------------------------------------------------------- */

enum { LIST_DEFAULT = 20, LIST_MAX = 100 };

typedef struct list_req {
    const char *p[9]; /* statement parameters, in khnet_profile_directory order */
    api_dec viewer;   /* p[0]'s text */
    int limit;
} list_req;

/* Is the value of filter `name` acceptable?  (Unknown sectors just match
 * nothing: the list is editable, so only its form is checked here.) */
static bool filter_ok(const char *name, const char *v)
{
    static const char *const mentoring[] = {"willing", "seeking", NULL};
    size_t n = strlen(v);
    if (!strcmp(name, "sector"))
        return api_chars(v, n, "abcdefghijklmnopqrstuvwxyz0123456789_", 2, 40);
    if (!strcmp(name, "country")) return api_chars(v, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 2, 2);
    if (!strcmp(name, "degree")) return api_one_of(v, n, api_degree_levels);
    if (!strcmp(name, "mentoring")) return api_one_of(v, n, mentoring);
    return api_chars(v, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", 2,
                     35);
}

/* Fills q from the query string; on a bad parameter replies and returns -1. */
static int list_parse(http_req *r, list_req *q)
{
    static const char *const filters[] = {"sector", "country", "degree", "language", "mentoring"};
    const char *v = NULL;
    for (int i = 0; i < 5; i++) {
        int got = api_query_param(r, filters[i], &v);
        if (got < 0) return -1;
        if (got > 0 && !filter_ok(filters[i], v)) {
            api_fail(r, "invalid_value", "not an accepted filter value", filters[i]);
            return -1;
        }
        q->p[2 + i] = got > 0 ? v : NULL;
    }
    if (api_limit(r, LIST_DEFAULT, LIST_MAX, &q->limit) != 0) return -1;
    int64_t after = 0;
    int got = api_query_param(r, "after", &v);
    if (got < 0) return -1;
    if (got > 0 && profile_cursor_decode(v, strlen(v), &after) != 0) {
        api_fail(r, "invalid_value", "not a cursor from this listing", "after");
        return -1;
    }
    char *num = kp_arena_alloc(http_req_arena(r), 48);
    if (!num) return api_oom(r), -1;
    snprintf(num, 24, "%lld", (long long)after);
    snprintf(num + 24, 24, "%d", q->limit);
    q->p[7] = got > 0 ? num : NULL;
    q->p[8] = num + 24;
    return 0;
}

static void list_authed(http_req *r, const api_principal *who)
{
    list_req q = {{NULL}, {{0}}, 0};
    if (list_parse(r, &q) != 0) return;
    api_viewer(who, &q.viewer, q.p);
    api_query(r, PROF_STMT(LIST), 9, q.p, api_reply_row); /* next_key: the cursor */
}

/* The query string is checked before the token lookup (no query wasted on
 * a bad request) and parsed again once the caller is known: it is cheap. */
void api_profile_list(http_req *r)
{
    list_req q = {{NULL}, {{0}}, 0};
    if (list_parse(r, &q) != 0) return;
    api_authenticate_optional(r, list_authed);
}
