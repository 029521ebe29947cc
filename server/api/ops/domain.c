/* domain.c — the ops domain's routes and statements. */
#include "ops.h"

static const http_route routes[] = {
    {"GET", "/healthz", api_healthz},
    {"GET", "/metrics", api_metrics},
    {"GET", "/v1/info", api_info},
    {"POST", "/v1/echo", api_echo},
};

const db_stmt ops_stmts[OPS_NSTMTS] = {
    [OPS_INFO] = {"info", "SELECT status, field, body::text AS body FROM khnet_info()", 0},
};

const api_domain api_domain_ops = API_DOMAIN("ops", routes, ops_stmts);
