/* domain.c — the messaging domain's routes and statements (functions in
 * migrations/0005_events.sql and 0006_messaging.sql; each messaging
 * function answers (status, field, body)). */
#include "messaging.h"

static const http_route routes[] = {
    {"POST", "/v1/conversations", api_conv_create},
    {"GET", "/v1/conversations", api_conv_list},
    {"GET", "/v1/conversations/{id}", api_conv_get},
    {"PATCH", "/v1/conversations/{id}", api_conv_title},
    {"POST", "/v1/conversations/{id}/members/{account_id}", api_conv_member_add},
    {"DELETE", "/v1/conversations/{id}/members/{account_id}", api_conv_member_remove},
    {"POST", "/v1/conversations/{id}/read", api_conv_read},
    {"POST", "/v1/conversations/{id}/messages", api_msg_send},
    {"GET", "/v1/conversations/{id}/messages", api_msg_history},
    {"PATCH", "/v1/messages/{id}", api_msg_edit},
    {"DELETE", "/v1/messages/{id}", api_msg_delete},
    {"GET", "/v1/unread", api_unread},
    {"GET", "/v1/stream", api_stream},
    {"GET", "/v1/events", api_events},
};

#define ROW "SELECT status, field, body::text AS body FROM "

const db_stmt messaging_stmts[MSG_NSTMTS] = {
    [MSG_CONV_CREATE] = {"conv_create", ROW "khnet_conv_create($1, $2, $3, $4, $5::bigint[])", 5},
    [MSG_CONV_LIST] = {"conv_list", ROW "khnet_conv_list($1, $2, $3)", 3},
    [MSG_CONV_GET] = {"conv_get", ROW "khnet_conv_get($1, $2)", 2},
    [MSG_CONV_TITLE] = {"conv_title", ROW "khnet_conv_title($1, $2, $3)", 3},
    [MSG_CONV_MEMBER_ADD] = {"conv_member_add", ROW "khnet_conv_member_add($1, $2, $3)", 3},
    [MSG_CONV_MEMBER_REMOVE] = {"conv_member_remove", ROW "khnet_conv_member_remove($1, $2, $3)",
                                3},
    [MSG_CONV_READ] = {"conv_read", ROW "khnet_conv_read($1, $2, $3)", 3},
    [MSG_UNREAD] = {"unread", ROW "khnet_unread_total($1)", 1},
    [MSG_SEND] = {"msg_send", ROW "khnet_msg_send($1, $2, $3, $4, $5)", 5},
    [MSG_HISTORY] = {"msg_history", ROW "khnet_msg_history($1, $2, $3, $4, $5)", 5},
    [MSG_CHANGE] = {"msg_change", ROW "khnet_msg_change($1, $2, $3)", 3},
    [MSG_EVENTS_PAGE] = {"events_page", ROW "khnet_events_page($1::bigint, $2::bigint, $3::int)",
                         3},
    /* the stream hub's (server/stream/: rows to push, not replies) */
    [MSG_EVENTS_AFTER] = {"events_after",
                          "SELECT seq, kind, payload, created_at "
                          "FROM khnet_events_after($1::bigint, $2::bigint, $3::int)",
                          3},
    [MSG_EVENTS_LATEST] = {"events_latest", "SELECT khnet_event_latest($1::bigint)", 1},
    [MSG_SESSIONS_DEAD] = {"sessions_dead", "SELECT khnet_sessions_dead($1::bigint[])", 1},
};

const api_domain api_domain_messaging = API_DOMAIN("messaging", routes, messaging_stmts);
