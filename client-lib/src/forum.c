/* forum.c — typed calls for the forums and their moderation (PROTOCOL.md
 * "Forums", "Moderation").  Each builds its path and msgpack body and goes
 * through khnet_call, so replies, errors and ownership are khnet_call's.
 * Values are checked by the server; here only what cannot be sent (a NULL
 * required string, an id < 1) is refused with KHNET_ERR_ARG.  The _idem
 * variants send an Idempotency-Key (PROTOCOL.md "Retrying a post"). */
#include <stdio.h>
#include <string.h>

#include "khnet.h"
#include "khnet_int.h"

/* path = base + "/" + id + tail, with ?after= and ?limit= when given. */
static khnet_err get_page(khnet_ctx *ctx, const char *base, int64_t id, const char *tail,
                          const char *after, int limit, khnet_reply **out)
{
    char path[512];
    if (id < 1 || (after && strlen(after) > 128)) return KHNET_ERR_ARG;
    snprintf(path, sizeof path, "%s/%lld%s", base, (long long)id, tail);
    return khnet__get_paged(ctx, path, sizeof path, after, limit, out);
}

/* The moderation lists: base?NAME=value&category_id=&after=&limit=, each
 * only when given (value longer than max: KHNET_ERR_ARG). */
static khnet_err mod_list(khnet_ctx *ctx, const char *base, const char *name, const char *value,
                          size_t max, int64_t category_id, const char *after, int limit,
                          khnet_reply **out)
{
    char path[512], num[24];
    if (category_id < 0 || (after && strlen(after) > 128) || (value && strlen(value) > max))
        return KHNET_ERR_ARG;
    snprintf(path, sizeof path, "%s", base);
    khnet__add_param(path, sizeof path, name, value);
    snprintf(num, sizeof num, "%lld", (long long)category_id);
    khnet__add_param(path, sizeof path, "category_id", category_id > 0 ? num : NULL);
    return khnet__get_paged(ctx, path, sizeof path, after, limit, out);
}

/* POST path with body b (freed here) and Idempotency-Key key (NULL: none). */
static khnet_err post_keyed(khnet_ctx *ctx, const char *path, kp_buf *b, const char *key,
                            khnet_reply **out)
{
    khnet_request req = KHNET_REQUEST_INIT;
    req.method = "POST";
    req.path = path;
    req.body = b->data;
    req.body_len = b->len;
    req.idempotency_key = key;
    khnet_err rc = b->oom ? KHNET_ERR_NOMEM : khnet_call_ex(ctx, &req, out);
    kp_buf_free(b);
    return rc;
}

khnet_err khnet_forum_categories(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/forum/categories", NULL, 0, out);
}

khnet_err khnet_forum_threads(khnet_ctx *ctx, int64_t category_id, const char *after, int limit,
                              khnet_reply **out)
{
    return get_page(ctx, "/v1/forum/categories", category_id, "/threads", after, limit, out);
}

khnet_err khnet_forum_thread_start(khnet_ctx *ctx, int64_t category_id, const char *title,
                                   const char *markdown, const char *const *tags, size_t n_tags,
                                   khnet_reply **out)
{
    return khnet_forum_thread_start_idem(ctx, category_id, title, markdown, tags, n_tags, NULL,
                                         out);
}

khnet_err khnet_forum_thread_start_idem(khnet_ctx *ctx, int64_t category_id, const char *title,
                                        const char *markdown, const char *const *tags,
                                        size_t n_tags, const char *idempotency_key,
                                        khnet_reply **out)
{
    if (category_id < 1 || !title || !markdown || (n_tags && !tags) || n_tags > 64)
        return KHNET_ERR_ARG;
    for (size_t i = 0; i < n_tags; i++)
        if (!tags[i]) return KHNET_ERR_ARG;
    char path[80];
    snprintf(path, sizeof path, "/v1/forum/categories/%lld/threads", (long long)category_id);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, n_tags ? 3 : 2);
    kp_w_cstr(&b, "title");
    kp_w_cstr(&b, title);
    kp_w_cstr(&b, "markdown");
    kp_w_cstr(&b, markdown);
    if (n_tags) {
        kp_w_cstr(&b, "tags");
        kp_w_array(&b, (uint32_t)n_tags);
        for (size_t i = 0; i < n_tags; i++)
            kp_w_cstr(&b, tags[i]);
    }
    return post_keyed(ctx, path, &b, idempotency_key, out);
}

