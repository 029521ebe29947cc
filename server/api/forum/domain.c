/* domain.c — the forum domain's routes and statements (functions in
 * migrations/repeatable/75_forum.sql, each answering (status, field,
 * body); the caller is their first two parameters, but for the thread page,
 * whose function takes the bearer token's hash and finds the caller itself). */
#include "forum.h"

static const http_route routes[] = {
    {"GET", "/v1/forum/categories", api_forum_categories},
    {"POST", "/v1/forum/categories", api_forum_category_create},
    {"PATCH", "/v1/forum/categories/{id}", api_forum_category_update},
    {"PUT", "/v1/forum/categories/{id}/moderators/{account_id}", api_forum_category_mod_add},
    {"DELETE", "/v1/forum/categories/{id}/moderators/{account_id}", api_forum_category_mod_remove},
    {"POST", "/v1/forum/categories/{id}/read", api_forum_category_read},
    {"GET", "/v1/forum/categories/{id}/threads", api_forum_threads_list},
    {"POST", "/v1/forum/categories/{id}/threads", api_forum_thread_create},
    {"GET", "/v1/forum/threads/{id}", api_forum_thread_get},
    {"DELETE", "/v1/forum/threads/{id}", api_forum_thread_delete},
    {"GET", "/v1/forum/threads/{id}/posts", api_forum_posts_list},
    {"POST", "/v1/forum/threads/{id}/posts", api_forum_reply},
    {"POST", "/v1/forum/threads/{id}/read", api_forum_thread_read},
    {"PUT", "/v1/forum/threads/{id}/watch", api_forum_watch},
    {"DELETE", "/v1/forum/threads/{id}/watch", api_forum_unwatch},
    {"PATCH", "/v1/forum/posts/{id}", api_forum_post_edit},
    {"DELETE", "/v1/forum/posts/{id}", api_forum_post_delete},
    {"GET", "/v1/forum/posts/{id}/revisions", api_forum_revisions},
    {"PUT", "/v1/forum/posts/{id}/helpful", api_forum_helpful},
    {"DELETE", "/v1/forum/posts/{id}/helpful", api_forum_unhelpful},
    {"POST", "/v1/forum/posts/{id}/report", api_forum_report},
    {"PUT", "/v1/forum/handle", api_forum_handle_set},
    {"POST", "/v1/forum/search", api_forum_search},
};

#define ROW "SELECT status, field, body::text AS body FROM "
/* The writers behind an Idempotency-Key (PROTOCOL.md "Retrying a post"):
 * the scope, key and fingerprint first, the verdict in `idem`. */
#define IDEM_ROW "SELECT idem, status, field, body::text AS body FROM "

const db_stmt forum_stmts[FORUM_NSTMTS] = {
    [FORUM_CATEGORIES] = {"forum_categories", ROW "khnet_forum_categories($1, $2)", 2},
    [FORUM_CATEGORY_CREATE] = {"forum_category_create",
                               ROW "khnet_forum_category_create($1, $2, $3, $4, $5, $6, $7)", 7},
    [FORUM_CATEGORY_UPDATE] = {"forum_category_update",
                               ROW "khnet_forum_category_update($1, $2, $3, $4::jsonb)", 4},
    [FORUM_CATEGORY_MOD_SET] = {"forum_category_mod_set",
                                ROW "khnet_forum_category_mod_set($1, $2, $3, $4, $5)", 5},
    [FORUM_CATEGORY_READ] = {"forum_category_read", ROW "khnet_forum_category_read($1, $2, $3)", 3},
    [FORUM_THREADS_LIST] = {"forum_threads_list",
                            ROW "khnet_forum_threads_list($1, $2, $3, $4, $5)", 5},
    [FORUM_THREAD_CREATE] = {"forum_thread_create",
                             IDEM_ROW "khnet_forum_thread_create_idem($1, $2, $3::bytea, $4, $5, "
                                      "$6, $7, $8::jsonb, $9, $10, $11::text[], $12)",
                             12},
    [FORUM_THREAD_GET] = {"forum_thread_get", ROW "khnet_forum_thread_get($1, $2, $3)", 3},
    [FORUM_THREAD_DELETE] = {"forum_thread_delete", ROW "khnet_forum_thread_delete($1, $2, $3, $4)",
                             4},
    [FORUM_POSTS_BY_TOKEN] = {"forum_posts_by_token",
                              ROW "khnet_forum_posts_by_token($1, $2, $3, $4)", 4},
    [FORUM_REPLY] = {"forum_reply",
                     IDEM_ROW "khnet_forum_reply_idem($1, $2, $3::bytea, $4, $5, $6, $7, $8, "
                              "$9, $10, $11::text[], $12)",
                     12},
    [FORUM_POST_EDIT] = {"forum_post_edit",
                         ROW "khnet_forum_post_edit($1, $2, $3, $4, $5, $6::text[], $7)", 7},
    [FORUM_POST_DELETE] = {"forum_post_delete", ROW "khnet_forum_post_delete($1, $2, $3, $4)", 4},
    [FORUM_REVISIONS] = {"forum_revisions", ROW "khnet_forum_revisions($1, $2, $3)", 3},
    [FORUM_THREAD_READ] = {"forum_thread_read", ROW "khnet_forum_thread_read($1, $2, $3, $4)", 4},
    [FORUM_WATCH] = {"forum_watch", ROW "khnet_forum_watch($1, $2, $3, $4)", 4},
    [FORUM_HELPFUL] = {"forum_helpful", ROW "khnet_forum_helpful($1, $2, $3, $4)", 4},
    [FORUM_HANDLE_SET] = {"forum_handle_set", ROW "khnet_forum_handle_set($1, $2)", 2},
    [FORUM_SEARCH] = {"forum_search",
                      ROW "khnet_forum_search($1, $2, $3, $4, $5, $6, $7::timestamptz, "
                          "$8::timestamptz, $9::real, $10, $11)",
                      11},
    [FORUM_REPORT] = {"forum_report", ROW "khnet_forum_report($1, $2, $3, $4)", 4},
};

const api_domain api_domain_forum = API_DOMAIN("forum", routes, forum_stmts);
