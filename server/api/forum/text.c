/* text.c — what the forum's writers share: a post's markdown read and
 * rendered (server/forum/), optional id fields, and the reply of a write
 * (rate_limited carries Retry-After), and the DELETE of a post or a
 * thread with its optional reason. */
#include <stdio.h>
#include <string.h>

#include "forum.h"
#include "forum/forum.h"

int forum_text_read(http_req *r, const kp_value *b, forum_text *out)
{
    const char *md = api_str(r, b, "markdown", FORUM_BODY_MAX, FORUM_BODY_MAX);
    if (!md) return -1;
    kp_arena *a = http_req_arena(r);
    forum_doc *d = kp_arena_alloc(a, sizeof *d);
    if (!d || forum_render(a, md, strlen(md), d) != 0) {
        api_oom(r);
        return -1;
    }
    out->markdown = md;
    out->html = d->html;
    out->mentions = forum_mentions_literal(a, d);
    out->links = api_dec_of(d->nlinks);
    if (!out->mentions) {
        api_oom(r);
        return -1;
    }
    return 0;
}

const char *forum_opt_id(http_req *r, const kp_value *b, const char *key, bool *bad)
{
    int64_t v = 0;
    int got = api_int(r, b, key, false, 1, INT64_MAX, &v);
    if (got < 0) {
        *bad = true;
        return NULL;
    }
    if (got == 0) return NULL;
    char *s = kp_arena_alloc(http_req_arena(r), 24);
    if (!s) {
        api_oom(r);
        *bad = true;
        return NULL;
    }
    snprintf(s, 24, "%lld", (long long)v);
    return s;
}

void forum_delete(http_req *r, const api_principal *who, const db_stmt *stmt)
{
    const char *id = api_path_id(r, "id");
    if (!id) return;
    const char *reason = NULL;
    int got = api_query_param(r, "reason", &reason);
    if (got < 0) return;
    if ((got > 0 && (reason[0] == '\0' || !kp_utf8_valid(reason, strlen(reason)) ||
                     kp_utf8_len(reason, strlen(reason)) > FORUM_REASON_MAX))) {
        api_fail(r, "invalid_value", "a reason is 1-1000 characters", "reason");
        return;
    }
    api_dec me = api_dec_of(who->account_id);
    const char *p[4] = {me.s, api_role_name(who->role), id, got > 0 ? reason : NULL};
    api_query(r, stmt, 4, p, api_reply_row);
}

void forum_reply_row(http_req *r, const PGresult *res)
{
    const char *status = api_col(res, "status");
    if (status && strcmp(status, "rate_limited") == 0) {
        const kp_value *doc = api_json(r, api_col(res, "body"), NULL);
        if (!doc) return;
        const kp_value *after = kp_map_get(doc, "retry_after");
        char secs[24] = "60";
        if (after && after->type == KP_INT)
            snprintf(secs, sizeof secs, "%lld", (long long)after->v.i);
        http_req_add_header(r, "Retry-After", secs);
    }
    api_reply_row(r, res);
}

const char *forum_json(http_req *r, const kp_value *v)
{
    kp_buf json;
    kp_buf_init(&json);
    kp_json_write(&json, v);
    char *out = json.oom ? NULL : kp_arena_strndup(http_req_arena(r), (char *)json.data, json.len);
    kp_buf_free(&json);
    if (!out) api_oom(r);
    return out;
}
