/* routes.c — the route table and the statements prepared on every
 * connection.  SQL text lives in migrations/ as functions; here are only
 * the calls to them. */
#include "api.h"

const http_route api_routes[] = {
    {"GET", "/healthz", api_healthz},
    {"GET", "/metrics", api_metrics},
    {"GET", "/v1/info", api_info},
    {"POST", "/v1/echo", api_echo},
    {"GET", "/v1/profiles", api_profile_list},
    {"GET", "/v1/profiles/me", api_profile_me}, /* before {id}: first match wins */
    {"GET", "/v1/profiles/{id}", api_profile_get},
    {"POST", "/v1/profiles", api_profile_create},
    {"POST", "/v1/profiles/import", api_profiles_import},
    {"PATCH", "/v1/profiles/me", api_profile_patch},
    {"PATCH", "/v1/profiles/{id}", api_profile_patch},
    {"GET", "/v1/profiles/{id}/similar", api_search_similar},
    {"POST", "/v1/search/experts", api_search_experts},
    {"POST", "/v1/search/fit", api_search_fit},
    {"GET", "/v1/suggest", api_suggest},
    {"POST", "/v1/saved-searches", api_saved_create},
    {"GET", "/v1/saved-searches", api_saved_list},
    {"DELETE", "/v1/saved-searches/{id}", api_saved_delete},
    {"GET", "/v1/saved-searches/{id}/new", api_saved_new},
    {"POST", "/v1/accounts", api_register},
    {"PUT", "/v1/accounts/{id}/role", api_role_set},
    {"GET", "/v1/account", api_me},
    {"DELETE", "/v1/account", api_account_erase},
    {"GET", "/v1/account/export", api_account_export},
    {"POST", "/v1/account/password", api_password_change},
    {"POST", "/v1/sessions", api_login},
    {"GET", "/v1/sessions", api_sessions_list},
    {"DELETE", "/v1/sessions", api_logout_all},
    {"DELETE", "/v1/sessions/current", api_logout}, /* before {id}: first match wins */
    {"DELETE", "/v1/sessions/{id}", api_session_revoke},
    {"GET", "/v1/partners", api_partners_list},
    {"POST", "/v1/partners", api_partner_create},
    {"PATCH", "/v1/partners/{id}", api_partner_update},
    {"POST", "/v1/partners/{id}/key", api_partner_rekey},
    {"POST", "/v1/password-resets", api_reset_request},
    {"POST", "/v1/password-resets/confirm", api_reset_confirm},
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
    {"POST", "/v1/messages/{id}/report", api_report_message},
    {"GET", "/v1/unread", api_unread},
    {"GET", "/v1/blocks", api_blocks_list},
    {"POST", "/v1/blocks/{account_id}", api_block},
    {"DELETE", "/v1/blocks/{account_id}", api_unblock},
    {"GET", "/v1/reports", api_reports_list},
    {"POST", "/v1/reports/{id}/resolve", api_report_resolve},
    {"POST", "/v1/accounts/{id}/silence", api_silence},
    {"GET", "/v1/stream", api_stream},
    {"GET", "/v1/events", api_events},
};
const int api_nroutes = (int)(sizeof api_routes / sizeof api_routes[0]);

