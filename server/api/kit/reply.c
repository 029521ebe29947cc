/* reply.c — the kit's replies: errors by code (the status comes from the
 * error table), SQL's JSON documents re-encoded as msgpack with their cursor
 * keys made opaque, and the one shape of a SQL function's answer, the row
 * (status, field, body), turned into the reply (an ok row's body transcoded
 * without a tree when proto's fast path takes it). */
#include <string.h>

#include "kit.h"
#include "log.h"
#include "profile/profile.h"

void api_fail(http_req *r, const char *code, const char *message, const char *field)
{
    int status = kp_error_status(code);
    if (!status) { /* a code PROTOCOL.md does not list: our bug, not the client's */
        log_event("error", "msg=\"unlisted error code\" rid=%s code=%s", http_req_id(r), code);
        code = "internal", message = "internal error", field = NULL, status = 500;
    }
    http_reply_error(r, status, code, message, field);
}

void api_fail_kperr(http_req *r, const kp_err *e)
{
    const char *code = e->code ? e->code : "bad_request";
    api_fail(r, code, e->message, e->field[0] ? e->field : NULL);
}

void api_oom(http_req *r)
{
    api_fail(r, "internal", "out of memory", NULL);
}

void api_cursor_id(kp_buf *b, const kp_value *key, void *data)
{
    (void)data;
    if (key->type != KP_INT || key->v.i < 1) {
        kp_w_nil(b);
        return;
    }
    char c[PROFILE_CURSOR_LEN + 1];
    profile_cursor_encode(key->v.i, c, sizeof c);
    kp_w_cstr(b, c);
}

static bool is_cursor_key(const kp_value *k)
{
    return k->v.s.len == 8 &&
           (!memcmp(k->v.s.ptr, "next_key", 8) || !memcmp(k->v.s.ptr, "prev_key", 8));
}

/* doc as msgpack into b, its top-level cursor keys through `cursor`. */
static void write_doc(kp_buf *b, const kp_value *doc, api_cursor_fn cursor, void *data)
{
    if (doc->type != KP_MAP || !cursor) {
        kp_w_value(b, doc);
        return;
    }
    kp_w_map(b, doc->v.map.n);
    for (uint32_t i = 0; i < doc->v.map.n; i++) {
        const kp_pair *p = &doc->v.map.pairs[i];
        if (is_cursor_key(&p->key)) {
            kp_w_str(b, p->key.v.s.ptr, 4); /* next_key → next, prev_key → prev */
            cursor(b, &p->val, data);
        } else {
            kp_w_value(b, &p->key);
            kp_w_value(b, &p->val);
        }
    }
}

static const kp_value *decode(http_req *r, const char *json, const kp_limits *lim)
{
    kp_value *v = NULL;
    kp_err e = {0};
    if (!json || kp_json_decode(http_req_arena(r), json, strlen(json), lim, &v, &e) != 0)
        return NULL;
    return v;
}

const kp_value *api_json(http_req *r, const char *json, const kp_limits *lim)
{
    const kp_value *v = decode(r, json, lim);
    if (!v) api_fail(r, "internal", "internal error", NULL);
    return v;
}

void api_write_doc(http_req *r, const kp_value *doc, api_cursor_fn cursor, void *data)
{
    write_doc(http_req_out(r), doc, cursor, data);
}

int api_write_json(http_req *r, const char *json, const kp_limits *lim, api_cursor_fn cursor,
                   void *data)
{
    const kp_value *v = api_json(r, json, lim);
    if (!v) return -1;
    write_doc(http_req_out(r), v, cursor, data);
    return 0;
}

void api_reply_json(http_req *r, int status, const char *json, api_cursor_fn cursor, void *data)
{
    if (api_write_json(r, json, NULL, cursor, data) == 0) http_reply(r, status);
}

/* {error: {code, message, field?, until?, reasons?}}: the extras an error
 * body may carry are `until` (a silence's end, PROTOCOL.md "silenced") and
 * `reasons` (the hard rules a mentor breaks, "not_eligible"). */
