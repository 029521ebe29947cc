/* chat.h — what the messaging handlers (conversations.c, messages.c,
 * moderation.c) share: path ids, body checks, page parameters, and the one
 * way their SQL functions answer.
 *
 * Every messaging function in migrations/0006_messaging.sql returns one row
 * (status, field, body): status "ok"/"created" or a PROTOCOL.md error code,
 * field the request field at fault, body a JSON document (for errors
 * {message, until?}).  chat_done turns that row into the HTTP reply. */
#ifndef KHNET_API_CHAT_H
#define KHNET_API_CHAT_H

#include "api.h"

/* The caller's account id as decimal text (request arena). */
const char *chat_me(http_req *r, const api_principal *who);
/* Decimal text of v in the request arena (NULL when out of memory). */
const char *chat_num(http_req *r, int64_t v);
/* Route parameter `name` when it is a positive decimal id; otherwise replies
 * 400 invalid_value naming it and returns NULL. */
const char *chat_path_id(http_req *r, const char *name);
/* A required string field of 1..max_chars code points and at most
 * max_bytes bytes, NUL-terminated in the arena; replies 400 and returns NULL
 * when it is not. */
const char *chat_str(http_req *r, const kp_value *b, const char *key, uint32_t max_chars,
                     size_t max_bytes);
/* Reads the cursor query parameter `cursor` (NULL: none) and `limit`
 * (1..100, default def) into decimal text (*key NULL when absent); replies
 * 400 and returns -1 on a bad one. */
int chat_page(http_req *r, const char *cursor, int def, const char **key, const char **limit);
/* Is the caller a moderator or an admin?  Replies 403 forbidden when not. */
bool chat_moderator(http_req *r, const api_principal *who);

/* Query callbacks: the (status, field, body) row as the reply.  "ok" is 200
 * (chat_done) or 204 (chat_done_empty); "created" is 201.  In a body, the
 * keys next_key / prev_key become the opaque cursors next / prev. */
void chat_done(http_req *r, const PGresult *res);
void chat_done_empty(http_req *r, const PGresult *res);

#endif
