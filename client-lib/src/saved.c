/* saved.c — typed calls for saved searches (PROTOCOL.md "Saved searches"):
 * create (from a khnet_search_query or JSON text), list, delete and "new
 * since I last looked".  Everything goes through khnet_call, so replies,
 * errors and ownership are khnet_call's.  Values are checked by the server;
 * here only what cannot be sent is refused. */
#include <stdio.h>
#include <string.h>

#include "khnet_int.h"

/* Sends {name, query} with q the query's msgpack (freed here). */
static khnet_err send_create(khnet_ctx *ctx, const char *name, kp_buf *q, khnet_reply **out)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 2);
    kp_w_cstr(&b, "name");
    kp_w_cstr(&b, name);
    kp_w_cstr(&b, "query");
    kp_buf_append(&b, q->data, q->len);
    b.oom = b.oom || q->oom;
    kp_buf_free(q);
    return khnet__send_body(ctx, "POST", "/v1/saved-searches", &b, out);
}

khnet_err khnet_saved_search_create(khnet_ctx *ctx, const char *name,
                                    const khnet_search_query *query, khnet_reply **out)
{
    khnet_search_query s;
    if (!ctx || !name || !query || khnet__search_query_in(ctx, query, &s) < 0 || s.after ||
        s.limit < 0 || s.min_years < 0)
        return KHNET_ERR_ARG;
    kp_buf q;
    kp_buf_init(&q);
    khnet__search_body(&q, &s);
    return send_create(ctx, name, &q, out);
}

khnet_err khnet_saved_search_create_json(khnet_ctx *ctx, const char *name, const char *query_json,
                                         khnet_reply **out)
{
    if (!name || !query_json) return KHNET_ERR_ARG;
    kp_arena *a = kp_arena_new(4096);
    kp_value *v = NULL;
    kp_err e = {0};
    if (!a) return KHNET_ERR_NOMEM;
    khnet_err rc = KHNET_ERR_ARG;
    if (kp_json_decode(a, query_json, strlen(query_json), NULL, &v, &e) == 0 && v->type == KP_MAP) {
        kp_buf q;
        kp_buf_init(&q);
        kp_w_value(&q, v);
        rc = send_create(ctx, name, &q, out);
    }
    kp_arena_free(a);
    return rc;
}

khnet_err khnet_saved_searches_list(khnet_ctx *ctx, const char *after, int limit, khnet_reply **out)
{
    char path[512] = "/v1/saved-searches";
    if (after && strlen(after) > 128) return KHNET_ERR_ARG;
    return khnet__get_paged(ctx, path, sizeof path, after, limit, out);
}

khnet_err khnet_saved_search_delete(khnet_ctx *ctx, int64_t id, khnet_reply **out)
{
    char path[64];
    if (id < 1) return KHNET_ERR_ARG;
    snprintf(path, sizeof path, "/v1/saved-searches/%lld", (long long)id);
    return khnet_call(ctx, "DELETE", path, NULL, 0, out);
}

khnet_err khnet_saved_search_new(khnet_ctx *ctx, int64_t id, int peek, const char *after,
                                 khnet_reply **out)
{
    char path[512];
    if (id < 1 || (after && strlen(after) > 128)) return KHNET_ERR_ARG;
    snprintf(path, sizeof path, "/v1/saved-searches/%lld/new", (long long)id);
    khnet__add_param(path, sizeof path, "peek", peek ? "true" : NULL);
    khnet__add_param(path, sizeof path, "after", after);
    return khnet_call(ctx, "GET", path, NULL, 0, out);
}
