/* chat.c — helpers shared by the messaging handlers (see chat.h): input
 * checks that name the field at fault, and the mapping of a messaging SQL
 * function's (status, field, body) row to the reply. */
#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"

const char *chat_num(http_req *r, int64_t v)
{
    char *s = kp_arena_alloc(http_req_arena(r), 24);
    if (s) snprintf(s, 24, "%lld", (long long)v);
    return s;
}

const char *chat_me(http_req *r, const api_principal *who)
{
    return chat_num(r, who->account_id);
}

static bool positive_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= 18 && s[0] != '0' && strspn(s, "0123456789") == n;
}

const char *chat_path_id(http_req *r, const char *name)
{
    const char *s = http_req_param(r, name);
    if (positive_id(s)) return s;
    http_reply_error(r, 400, "invalid_value", "an id is a positive integer", name);
    return NULL;
}

const char *chat_str(http_req *r, const kp_value *b, const char *key, uint32_t max_chars,
                     size_t max_bytes)
{
    const char *s = NULL;
    uint32_t n = 0;
    kp_err e = {0};
    if (kp_get_str(b, key, true, 1, max_chars, &s, &n, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return NULL;
    }
    if (n > max_bytes) {
        char msg[64];
        snprintf(msg, sizeof msg, "at most %zu bytes of UTF-8", max_bytes);
        http_reply_error(r, 400, "too_long", msg, key);
        return NULL;
    }
    char *out = kp_arena_strndup(http_req_arena(r), s, n);
    if (!out) http_reply_error(r, 500, "internal", "out of memory", NULL);
    return out;
}

int chat_page(http_req *r, const char *cursor, int def, const char **key, const char **limit)
{
    const char *v = NULL;
    int64_t k = 0;
    int lim = def;
    *key = NULL;
    int got = cursor ? http_req_query_param(r, cursor, &v) : 0;
    if (got < 0 || (got > 0 && profile_cursor_decode(v, strlen(v), &k) != 0)) {
        http_reply_error(r, 400, "invalid_value", "not a cursor from this listing", cursor);
        return -1;
    }
    bool want_key = got > 0;
    if (want_key) *key = chat_num(r, k);
    got = http_req_query_param(r, "limit", &v);
    if (got != 0) {
        size_t n = got > 0 ? strlen(v) : 0;
        if (got < 0 || n == 0 || n > 4 || strspn(v, "0123456789") != n) {
            http_reply_error(r, 400, "invalid_value", "limit is an integer", "limit");
            return -1;
        }
        lim = atoi(v);
        if (lim < 1 || lim > 100) {
            http_reply_error(r, 400, "out_of_range", "limit is 1..100", "limit");
            return -1;
        }
    }
    *limit = chat_num(r, lim);
    if ((want_key && !*key) || !*limit) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return -1;
    }
    return 0;
}

bool chat_moderator(http_req *r, const api_principal *who)
{
    if (who->role == ROLE_MODERATOR || who->role == ROLE_ADMIN) return true;
    http_reply_error(r, 403, "forbidden", "moderators and admins only", NULL);
    return false;
}

/* ---- replies ------------------------------------------------------------------ */

static int error_status(const char *code)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {{"not_found", 404}, {"forbidden", 403},     {"blocked", 403}, {"silenced", 403},
               {"conflict", 409},  {"invalid_value", 400}, {"too_long", 400}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(code, map[i].code)) return map[i].status;
    return 0;
}

static const kp_value *json_value(http_req *r, const char *json)
{
    kp_value *v = NULL;
    kp_err e = {0};
    if (!json || kp_json_decode(http_req_arena(r), json, strlen(json), NULL, &v, &e) != 0)
        return NULL;
    return v->type == KP_MAP ? v : NULL;
}

static void write_cursor(kp_buf *b, const kp_value *v)
{
    if (v->type != KP_INT || v->v.i < 1) {
        kp_w_nil(b);
        return;
    }
    char c[PROFILE_CURSOR_LEN + 1];
    profile_cursor_encode(v->v.i, c, sizeof c);
    kp_w_cstr(b, c);
}

/* The body document, with next_key / prev_key turned into cursors. */
static void write_body(kp_buf *b, const kp_value *doc)
{
    kp_w_map(b, doc->v.map.n);
    for (uint32_t i = 0; i < doc->v.map.n; i++) {
        const kp_pair *p = &doc->v.map.pairs[i];
        const char *k = p->key.v.s.ptr;
        uint32_t n = p->key.v.s.len;
        if ((n == 8 && !memcmp(k, "next_key", 8)) || (n == 8 && !memcmp(k, "prev_key", 8))) {
            kp_w_str(b, k, 4);
            write_cursor(b, &p->val);
        } else {
            kp_w_str(b, k, n);
            kp_w_value(b, &p->val);
        }
    }
}

static void write_error(http_req *r, int status, const char *code, const char *field,
                        const kp_value *doc)
{
    const kp_value *m = doc ? kp_map_get(doc, "message") : NULL;
    const kp_value *until = doc ? kp_map_get(doc, "until") : NULL;
    kp_buf *b = http_req_out(r);
    bool has_until = until && until->type == KP_STR;
    kp_w_map(b, 1);
    kp_w_cstr(b, "error");
    kp_w_map(b, 2 + (field ? 1 : 0) + (has_until ? 1 : 0));
    kp_w_cstr(b, "code");
    kp_w_cstr(b, code);
    kp_w_cstr(b, "message");
    if (m && m->type == KP_STR)
        kp_w_str(b, m->v.s.ptr, m->v.s.len);
    else
        kp_w_cstr(b, code);
    if (field) {
        kp_w_cstr(b, "field");
        kp_w_cstr(b, field);
    }
    if (has_until) {
        kp_w_cstr(b, "until");
        kp_w_str(b, until->v.s.ptr, until->v.s.len);
    }
    http_reply(r, status);
}

static void outcome(http_req *r, const PGresult *res, int ok_status)
{
    const char *status = api_col(res, "status");
    const kp_value *doc = json_value(r, api_col(res, "body"));
    if (!status || !doc) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
    if (!strcmp(status, "ok") || !strcmp(status, "created")) {
        if (ok_status == 204) {
            http_reply(r, 204);
            return;
        }
        write_body(http_req_out(r), doc);
        http_reply(r, !strcmp(status, "created") ? 201 : ok_status);
        return;
    }
    int st = error_status(status);
    if (!st) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
    write_error(r, st, status, api_col(res, "field"), doc);
}

void chat_done(http_req *r, const PGresult *res)
{
    outcome(r, res, 200);
}
void chat_done_empty(http_req *r, const PGresult *res)
{
    outcome(r, res, 204);
}
