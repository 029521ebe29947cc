/* query.c — the bridge from handlers to the pool: one query per request,
 * and the mapping of database failures to PROTOCOL.md's errors (never SQL
 * text to clients; the details go to the log with the request id). */
#include <string.h>

#include "api.h"
#include "log.h"

typedef struct pending {
    http_req *req;
    api_done done;           /* either this ... */
    api_done_with done_with; /* ... or this, with data */
    void *data;              /* for done_with */
} pending;

static void on_result(void *data, const db_reply *rep)
{
    pending *p = data;
    http_req *r = p->req;
    switch (rep->status) {
    case DB_OK:
        if (p->done_with)
            p->done_with(r, rep->res, p->data);
        else
            p->done(r, rep->res);
        return;
    case DB_UNAVAILABLE:
        http_reply_error(r, 503, "db_unavailable", "the database is unavailable; retry later",
                         NULL);
        return;
    case DB_TIMEOUT:
        http_reply_error(r, 503, "db_timeout", "the query took too long; retry later", NULL);
        return;
    case DB_QUERY_ERROR:
    default:
        log_event("error", "msg=\"query failed\" rid=%s sqlstate=%s detail=\"%s\"", http_req_id(r),
                  rep->sqlstate ? rep->sqlstate : "", rep->message ? rep->message : "");
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
}

static void send_query(http_req *r, int stmt, int nparams, const char *const *values, pending init)
{
    api_ctx *ctx = http_req_app(r);
    pending *p = kp_arena_alloc(http_req_arena(r), sizeof *p);
    if (!p) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    *p = init;
    if (db_query(ctx->db, stmt, nparams, values, NULL, on_result, p) != 0)
        http_reply_error(r, 503, "db_unavailable", "the database is unavailable; retry later",
                         NULL);
}

void api_query(http_req *r, int stmt, int nparams, const char *const *values, api_done done)
{
    send_query(r, stmt, nparams, values, (pending){r, done, NULL, NULL});
}

void api_query_with(http_req *r, int stmt, int nparams, const char *const *values,
                    api_done_with done, void *data)
{
    send_query(r, stmt, nparams, values, (pending){r, NULL, done, data});
}

const kp_value *api_body(http_req *r, const char *const *allowed)
{
    const kp_value *b = http_req_body(r);
    kp_err e = {0};
    if (!b) {
        http_reply_error(r, 400, "missing_field", "a map body is required", "body");
        return NULL;
    }
    if (kp_expect_map(b, NULL, &e) != 0 || kp_check_fields(b, allowed, &e) != 0) {
        http_reply_kperr(r, 400, &e);
        return NULL;
    }
    return b;
}

const char *api_col(const PGresult *res, const char *name)
{
    int c = PQfnumber(res, name);
    if (c < 0 || PQntuples(res) < 1 || PQgetisnull(res, 0, c)) return NULL;
    return PQgetvalue(res, 0, c);
}