static void reply_error_doc(http_req *r, const char *code, const char *field, const kp_value *doc)
{
    const kp_value *m = doc ? kp_map_get(doc, "message") : NULL;
    const kp_value *until = doc ? kp_map_get(doc, "until") : NULL;
    const kp_value *reasons = doc ? kp_map_get(doc, "reasons") : NULL;
    bool has_until = until && until->type == KP_STR;
    bool has_reasons = reasons && reasons->type == KP_ARRAY;
    kp_buf *b = http_req_out(r);
    kp_buf_reset(b);
    kp_w_map(b, 1);
    kp_w_cstr(b, "error");
    kp_w_map(b, 2 + (field ? 1 : 0) + (has_until ? 1 : 0) + (has_reasons ? 1 : 0));
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
    if (has_reasons) {
        kp_w_cstr(b, "reasons");
        kp_w_value(b, reasons);
    }
    int status = kp_error_status(code);
    if (!status) {
        api_fail(r, code, "", NULL); /* logged and answered as internal */
        return;
    }
    if (status == 401) /* RFC 9110: every 401 names a scheme */
        http_req_add_header(r, "WWW-Authenticate", "Bearer");
    http_reply(r, status);
}

const kp_value *api_row_body(http_req *r, const PGresult *res, bool *created)
{
    return api_row_body_lim(r, res, NULL, created);
}

const kp_value *api_row_body_lim(http_req *r, const PGresult *res, const kp_limits *lim,
                                 bool *created)
{
    const char *status = api_col(res, "status");
    const kp_value *doc = decode(r, api_col(res, "body"), lim);
    if (!status || !doc || doc->type != KP_MAP) {
        api_fail(r, "internal", "internal error", NULL);
        return NULL;
    }
    *created = !strcmp(status, "created");
    if (!*created && strcmp(status, "ok") != 0) {
        reply_error_doc(r, status, api_col(res, "field"), doc);
        return NULL;
    }
    return doc;
}

static bool key_is(const kp_value *k, const char *name)
{
    return name && k->v.s.len == strlen(name) && !memcmp(k->v.s.ptr, name, k->v.s.len);
}

void api_write_doc_plus(http_req *r, const kp_value *doc, const char *skip, uint32_t extra)
{
    kp_buf *b = http_req_out(r);
    uint32_t n = extra;
    for (uint32_t i = 0; i < doc->v.map.n; i++)
        n += !key_is(&doc->v.map.pairs[i].key, skip);
    kp_w_map(b, n);
    for (uint32_t i = 0; i < doc->v.map.n; i++) {
        const kp_pair *p = &doc->v.map.pairs[i];
        if (key_is(&p->key, skip)) continue;
        kp_w_value(b, &p->key);
        kp_w_value(b, &p->val);
    }
}

static bool top_wants(const char *key, size_t n, void *data)
{
    (void)data;
    kp_value k = {.type = KP_STR, .v.s = {.ptr = key, .len = (uint32_t)n}};
    return is_cursor_key(&k);
}

typedef struct top_cursor {
    api_cursor_fn cursor;
    void *data;
} top_cursor;

static void top_put(kp_buf *b, const char *key, size_t n, const kp_value *val, void *data)
{
    (void)n;
    const top_cursor *tc = data;
    kp_w_str(b, key, 4); /* next_key → next, prev_key → prev */
    tc->cursor(b, val, tc->data);
}

/* An ok row's body straight from its JSON text to msgpack (proto's
 * kp_json_transcode): a thread page's 16 KB never becomes a tree.  true
 * when replied; false leaves the row to the tree path below. */
static bool reply_row_fast(http_req *r, const PGresult *res, int ok_status, api_cursor_fn cursor,
                           void *data)
{
    const char *status = api_col(res, "status"), *body = api_col(res, "body");
    bool created = status && !strcmp(status, "created");
    if (!status || !body || ok_status == 204 || (!created && strcmp(status, "ok") != 0))
        return false;
    top_cursor tc = {.cursor = cursor ? cursor : api_cursor_id, .data = data};
    kp_json_top top = {.wants = top_wants, .put = top_put, .data = &tc, .arena = http_req_arena(r)};
    if (kp_json_transcode(http_req_out(r), body, strlen(body), NULL, &top) != 0) return false;
    http_reply(r, created ? 201 : ok_status);
    return true;
}

void api_reply_row_with(http_req *r, const PGresult *res, int ok_status, api_cursor_fn cursor,
                        void *data)
{
    if (reply_row_fast(r, res, ok_status, cursor, data)) return;
    bool created = false;
    const kp_value *doc = api_row_body(r, res, &created);
    if (!doc) return;
    if (ok_status == 204) {
        http_reply(r, 204);
        return;
    }
    write_doc(http_req_out(r), doc, cursor ? cursor : api_cursor_id, data);
    http_reply(r, created ? 201 : ok_status);
}

void api_reply_row(http_req *r, const PGresult *res)
{
    api_reply_row_with(r, res, 200, NULL, NULL);
}

void api_reply_row_empty(http_req *r, const PGresult *res)
{
    api_reply_row_with(r, res, 204, NULL, NULL);
}