const db_stmt api_stmts[API_NSTMTS] = {
    [STMT_SEARCH_EXPERTS] = {"search_experts",
                             "SELECT khnet_search_experts($1::bigint, $2, $3, $4::text[], "
                             "$5::text[], $6::text[], $7::text[], $8::boolean, $9::int, "
                             "$10::timestamptz, $11, $12::int, $13, $14::bigint)",
                             14},
    [STMT_SEARCH_FIT] = {"search_fit",
                         "SELECT khnet_search_fit($1::bigint, $2, $3, $4::text[], $5::text[], "
                         "$6::text[], $7::text[], $8::boolean, $9::int, $10::int)",
                         10},
    [STMT_SEARCH_SIMILAR] = {"search_similar",
                             "SELECT khnet_search_similar($1::bigint, $2, $3::bigint, $4::int)", 4},
    [STMT_SEARCH_SUGGEST] = {"search_suggest", "SELECT khnet_search_suggest($1, $2::int)", 2},
    /* saved searches (migrations/0007_saved_searches.sql) */
    [STMT_SAVED_CREATE] = {"saved_create",
                           "SELECT status, field, body::text AS body FROM "
                           "khnet_saved_search_create($1::bigint, $2, $3::jsonb, $4)",
                           4},
    [STMT_SAVED_LIST] = {"saved_list",
                         "SELECT status, field, body::text AS body FROM "
                         "khnet_saved_searches_list($1::bigint, $2::bigint, $3::int)",
                         3},
    [STMT_SAVED_DELETE] = {"saved_delete",
                           "SELECT status, field, body::text AS body FROM "
                           "khnet_saved_search_delete($1::bigint, $2::bigint)",
                           2},
    [STMT_SAVED_NEW] = {"saved_new",
                        "SELECT khnet_saved_search_new($1::bigint, $2, $3::bigint, $4::boolean, "
                        "$5, $6, $7::bigint)",
                        7},
    [STMT_PROFILE_GET] = {"profile_get",
                          "SELECT profile FROM khnet_profile_view($1::bigint, $2::bigint, $3)", 3},
    [STMT_PROFILE_LIST] = {"profile_list",
                           "SELECT d.id, d.card, $9::int AS fetch FROM khnet_profile_directory("
                           "$1::bigint, $2, $3, $4, $5, $6, $7, $8::bigint, $9::int) d",
                           9},
    [STMT_PROFILE_PATCH] = {"profile_patch",
                            "SELECT * FROM khnet_profile_patch($1::bigint, $2::bigint, "
                            "$3::int, $4::jsonb)",
                            4},
    [STMT_PROFILE_CREATE] = {"profile_create",
                             "SELECT * FROM khnet_profile_create($1::bigint, $2::jsonb)", 2},
    [STMT_INFO] = {"info",
                   "SELECT schema_version, to_char(db_time AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS db_time FROM khnet_info()",
                   0},
    [STMT_REGISTER] = {"register", "SELECT * FROM khnet_register($1, $2, $3, $4, $5, $6)", 6},
    [STMT_LOGIN_LOOKUP] = {"login_lookup", "SELECT * FROM khnet_login_lookup($1)", 1},
    [STMT_SESSION_CREATE] = {"session_create",
                             "SELECT * FROM khnet_session_create($1, $2, $3, $4, $5)", 5},
    [STMT_SESSION_AUTH] = {"session_auth", "SELECT * FROM khnet_session_auth($1)", 1},
    [STMT_SESSIONS_LIST] = {"sessions_list", "SELECT * FROM khnet_sessions_list($1)", 1},
    [STMT_SESSIONS_REVOKE] = {"sessions_revoke", "SELECT khnet_sessions_revoke($1, $2, $3) AS n",
                              3},
    [STMT_ACCOUNT_GET] = {"account_get", "SELECT * FROM khnet_account_get($1)", 1},
    [STMT_PASSWORD_SET] = {"password_set", "SELECT khnet_password_set($1, $2, $3) AS n", 3},
    [STMT_ROLE_SET] = {"role_set", "SELECT * FROM khnet_role_set($1, $2, $3)", 3},
    [STMT_CORS_ORIGINS] = {"cors_origins", "SELECT khnet_cors_origins() AS cors", 0},
    [STMT_PARTNERS_LIST] = {"partners_list", "SELECT * FROM khnet_partners_list()", 0},
    [STMT_PARTNER_CREATE] = {"partner_create", "SELECT * FROM khnet_partner_create($1, $2, $3, $4)",
                             4},
    [STMT_PARTNER_UPDATE] = {"partner_update", "SELECT * FROM khnet_partner_update($1, $2, $3, $4)",
                             4},
    [STMT_PARTNER_REKEY] = {"partner_rekey", "SELECT * FROM khnet_partner_rekey($1, $2, $3)", 3},
    [STMT_RESET_CREATE] = {"reset_create", "SELECT * FROM khnet_reset_create($1, $2)", 2},
    [STMT_RESET_CONFIRM] = {"reset_confirm", "SELECT khnet_reset_confirm($1, $2) AS n", 2},
    /* messaging (migrations/0006_messaging.sql): each answers (status, field, body) */
    [STMT_CONV_CREATE] = {"conv_create",
                          "SELECT status, field, body::text AS body FROM khnet_conv_create($1, $2, "
                          "$3, $4, $5::bigint[])",
                          5},
    [STMT_CONV_LIST] = {"conv_list",
                        "SELECT status, field, body::text AS body FROM khnet_conv_list($1, $2, $3)",
                        3},
    [STMT_CONV_GET] = {"conv_get",
                       "SELECT status, field, body::text AS body FROM khnet_conv_get($1, $2)", 2},
    [STMT_CONV_TITLE] =
        {"conv_title", "SELECT status, field, body::text AS body FROM khnet_conv_title($1, $2, $3)",
         3},
    [STMT_CONV_MEMBER_ADD] =
        {"conv_member_add",
         "SELECT status, field, body::text AS body FROM khnet_conv_member_add($1, $2, $3)", 3},
    [STMT_CONV_MEMBER_REMOVE] =
        {"conv_member_remove",
         "SELECT status, field, body::text AS body FROM khnet_conv_member_remove($1, $2, $3)", 3},
    [STMT_CONV_READ] = {"conv_read",
                        "SELECT status, field, body::text AS body FROM khnet_conv_read($1, $2, $3)",
                        3},
    [STMT_UNREAD] = {"unread",
                     "SELECT status, field, body::text AS body FROM khnet_unread_total($1)", 1},
    [STMT_MSG_SEND] =
        {"msg_send",
         "SELECT status, field, body::text AS body FROM khnet_msg_send($1, $2, $3, $4, $5)", 5},
    [STMT_MSG_HISTORY] =
        {"msg_history",
         "SELECT status, field, body::text AS body FROM khnet_msg_history($1, $2, $3, $4, $5)", 5},
    [STMT_MSG_CHANGE] =
        {"msg_change", "SELECT status, field, body::text AS body FROM khnet_msg_change($1, $2, $3)",
         3},
    [STMT_BLOCK_SET] = {"block_set",
                        "SELECT status, field, body::text AS body FROM khnet_block_set($1, $2, $3)",
                        3},
    [STMT_BLOCKS_LIST] =
        {"blocks_list",
         "SELECT status, field, body::text AS body FROM khnet_blocks_list($1, $2, $3)", 3},
    [STMT_REPORT_MESSAGE] =
        {"report_message",
         "SELECT status, field, body::text AS body FROM khnet_report_message($1, $2, $3)", 3},
    [STMT_REPORTS_LIST] =
        {"reports_list",
         "SELECT status, field, body::text AS body FROM khnet_reports_list($1, $2, $3)", 3},
    [STMT_REPORT_RESOLVE] =
        {"report_resolve",
         "SELECT status, field, body::text AS body FROM khnet_report_resolve($1, $2, $3)", 3},
    [STMT_SILENCE] =
        {"silence",
         "SELECT status, field, body::text AS body FROM khnet_silence($1, $2, $3, $4, $5)", 5},
    [STMT_EVENTS_AFTER] = {"events_after",
                           "SELECT seq, kind, payload, created_at "
                           "FROM khnet_events_after($1::bigint, $2::bigint, $3::int)",
                           3},
    [STMT_EVENTS_LATEST] = {"events_latest", "SELECT khnet_event_latest($1::bigint)", 1},
    [STMT_SESSIONS_DEAD] = {"sessions_dead", "SELECT khnet_sessions_dead($1::bigint[])", 1},
    /* data rights and imports (migrations/0008_data_rights.sql) */
    [STMT_ACCOUNT_EXPORT] = {"account_export",
                             "SELECT khnet_account_export($1::bigint)::text AS doc", 1},
    [STMT_ACCOUNT_ERASE] = {"account_erase", "SELECT khnet_account_erase($1::bigint) AS erased", 1},
    [STMT_PROFILES_IMPORT] = {"profiles_import",
                              "SELECT rejected::text AS rejected, created, updated FROM "
                              "khnet_profiles_import($1::bigint, $2::jsonb, $3::boolean)",
                              3},
    [STMT_PROFILE_GET_BY_TOKEN] = {"profile_get_by_token",
                                   "SELECT auth_status, profile FROM "
                                   "khnet_profile_view_by_token($1::bytea, $2::bigint)",
                                   2},
};
