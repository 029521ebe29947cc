/* domain.c — the moderation domain's routes and statements (functions in
 * migrations/0006_messaging.sql, each answering (status, field, body)). */
#include "moderation.h"

static const http_route routes[] = {
    {"POST", "/v1/messages/{id}/report", api_report_message},
    {"GET", "/v1/blocks", api_blocks_list},
    {"POST", "/v1/blocks/{account_id}", api_block},
    {"DELETE", "/v1/blocks/{account_id}", api_unblock},
    {"GET", "/v1/reports", api_reports_list},
    {"POST", "/v1/reports/{id}/resolve", api_report_resolve},
    {"POST", "/v1/accounts/{id}/silence", api_silence},
};

#define ROW "SELECT status, field, body::text AS body FROM "

const db_stmt moderation_stmts[MOD_NSTMTS] = {
    [MOD_BLOCK_SET] = {"block_set", ROW "khnet_block_set($1, $2, $3)", 3},
    [MOD_BLOCKS_LIST] = {"blocks_list", ROW "khnet_blocks_list($1, $2, $3)", 3},
    [MOD_REPORT_MESSAGE] = {"report_message", ROW "khnet_report_message($1, $2, $3)", 3},
    [MOD_REPORTS_LIST] = {"reports_list", ROW "khnet_reports_list($1, $2, $3)", 3},
    [MOD_REPORT_RESOLVE] = {"report_resolve", ROW "khnet_report_resolve($1, $2, $3)", 3},
    [MOD_SILENCE] = {"silence", ROW "khnet_silence($1, $2, $3, $4, $5)", 5},
};

const api_domain api_domain_moderation = API_DOMAIN("moderation", routes, moderation_stmts);
