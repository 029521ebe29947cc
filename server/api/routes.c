/* routes.c — the route table and the statements prepared on every
 * connection.  SQL text lives in migrations/ as functions; here are only
 * the calls to them. */
#include "api.h"

const http_route api_routes[] = {
    {"GET", "/healthz", api_healthz},
    {"GET", "/metrics", api_metrics},
    {"GET", "/v1/info", api_info},
    {"POST", "/v1/echo", api_echo},
};
const int api_nroutes = (int)(sizeof api_routes / sizeof api_routes[0]);

const db_stmt api_stmts[API_NSTMTS] = {
    [STMT_INFO] = {"info",
                   "SELECT schema_version, to_char(db_time AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS db_time FROM khnet_info()",
                   0},
};
