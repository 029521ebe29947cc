/* conversations.c — direct and group conversations: start, list, read one,
 * rename, add/remove/leave members, read cursors and unread counts
 * (PROTOCOL.md "Messaging").  Rules and events live in the SQL functions of
 * migrations/0006_messaging.sql; here: decode → authenticate → one query. */
#include <string.h>

#include "messaging.h"

enum { GROUP_MAX_OTHERS = 255, TITLE_MAX = 200 };

/* member_ids as a PostgreSQL array literal "{1,2}" (repeats are folded by
 * SQL, PROTOCOL.md); replies 400 on a bad one. */
static const char *member_array(http_req *r, const kp_value *b)
{
    const kp_value *arr = NULL;
    kp_err e = {0};
    if (kp_get_array(b, "member_ids", true, GROUP_MAX_OTHERS, &arr, &e) < 0) {
        api_fail_kperr(r, &e);
        return NULL;
    }
    return api_id_array(r, arr, "member_ids", false);
}

static void create_authed(http_req *r, const api_principal *who)
{
    static const char *const all[] = {"type", "member_id", "title", "member_ids", NULL};
    static const char *const direct[] = {"type", "member_id", NULL};
    static const char *const group[] = {"type", "title", "member_ids", NULL};
    api_dec me = api_dec_of(who->account_id);
    const kp_value *b = api_body(r, all);
    if (!b) return;
    const char *type = NULL;
    uint32_t n = 0;
    kp_err e = {0};
    if (kp_get_str(b, "type", true, 1, 16, &type, &n, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    bool is_direct = n == 6 && !memcmp(type, "direct", 6);
    if (!is_direct && !(n == 5 && !memcmp(type, "group", 5))) {
        api_fail(r, "invalid_value", "type is direct or group", "type");
        return;
    }
    if (kp_check_fields(b, is_direct ? direct : group, &e) != 0) {
        api_fail_kperr(r, &e);
        return;
    }
    const char *p[5] = {me.s, is_direct ? "direct" : "group", NULL, NULL, NULL};
    api_dec other;
    if (is_direct) {
        int64_t id = 0;
        if (api_int(r, b, "member_id", true, 1, INT64_MAX, &id) < 0) return;
        other = api_dec_of(id);
        p[2] = other.s;
    } else if (!(p[3] = api_str(r, b, "title", TITLE_MAX, (size_t)4 * TITLE_MAX)) ||
               !(p[4] = member_array(r, b)))
        return;
    api_query(r, MSG_STMT(CONV_CREATE), 5, p, api_reply_row);
}

static void list_authed(http_req *r, const api_principal *who)
{
    api_dec me = api_dec_of(who->account_id);
    const char *key = NULL, *limit = NULL;
    if (api_page(r, "after", 20, &key, &limit) != 0) return;
    const char *p[3] = {me.s, key, limit};
    api_query(r, MSG_STMT(CONV_LIST), 3, p, api_reply_row);
}

static void get_authed(http_req *r, const api_principal *who)
{
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    if (!id) return;
    const char *p[2] = {me.s, id};
    api_query(r, MSG_STMT(CONV_GET), 2, p, api_reply_row);
}

static void title_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"title", NULL};
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    const char *title = b ? api_str(r, b, "title", TITLE_MAX, (size_t)4 * TITLE_MAX) : NULL;
    if (!title) return;
    const char *p[3] = {me.s, id, title};
    api_query(r, MSG_STMT(CONV_TITLE), 3, p, api_reply_row);
}

static void member_add_authed(http_req *r, const api_principal *who)
{
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    const char *acc = id ? api_path_id(r, "account_id") : NULL;
    if (!acc) return;
    const char *p[3] = {me.s, id, acc};
    api_query(r, MSG_STMT(CONV_MEMBER_ADD), 3, p, api_reply_row);
}

static void member_remove_authed(http_req *r, const api_principal *who)
{
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    if (!id) return;
    const char *acc = http_req_param(r, "account_id");
    if (!acc || strcmp(acc, "me") != 0) {
        acc = api_path_id(r, "account_id");
        if (!acc) return;
    } else
        acc = me.s;
    const char *p[3] = {me.s, id, acc};
    api_query(r, MSG_STMT(CONV_MEMBER_REMOVE), 3, p, api_reply_row_empty);
}

static void read_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"up_to", NULL};
    api_dec me = api_dec_of(who->account_id);
    const char *id = api_path_id(r, "id");
    const kp_value *b = id ? api_body(r, allowed) : NULL;
    if (!b) return;
    int64_t up_to = 0;
    if (api_int(r, b, "up_to", true, 1, INT64_MAX, &up_to) < 0) return;
    api_dec up = api_dec_of(up_to);
    const char *p[3] = {me.s, id, up.s};
    api_query(r, MSG_STMT(CONV_READ), 3, p, api_reply_row);
}

static void unread_authed(http_req *r, const api_principal *who)
{
    api_query_caller(r, who, MSG_STMT(UNREAD), api_reply_row);
}

void api_conv_create(http_req *r)
{
    api_authenticate(r, create_authed);
}
void api_conv_list(http_req *r)
{
    api_authenticate(r, list_authed);
}
void api_conv_get(http_req *r)
{
    api_authenticate(r, get_authed);
}
void api_conv_title(http_req *r)
{
    api_authenticate(r, title_authed);
}
void api_conv_member_add(http_req *r)
{
    api_authenticate(r, member_add_authed);
}
void api_conv_member_remove(http_req *r)
{
    api_authenticate(r, member_remove_authed);
}
void api_conv_read(http_req *r)
{
    api_authenticate(r, read_authed);
}
void api_unread(http_req *r)
{
    api_authenticate(r, unread_authed);
}