khnet_err khnet_forum_thread_get(khnet_ctx *ctx, int64_t thread_id, khnet_reply **out)
{
    return get_page(ctx, "/v1/forum/threads", thread_id, "", NULL, 0, out);
}

khnet_err khnet_forum_posts(khnet_ctx *ctx, int64_t thread_id, const char *after, int limit,
                            khnet_reply **out)
{
    return get_page(ctx, "/v1/forum/threads", thread_id, "/posts", after, limit, out);
}

khnet_err khnet_forum_reply(khnet_ctx *ctx, int64_t thread_id, const char *markdown,
                            int64_t reply_to, int64_t quote_of, khnet_reply **out)
{
    return khnet_forum_reply_idem(ctx, thread_id, markdown, reply_to, quote_of, NULL, out);
}

khnet_err khnet_forum_reply_idem(khnet_ctx *ctx, int64_t thread_id, const char *markdown,
                                 int64_t reply_to, int64_t quote_of, const char *idempotency_key,
                                 khnet_reply **out)
{
    if (thread_id < 1 || !markdown || reply_to < 0 || quote_of < 0) return KHNET_ERR_ARG;
    char path[80];
    snprintf(path, sizeof path, "/v1/forum/threads/%lld/posts", (long long)thread_id);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 1 + (reply_to > 0) + (quote_of > 0));
    kp_w_cstr(&b, "markdown");
    kp_w_cstr(&b, markdown);
    if (reply_to > 0) {
        kp_w_cstr(&b, "reply_to");
        kp_w_int(&b, reply_to);
    }
    if (quote_of > 0) {
        kp_w_cstr(&b, "quote_of");
        kp_w_int(&b, quote_of);
    }
    return post_keyed(ctx, path, &b, idempotency_key, out);
}

khnet_err khnet_forum_thread_read(khnet_ctx *ctx, int64_t thread_id, int up_to_seq,
                                  khnet_reply **out)
{
    if (thread_id < 1 || up_to_seq < 1) return KHNET_ERR_ARG;
    char path[80];
    snprintf(path, sizeof path, "/v1/forum/threads/%lld/read", (long long)thread_id);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 1);
    kp_w_cstr(&b, "up_to_seq");
    kp_w_int(&b, up_to_seq);
    return khnet__send_body(ctx, "POST", path, &b, out);
}

khnet_err khnet_forum_search(khnet_ctx *ctx, const char *q, int64_t category_id, const char *tag,
                             const char *after, int limit, khnet_reply **out)
{
    if (!q || category_id < 0) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 1 + (category_id > 0) + (tag != NULL) + (after != NULL) + (limit > 0));
    kp_w_cstr(&b, "q");
    kp_w_cstr(&b, q);
    if (category_id > 0) {
        kp_w_cstr(&b, "category_id");
        kp_w_int(&b, category_id);
    }
    if (tag) {
        kp_w_cstr(&b, "tag");
        kp_w_cstr(&b, tag);
    }
    if (after) {
        kp_w_cstr(&b, "after");
        kp_w_cstr(&b, after);
    }
    if (limit > 0) {
        kp_w_cstr(&b, "limit");
        kp_w_int(&b, limit);
    }
    return khnet__send_body(ctx, "POST", "/v1/forum/search", &b, out);
}

/* POST path with {key: text} (text required). */
static khnet_err post_text(khnet_ctx *ctx, const char *path, const char *key, const char *text,
                           khnet_reply **out)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, text ? 1 : 0);
    if (text) {
        kp_w_cstr(&b, key);
        kp_w_cstr(&b, text);
    }
    return khnet__send_body(ctx, "POST", path, &b, out);
}

khnet_err khnet_forum_post_report(khnet_ctx *ctx, int64_t post_id, const char *reason,
                                  khnet_reply **out)
{
    if (post_id < 1 || !reason) return KHNET_ERR_ARG;
    char path[80];
    snprintf(path, sizeof path, "/v1/forum/posts/%lld/report", (long long)post_id);
    return post_text(ctx, path, "reason", reason, out);
}

