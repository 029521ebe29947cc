/* messaging.h — the messaging domain, inside: conversations and members
 * (conversations.c), messages (messages.c), and real-time events
 * (stream.c: GET /v1/stream, GET /v1/events, and the worker's stream hub).
 * Its one export is api_domain_messaging (domain.c).  Rules and events live
 * in migrations/0005_events.sql and 0006_messaging.sql; every messaging
 * function answers one row (status, field, body): api_reply_row. */
#ifndef KHNET_API_MESSAGING_H
#define KHNET_API_MESSAGING_H

#include "api/kit/kit.h"

enum messaging_stmt {
    MSG_CONV_CREATE,
    MSG_CONV_LIST,
    MSG_CONV_GET,
    MSG_CONV_TITLE,
    MSG_CONV_MEMBER_ADD,
    MSG_CONV_MEMBER_REMOVE,
    MSG_CONV_READ,
    MSG_UNREAD,
    MSG_SEND,
    MSG_HISTORY,
    MSG_CHANGE,
    MSG_EVENTS_PAGE,
    MSG_EVENTS_AFTER,
    MSG_EVENTS_LATEST,
    MSG_SESSIONS_DEAD,
    MSG_NSTMTS
};
extern const db_stmt messaging_stmts[MSG_NSTMTS];
#define MSG_STMT(id) (&messaging_stmts[MSG_##id])

void api_conv_create(http_req *r); /* conversations.c */
void api_conv_list(http_req *r);
void api_conv_get(http_req *r);
void api_conv_title(http_req *r);
void api_conv_member_add(http_req *r);
void api_conv_member_remove(http_req *r);
void api_conv_read(http_req *r);
void api_unread(http_req *r);
void api_msg_send(http_req *r); /* messages.c */
void api_msg_history(http_req *r);
void api_msg_edit(http_req *r);
void api_msg_delete(http_req *r);
void api_stream(http_req *r); /* stream.c */
void api_events(http_req *r);

#endif
