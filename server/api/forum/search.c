/* search.c — POST /v1/forum/search: full text over titles, tags and posts
 * with expert search's folding (PROTOCOL.md "Forums").  The query, the
 * visibility of hidden and deleted posts, and the ranking are SQL's
 * (khnet_forum_search); here the body is checked field by field, and the
 * keyset (rank, post id) goes to and from the opaque cursor expert search
 * uses for its relevance order (server/search/cursor.c). */
#include <string.h>

#include "forum.h"
#include "forum/forum.h"
#include "search/search.h"

enum { Q_MAX = 200, LIMIT_MAX = 50 };

/* Optional RFC 3339 date-time field `key` into *out; -1 after replying. */
static int time_field(http_req *r, const kp_value *b, const char *key, const char **out)
{
    const char *s = NULL;
    uint32_t n = 0;
    kp_err e = {0};
    int got = kp_get_str(b, key, false, 1, 40, &s, &n, &e);
    if (got < 0) {
        api_fail_kperr(r, &e);
        return -1;
    }
    if (got == 0) return 0;
    if (!search_rfc3339_valid(s, n)) {
        api_fail(r, "invalid_value", "an RFC 3339 date-time", key);
        return -1;
    }
    *out = kp_arena_strndup(http_req_arena(r), s, n);
    if (!*out) api_oom(r);
    return *out ? 0 : -1;
}

/* `after`, a relevance cursor, into p[8] (the rank) and p[9] (the post
 * id); -1 after replying. */
static int after_field(http_req *r, const kp_value *b, const char **p)
{
    const kp_value *after = kp_map_get(b, "after");
    if (!after || after->type == KP_NIL) return 0;
    search_key k;
    if (after->type != KP_STR || search_cursor_decode(after->v.s.ptr, after->v.s.len, &k) != 0 ||
        k.sort != SEARCH_RELEVANCE) {
        api_fail(r, "invalid_value", "not a cursor from this search", "after");
        return -1;
    }
    char *rank = kp_arena_alloc(http_req_arena(r), 40);
    api_dec id = api_dec_of(k.id);
    p[9] = kp_arena_strndup(http_req_arena(r), id.s, strlen(id.s));
    if (!rank || !p[9]) {
        api_oom(r);
        return -1;
    }
    search_key_text(&k, rank, 40);
    p[8] = rank;
    return 0;
}

/* The answer's next_key ("rank|id") as a relevance cursor. */
static void rank_cursor(kp_buf *b, const kp_value *key, void *data)
{
    (void)data;
    char txt[64], c[SEARCH_CURSOR_LEN + 1];
    search_key k;
    if (key->type == KP_STR && key->v.s.len < sizeof txt) {
        memcpy(txt, key->v.s.ptr, key->v.s.len);
        txt[key->v.s.len] = '\0';
        if (search_key_parse(txt, SEARCH_RELEVANCE, &k) == 0) {
            search_cursor_encode(&k, c, sizeof c);
            kp_w_cstr(b, c);
            return;
        }
    }
    kp_w_nil(b);
}

static void search_done(http_req *r, const PGresult *res)
{
    api_reply_row_with(r, res, 200, rank_cursor, NULL);
}

/* The optional filters: category_id, author_id, tag; p[3..5]. */
static int filters(http_req *r, const kp_value *b, const char **p)
{
    bool bad = false;
    p[3] = forum_opt_id(r, b, "category_id", &bad);
    p[4] = bad ? NULL : forum_opt_id(r, b, "author_id", &bad);
    if (bad) return -1;
    const kp_value *tag = kp_map_get(b, "tag");
    if (tag && tag->type != KP_NIL) {
        const char *s = tag->type == KP_STR ? tag->v.s.ptr : NULL;
        size_t n = tag->type == KP_STR ? tag->v.s.len : 0;
        if (!s || forum_tag_check(&s, &n) != 0) {
            api_fail(r, s ? "invalid_value" : "invalid_type", "a tag is 1-40 characters", "tag");
            return -1;
        }
        p[5] = kp_arena_strndup(http_req_arena(r), s, n);
        if (!p[5]) {
            api_oom(r);
            return -1;
        }
    }
    return 0;
}

static void search_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"q",     "category_id", "author_id", "tag", "since",
                                          "until", "limit",       "after",     NULL};
    const kp_value *b = api_body(r, allowed);
    const char *q = b ? api_str(r, b, "q", Q_MAX, (size_t)4 * Q_MAX) : NULL;
    if (!q) return;
    api_dec me, lim;
    const char *p[11] = {NULL};
    api_viewer(who, &me, p);
    p[2] = q;
    if (filters(r, b, p) != 0 || time_field(r, b, "since", &p[6]) != 0 ||
        time_field(r, b, "until", &p[7]) != 0 || after_field(r, b, p) != 0)
        return;
    int64_t limit = 20;
    if (api_int(r, b, "limit", false, 1, LIMIT_MAX, &limit) < 0) return;
    lim = api_dec_of(limit);
    p[10] = lim.s;
    api_query(r, FORUM_STMT(SEARCH), 11, p, search_done);
}

void api_forum_search(http_req *r)
{
    api_authenticate_optional(r, search_authed);
}
