/* api.h — the endpoints: one file per domain, each a handler that reads top
 * to bottom (decode → check permission → one query → encode), plus the
 * route table and the statements every worker's pool prepares.
 *
 * Handlers get their context through http_req_app(); it is the worker's
 * api_ctx, so it belongs to the handler's thread. */
#ifndef KHNET_API_H
#define KHNET_API_H

#include "db/db.h"
#include "http/http.h"
#include "metrics.h"

typedef struct api_ctx {
    db_pool *db;                 /* this worker's pool */
    int worker_id;               /* index of this worker */
    metrics *const *all_metrics; /* every worker's counters, for /metrics */
    int nworkers;                /* entries in all_metrics */
} api_ctx;

/* Statement ids: indexes into api_stmts. */
enum api_stmt { STMT_INFO, API_NSTMTS };
extern const db_stmt api_stmts[API_NSTMTS];

extern const http_route api_routes[];
extern const int api_nroutes;

/* Handlers (one file each domain). */
void api_healthz(http_req *r);
void api_metrics(http_req *r);
void api_info(http_req *r);
void api_echo(http_req *r);

/* Sends a query for `r` whose result `done` encodes; on any database
 * failure the client gets the documented 503/500 and `done` is not called.
 * Replies 503 db_unavailable itself when the pool refuses the query. */
typedef void (*api_done)(http_req *r, const PGresult *res);
void api_query(http_req *r, int stmt, int nparams, const char *const *values, api_done done);

/* Text of a column of row 0, or NULL when NULL. */
const char *api_col(const PGresult *res, const char *name);

#endif
