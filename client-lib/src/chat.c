/* chat.c — typed calls for messaging (PROTOCOL.md "Messaging"): each builds
 * its path and msgpack body and goes through khnet_call, so replies, errors
 * and ownership are those of khnet_call. */
#include <stdio.h>
#include <string.h>

#include "khnet.h"
#include "khnet_int.h"

/* Appends "&name=value" (value percent-encoded unless base64url) to path;
 * shared with the other typed calls through khnet_int.h.  A parameter that
 * does not fit empties path, and later ones leave it empty: the call then
 * refuses it (KHNET_ERR_ARG, "a query parameter did not fit") instead of
 * sending a cut cursor or filter. */
void khnet__add_param(char *path, size_t cap, const char *name, const char *value)
{
    static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = strlen(path);
    if (!value || o == 0) return;
    int n = snprintf(path + o, o < cap ? cap - o : 0, "%c%s=", strchr(path, '?') ? '&' : '?', name);
    o += n < 0 ? cap : (size_t)n;
    for (const unsigned char *p = (const unsigned char *)value; *p && o < cap; p++) {
        if (strchr(safe, *p))
            path[o++] = (char)*p;
        else
            o += o + 3 < cap ? (size_t)snprintf(path + o, cap - o, "%%%02X", *p) : cap;
    }
    if (o < cap)
        path[o] = '\0';
    else if (cap > 0)
        path[0] = '\0';
}

khnet_err khnet__get_paged(khnet_ctx *ctx, char *path, size_t cap, const char *after, int limit,
                           khnet_reply **out)
{
    char lim[16];
    khnet__add_param(path, cap, "after", after);
    snprintf(lim, sizeof lim, "%d", limit);
    khnet__add_param(path, cap, "limit", limit > 0 ? lim : NULL);
    return khnet_call(ctx, "GET", path, NULL, 0, out);
}

/* Sends b (freed here) to method path; NOMEM when the body could not be built. */
static khnet_err send_body(khnet_ctx *ctx, const char *method, const char *path, kp_buf *b,
                           khnet_reply **out)
{
    khnet_err rc = b->oom ? KHNET_ERR_NOMEM : khnet_call(ctx, method, path, b->data, b->len, out);
    kp_buf_free(b);
    return rc;
}

khnet_err khnet_conversation_direct(khnet_ctx *ctx, int64_t member_id, khnet_reply **out)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 2);
    kp_w_cstr(&b, "type");
    kp_w_cstr(&b, "direct");
    kp_w_cstr(&b, "member_id");
    kp_w_int(&b, member_id);
    return send_body(ctx, "POST", "/v1/conversations", &b, out);
}

khnet_err khnet_conversation_group(khnet_ctx *ctx, const char *title, const int64_t *member_ids,
                                   size_t n, khnet_reply **out)
{
    if (!title || (n && !member_ids) || n > UINT32_MAX) return KHNET_ERR_ARG;
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 3);
    kp_w_cstr(&b, "type");
    kp_w_cstr(&b, "group");
    kp_w_cstr(&b, "title");
    kp_w_cstr(&b, title);
    kp_w_cstr(&b, "member_ids");
    kp_w_array(&b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        kp_w_int(&b, member_ids[i]);
    return send_body(ctx, "POST", "/v1/conversations", &b, out);
}

khnet_err khnet_conversations_list(khnet_ctx *ctx, const char *after, int limit, khnet_reply **out)
{
    char path[256] = "/v1/conversations";
    return khnet__get_paged(ctx, path, sizeof path, after, limit, out);
}

khnet_err khnet_message_send(khnet_ctx *ctx, int64_t conversation_id, const char *client_id,
                             const char *text, int64_t reply_to, khnet_reply **out)
{
    if (!client_id || !text) return KHNET_ERR_ARG;
    char path[64];
    snprintf(path, sizeof path, "/v1/conversations/%lld/messages", (long long)conversation_id);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, reply_to > 0 ? 3 : 2);
    kp_w_cstr(&b, "client_id");
    kp_w_cstr(&b, client_id);
    kp_w_cstr(&b, "text");
    kp_w_cstr(&b, text);
    if (reply_to > 0) {
        kp_w_cstr(&b, "reply_to");
        kp_w_int(&b, reply_to);
    }
    return send_body(ctx, "POST", path, &b, out);
}

khnet_err khnet_messages_history(khnet_ctx *ctx, int64_t conversation_id, const char *before,
                                 const char *after, int limit, khnet_reply **out)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/conversations/%lld/messages", (long long)conversation_id);
    khnet__add_param(path, sizeof path, "before", before);
    return khnet__get_paged(ctx, path, sizeof path, after, limit, out);
}

khnet_err khnet_message_edit(khnet_ctx *ctx, int64_t message_id, const char *text,
                             khnet_reply **out)
{
    if (!text) return KHNET_ERR_ARG;
    char path[48];
    snprintf(path, sizeof path, "/v1/messages/%lld", (long long)message_id);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 1);
    kp_w_cstr(&b, "text");
    kp_w_cstr(&b, text);
    return send_body(ctx, "PATCH", path, &b, out);
}

khnet_err khnet_message_delete(khnet_ctx *ctx, int64_t message_id, khnet_reply **out)
{
    char path[48];
    snprintf(path, sizeof path, "/v1/messages/%lld", (long long)message_id);
    return khnet_call(ctx, "DELETE", path, NULL, 0, out);
}

khnet_err khnet_conversation_read(khnet_ctx *ctx, int64_t conversation_id, int64_t up_to,
                                  khnet_reply **out)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/conversations/%lld/read", (long long)conversation_id);
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 1);
    kp_w_cstr(&b, "up_to");
    kp_w_int(&b, up_to);
    return send_body(ctx, "POST", path, &b, out);
}

khnet_err khnet_unread(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/v1/unread", NULL, 0, out);
}

khnet_err khnet_block(khnet_ctx *ctx, int64_t account_id, int on, khnet_reply **out)
{
    char path[48];
    snprintf(path, sizeof path, "/v1/blocks/%lld", (long long)account_id);
    return khnet_call(ctx, on ? "POST" : "DELETE", path, NULL, 0, out);
}

khnet_err khnet_events(khnet_ctx *ctx, int64_t after, int limit, khnet_reply **out)
{
    char path[64] = "/v1/events", num[24];
    if (after < 0) return KHNET_ERR_ARG;
    snprintf(num, sizeof num, "%lld", (long long)after);
    return khnet__get_paged(ctx, path, sizeof path, num, limit, out);
}
