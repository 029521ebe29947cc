/* domain.c — the moderation domain's routes and statements (functions in
 * migrations/0006_messaging.sql and repeatable/75_forum.sql, each
 * answering (status, field, body)). */
#include "moderation.h"

static const http_route routes[] = {
    {"POST", "/v1/messages/{id}/report", api_report_message},
    {"GET", "/v1/blocks", api_blocks_list},
    {"POST", "/v1/blocks/{account_id}", api_block},
    {"DELETE", "/v1/blocks/{account_id}", api_unblock},
    {"GET", "/v1/reports", api_reports_list},
    {"POST", "/v1/reports/{id}/resolve", api_report_resolve},
    {"POST", "/v1/accounts/{id}/silence", api_silence},
    {"PATCH", "/v1/mod/threads/{id}", api_mod_thread},
    {"POST", "/v1/mod/posts/{id}/hide", api_mod_post_hide},
    {"POST", "/v1/mod/posts/{id}/unhide", api_mod_post_unhide},
    {"GET", "/v1/mod/queue", api_mod_queue},
    {"POST", "/v1/mod/queue/resolve", api_mod_queue_resolve}, /* before {id} */
    {"POST", "/v1/mod/queue/{id}/assign", api_mod_queue_assign},
    {"GET", "/v1/mod/log", api_mod_log},
};

#define ROW "SELECT status, field, body::text AS body FROM "

const db_stmt moderation_stmts[MOD_NSTMTS] = {
    [MOD_BLOCK_SET] = {"block_set", ROW "khnet_block_set($1, $2, $3)", 3},
    [MOD_BLOCKS_LIST] = {"blocks_list", ROW "khnet_blocks_list($1, $2, $3)", 3},
    [MOD_REPORT_MESSAGE] = {"report_message", ROW "khnet_report_message($1, $2, $3)", 3},
    [MOD_REPORTS_LIST] = {"reports_list", ROW "khnet_reports_list($1, $2, $3)", 3},
    [MOD_REPORT_RESOLVE] = {"report_resolve", ROW "khnet_report_resolve($1, $2, $3)", 3},
    [MOD_SILENCE] = {"silence", ROW "khnet_silence($1, $2, $3, $4, $5)", 5},
    /* forum moderation (migrations/repeatable/75_forum.sql) */
    [MOD_FORUM_THREAD] = {"mod_thread", ROW "khnet_mod_thread($1, $2, $3, $4, $5, $6, $7)", 7},
    [MOD_POST_HIDDEN] = {"mod_post_hidden", ROW "khnet_mod_post_set_hidden($1, $2, $3, $4, $5)", 5},
    [MOD_QUEUE] = {"mod_queue", ROW "khnet_mod_queue($1, $2, $3, $4, $5, $6, $7)", 7},
    [MOD_QUEUE_ASSIGN] = {"mod_queue_assign", ROW "khnet_mod_queue_assign($1, $2, $3, $4)", 4},
    [MOD_QUEUE_RESOLVE] = {"mod_queue_resolve",
                           ROW "khnet_mod_queue_resolve($1, $2, $3::bigint[], $4, $5, $6)", 6},
    [MOD_LOG] = {"mod_log", ROW "khnet_mod_log_list($1, $2, $3, $4, $5, $6, $7, $8, $9)", 9},
};

const api_domain api_domain_moderation = API_DOMAIN("moderation", routes, moderation_stmts);