khnet_err khnet_mod_queue(khnet_ctx *ctx, const char *status, int64_t category_id,
                          const char *after, int limit, khnet_reply **out)
{
    return mod_list(ctx, "/v1/mod/queue", "status", status, 16, category_id, after, limit, out);
}

khnet_err khnet_mod_queue_assign(khnet_ctx *ctx, int64_t item_id, int64_t assignee_id,
                                 khnet_reply **out)
{
    if (item_id < 1 || assignee_id < -1) return KHNET_ERR_ARG;
    char path[80];
    snprintf(path, sizeof path, "/v1/mod/queue/%lld/assign", (long long)item_id);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, assignee_id ? 1 : 0);
    if (assignee_id) {
        kp_w_cstr(&b, "assignee_id");
        if (assignee_id < 0)
            kp_w_nil(&b);
        else
            kp_w_int(&b, assignee_id);
    }
    return khnet__send_body(ctx, "POST", path, &b, out);
}

khnet_err khnet_mod_queue_resolve(khnet_ctx *ctx, const int64_t *items, size_t n,
                                  const char *action, const char *reason, int minutes,
                                  khnet_reply **out)
{
    if (!items || n == 0 || n > 100 || !action || !reason) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 3 + (minutes > 0));
    kp_w_cstr(&b, "items");
    kp_w_array(&b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        kp_w_int(&b, items[i]);
    kp_w_cstr(&b, "action");
    kp_w_cstr(&b, action);
    kp_w_cstr(&b, "reason");
    kp_w_cstr(&b, reason);
    if (minutes > 0) {
        kp_w_cstr(&b, "minutes");
        kp_w_int(&b, minutes);
    }
    return khnet__send_body(ctx, "POST", "/v1/mod/queue/resolve", &b, out);
}

khnet_err khnet_mod_thread(khnet_ctx *ctx, int64_t thread_id, int locked, int pinned,
                           int64_t category_id, const char *reason, khnet_reply **out)
{
    if (thread_id < 1 || category_id < 0) return KHNET_ERR_ARG;
    char path[80];
    snprintf(path, sizeof path, "/v1/mod/threads/%lld", (long long)thread_id);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, (locked >= 0) + (pinned >= 0) + (category_id > 0) + (reason != NULL));
    if (locked >= 0) {
        kp_w_cstr(&b, "locked");
        kp_w_bool(&b, locked > 0);
    }
    if (pinned >= 0) {
        kp_w_cstr(&b, "pinned");
        kp_w_bool(&b, pinned > 0);
    }
    if (category_id > 0) {
        kp_w_cstr(&b, "category_id");
        kp_w_int(&b, category_id);
    }
    if (reason) {
        kp_w_cstr(&b, "reason");
        kp_w_cstr(&b, reason);
    }
    return khnet__send_body(ctx, "PATCH", path, &b, out);
}

khnet_err khnet_mod_post_hide(khnet_ctx *ctx, int64_t post_id, int hide, const char *reason,
                              khnet_reply **out)
{
    if (post_id < 1 || (hide && !reason)) return KHNET_ERR_ARG;
    char path[80];
    snprintf(path, sizeof path, "/v1/mod/posts/%lld/%s", (long long)post_id,
             hide ? "hide" : "unhide");
    return post_text(ctx, path, "reason", reason, out);
}

khnet_err khnet_forum_thread_delete(khnet_ctx *ctx, int64_t thread_id, const char *reason,
                                    khnet_reply **out)
{
    /* a reason of 1000 characters is at most 4000 bytes, 12000 escaped */
    char path[64 + 3 * 4000];
    if (thread_id < 1 || (reason && strlen(reason) > 4000)) return KHNET_ERR_ARG;
    snprintf(path, sizeof path, "/v1/forum/threads/%lld", (long long)thread_id);
    khnet__add_param(path, sizeof path, "reason", reason);
    return khnet_call(ctx, "DELETE", path, NULL, 0, out);
}

khnet_err khnet_mod_log(khnet_ctx *ctx, const char *action, int64_t category_id, const char *after,
                        int limit, khnet_reply **out)
{
    return mod_list(ctx, "/v1/mod/log", "action", action, 40, category_id, after, limit, out);
}
