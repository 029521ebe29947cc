/* query.c — the bridge from handlers to the pool: one query per step, a
 * statement named by its place in its domain's table, and the mapping of
 * database failures to PROTOCOL.md's errors (never SQL text to clients;
 * the details go to the log with the request id). */
#include "kit.h"
#include "log.h"

#include <string.h>

/* A failed statement whose SQLSTATE says the database refuses writes for
 * now: 25006 read_only_sql_transaction (default_transaction_read_only, a
 * hot standby) and 53100 disk_full.  Both are the operator's to fix, so the
 * client gets a 503 it may retry, not 500 internal.  NULL: a real failure. */
static const char *refusal_code(const char *sqlstate)
{
    if (!sqlstate) return NULL;
    if (!strcmp(sqlstate, "25006")) return "db_read_only";
    if (!strcmp(sqlstate, "53100")) return "db_full";
    return NULL;
}

static void fail_query(http_req *r, const db_reply *rep)
{
    const char *code = refusal_code(rep->sqlstate);
    log_event(code ? "warn" : "error", "msg=\"query failed\" rid=%s sqlstate=%s detail=\"%s\"",
              http_req_id(r), rep->sqlstate ? rep->sqlstate : "", rep->message ? rep->message : "");
    if (code && !strcmp(code, "db_read_only"))
        api_fail(r, code, "the database is read-only for now; retry later", NULL);
    else if (code)
        api_fail(r, code, "the database disk is full; retry later", NULL);
    else
        api_fail(r, "internal", "internal error", NULL);
}

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
    api_guard g;
    http_req_note_db(r, rep->wait_ns, rep->run_ns);
    api__guard_begin(&g, r);
    switch (rep->status) {
    case DB_OK:
        if (p->done_with)
            p->done_with(r, rep->res, p->data);
        else
            p->done(r, rep->res);
        break;
    case DB_UNAVAILABLE:
        api_fail(r, "db_unavailable", "the database is unavailable; retry later", NULL);
        break;
    case DB_TIMEOUT:
        api_fail(r, "db_timeout", "the query took too long; retry later", NULL);
        break;
    case DB_QUERY_ERROR:
    default:
        fail_query(r, rep);
        break;
    }
    api__guard_end(&g, "query callback");
}

int api_db_query(db_pool *db, const db_stmt *stmt, int nparams, const char *const *values, db_cb cb,
                 void *data)
{
    int id = api_stmt_id(stmt);
    return id < 0 ? -1 : db_query(db, id, nparams, values, NULL, cb, data);
}

static void send_query(http_req *r, const db_stmt *stmt, int nparams, const char *const *values,
                       pending init)
{
    api_ctx *ctx = http_req_app(r);
    pending *p = kp_arena_alloc(http_req_arena(r), sizeof *p);
    if (!p) {
        api_oom(r);
        return;
    }
    *p = init;
    int rc = api_db_query(ctx->db, stmt, nparams, values, on_result, p);
    if (rc == -2)
        api_oom(r);
    else if (rc != 0)
        api_fail(r, "db_unavailable", "the database is unavailable; retry later", NULL);
    else
        api__step_started();
}

void api_query(http_req *r, const db_stmt *stmt, int nparams, const char *const *values,
               api_done done)
{
    send_query(r, stmt, nparams, values, (pending){r, done, NULL, NULL});
}

void api_query_caller(http_req *r, const api_principal *who, const db_stmt *stmt, api_done done)
{
    api_dec me = api_dec_of(who->account_id);
    const char *p[1] = {me.s};
    api_query(r, stmt, 1, p, done);
}

void api_query_with(http_req *r, const db_stmt *stmt, int nparams, const char *const *values,
                    api_done_with done, void *data)
{
    send_query(r, stmt, nparams, values, (pending){r, NULL, done, data});
}
