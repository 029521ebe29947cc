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
    {"GET", "/v1/profiles/{id}", api_profile_get},
    {"POST", "/v1/accounts", api_register},
    {"PUT", "/v1/accounts/{id}/role", api_role_set},
    {"GET", "/v1/account", api_me},
    {"POST", "/v1/account/password", api_password_change},
    {"POST", "/v1/sessions", api_login},
    {"GET", "/v1/sessions", api_sessions_list},
    {"DELETE", "/v1/sessions", api_logout_all},
    {"DELETE", "/v1/sessions/current", api_logout}, /* before {id}: first match wins */
    {"DELETE", "/v1/sessions/{id}", api_session_revoke},
};
const int api_nroutes = (int)(sizeof api_routes / sizeof api_routes[0]);

const db_stmt api_stmts[API_NSTMTS] = {
    [STMT_PROFILE_GET] = {"profile_get",
                          "SELECT profile FROM khnet_profile_view($1::bigint, $2::bigint, $3)", 3},
    [STMT_PROFILE_LIST] = {"profile_list",
                           "SELECT d.id, d.card, $9::int AS fetch FROM khnet_profile_directory("
                           "$1::bigint, $2, $3, $4, $5, $6, $7, $8::bigint, $9::int) d",
                           9},
    [STMT_INFO] = {"info",
                   "SELECT schema_version, to_char(db_time AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS db_time FROM khnet_info()",
                   0},
    [STMT_REGISTER] = {"register", "SELECT * FROM khnet_register($1, $2, $3)", 3},
    [STMT_LOGIN_LOOKUP] = {"login_lookup", "SELECT * FROM khnet_login_lookup($1)", 1},
    [STMT_SESSION_CREATE] = {"session_create",
                             "SELECT * FROM khnet_session_create($1, $2, $3, $4, $5)", 5},
    [STMT_SESSION_AUTH] = {"session_auth", "SELECT * FROM khnet_session_auth($1)", 1},
    [STMT_SESSIONS_LIST] = {"sessions_list", "SELECT * FROM khnet_sessions_list($1)", 1},
    [STMT_SESSIONS_REVOKE] = {"sessions_revoke",
                              "SELECT khnet_sessions_revoke($1, $2, $3) AS n", 3},
    [STMT_ACCOUNT_GET] = {"account_get", "SELECT * FROM khnet_account_get($1)", 1},
    [STMT_PASSWORD_SET] = {"password_set", "SELECT khnet_password_set($1, $2, $3) AS n", 3},
    [STMT_ROLE_SET] = {"role_set", "SELECT * FROM khnet_role_set($1, $2, $3)", 3},
};
