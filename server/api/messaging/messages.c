/* messages.c — send (idempotent by client_id), history both ways, edit and
 * delete (PROTOCOL.md "Messaging").  Ordering, idempotency and events are
 * the business of khnet_msg_send & co. in migrations/0006_messaging.sql. */
#include <string.h>

#include "messaging.h"

enum { TEXT_MAX_BYTES = 8192, CLIENT_ID_MAX = 64, HISTORY_DEFAULT = 50 };

static void send_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"client_id", "text", "reply_to", NULL};
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *client_id =
        b ? api_str(r, b, "client_id", CLIENT_ID_MAX, (size_t)4 * CLIENT_ID_MAX) : NULL;
    const char *text = client_id ? api_str(r, b, "text", TEXT_MAX_BYTES, TEXT_MAX_BYTES) : NULL;
    if (!text) return;
    int64_t reply_to = 0;
    int got = api_int(r, b, "reply_to", false, 1, INT64_MAX, &reply_to);
    if (got < 0) return;
    api_dec reply = api_dec_of(reply_to);
    const char *p[5] = {me.s, id, client_id, text, got ? reply.s : NULL};
    api_query(r, MSG_STMT(SEND), 5, p, api_reply_row);
}

static void history_authed(http_req *r, const api_principal *who)
{
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    if (!id) return;
    const char *before = NULL, *after = NULL, *limit = NULL, *v = NULL;
    int has_before = api_query_param(r, "before", &v), has_after = 0;
    if (has_before < 0 || (has_after = api_query_param(r, "after", &v)) < 0) return;
    if (has_before && has_after) {
        api_fail(r, "invalid_value", "before and after exclude each other", "after");
        return;
    }
    if (api_page(r, "before", HISTORY_DEFAULT, &before, &limit) != 0 ||
        api_page(r, "after", HISTORY_DEFAULT, &after, &limit) != 0)
        return;
    const char *p[5] = {me.s, id, before, after, limit};
    api_query(r, MSG_STMT(HISTORY), 5, p, api_reply_row);
}

static void edit_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"text", NULL};
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *text = b ? api_str(r, b, "text", TEXT_MAX_BYTES, TEXT_MAX_BYTES) : NULL;
    if (!text) return;
    const char *p[3] = {me.s, id, text};
    api_query(r, MSG_STMT(CHANGE), 3, p, api_reply_row);
}

static void delete_authed(http_req *r, const api_principal *who)
{
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    if (!id) return;
    const char *p[3] = {me.s, id, NULL};
    api_query(r, MSG_STMT(CHANGE), 3, p, api_reply_row);
}

void api_msg_send(http_req *r)
{
    api_authenticate(r, send_authed);
}
void api_msg_history(http_req *r)
{
    api_authenticate(r, history_authed);
}
void api_msg_edit(http_req *r)
{
    api_authenticate(r, edit_authed);
}
void api_msg_delete(http_req *r)
{
    api_authenticate(r, delete_authed);
}
