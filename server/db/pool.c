/* pool.c — the asynchronous PostgreSQL pool (db_pool_*, db_query).
 *
 * One pool per worker loop; nothing here is thread-safe.  Each connection is
 * a non-blocking libpq connection driven by a uv_poll_t on its socket and
 * runs in pipeline mode: every query is sent at once as Bind/Execute followed
 * by its own Sync, so an error in one query aborts only that query, and the
 * results come back in the order sent (one FIFO of in-flight items per
 * connection).  A connection becomes ready only after its setup batch (set
 * statement_timeout, prepare every registered statement, Sync) succeeded.
 *
 * Failures that are not read from the socket (pool down, queue full, timeout,
 * connection lost, pool closing) go through a deferred list that a uv_idle
 * handle drains on the next loop iteration, so no callback ever runs inside
 * db_query and callers need no re-entrancy care.
 *
 * Connecting, watching the socket, flushing and reconnecting with backoff
 * are the shared connection machine's (link.c, also under the LISTEN
 * connection); this file owns what runs on a connection: the setup batch,
 * the pipeline of queries, and what fails when a connection is lost.
 *
 * Migrations live in migrate.c; they are blocking and never run on a loop.
 *
 * Known limitation: libpq resolves host names inside PQconnectPoll with a
 * blocking getaddrinfo.  Configure an IP address (host= or hostaddr=) for the
 * pool so a slow resolver cannot stall a worker loop.
 */
#include "db/db.h"
#include "db/link.h"
#include "khproto.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 10000 /* whole connect + setup attempt */
#define DEFAULT_WAIT_MS 30000    /* queue wait bound when statement_timeout is 0 */
#define STALL_GRACE_MS 5000      /* beyond the timeout before a silent conn is dead */
#define TICK_MS 100              /* housekeeping period (queue expiry, stalls) */

typedef struct db_item db_item;
struct db_item {
    db_item *next;      /* FIFO link (queue, in-flight, or deferred list) */
    int stmt_id;        /* index into the pool's statements; -1 for setup */
    int nparams;        /* number of entries in values */
    char **values;      /* copied parameters, NULL = SQL NULL; in this block */
    db_cb cb;           /* the caller's callback; NULL for setup */
    void *data;         /* the caller's argument to cb */
    uint64_t since_ms;  /* when queued (queue) or sent (in flight) */
    uint64_t queued_ns; /* uv_hrtime when db_query took it (db_reply.wait_ns) */
    uint64_t sent_ns;   /* uv_hrtime when it was sent (db_reply.run_ns) */
    int nres;           /* results seen since the last NULL separator */
    PGresult *res;      /* the result kept for the reply, or NULL */
    db_status status;   /* deferred failure: the status to report */
    const char *errmsg; /* deferred failure: static text for logs */
};

typedef struct db_fifo {
    db_item *head; /* oldest */
    db_item *tail; /* newest */
    int n;         /* items in the list */
} db_fifo;

typedef struct db_conn {
    db_link link;     /* the connection machine; link.owner is this */
    db_pool *pool;    /* owner */
    char name[12];    /* position in pool->conns, for logs */
    uint64_t head_ms; /* when the current in-flight head became the head */
    db_fifo inflight; /* sent, in order; setup item first while in SETUP */
} db_conn;

struct db_pool {
    uv_loop_t *loop;      /* the worker's loop */
    db_config cfg;        /* copy; conninfo points into conninfo_copy */
    char *conninfo_copy;  /* owned copy of cfg.conninfo */
    const db_stmt *stmts; /* the caller's table, outlives the pool */
    size_t nstmts;        /* entries in stmts */
    db_conn *conns;       /* cfg.connections entries */
    db_fifo queue;        /* waiting for a ready connection */
    db_fifo deferred;     /* failed, callback pending on the next iteration */
    int in_flight;        /* caller queries sent on any connection */
    uint64_t queries;     /* completed with DB_OK */
    uint64_t failures;    /* completed with anything else */
    uv_idle_t idle;       /* drains `deferred` */
    uv_timer_t tick;      /* housekeeping */
    int handles;          /* open handles and links; the pool is freed at 0 when closing */
    bool closing;         /* db_pool_close was called */
    void (*done)(void *); /* db_pool_close's callback */
    void *done_data;      /* its argument */
};

static void idle_cb(uv_idle_t *h);

/* ---- small helpers -------------------------------------------------------- */

static void fifo_push(db_fifo *f, db_item *it)
{
    it->next = NULL;
    if (f->tail)
        f->tail->next = it;
    else
        f->head = it;
    f->tail = it;
    f->n++;
}

static db_item *fifo_pop(db_fifo *f)
{
    db_item *it = f->head;
    if (!it) return NULL;
    f->head = it->next;
    if (!f->head) f->tail = NULL;
    f->n--;
    it->next = NULL;
    return it;
}

static uint64_t wait_bound_ms(const db_pool *p)
{
    return p->cfg.statement_timeout_ms > 0 ? (uint64_t)p->cfg.statement_timeout_ms
                                           : DEFAULT_WAIT_MS;
}

static void item_free(db_item *it)
{
    if (it->res) PQclear(it->res);
    free(it);
}

/* Fails an item later, from the idle handle: see the file comment. */
static void defer_fail(db_pool *p, db_item *it, db_status st, const char *why)
{
    if (!it->cb) { /* a connection's setup batch: nobody to tell */
        item_free(it);
        return;
    }
    if (it->res) {
        PQclear(it->res);
        it->res = NULL;
    }
    it->status = st;
    it->errmsg = why;
    p->failures++;
    fifo_push(&p->deferred, it);
    uv_idle_start(&p->idle, idle_cb); /* idempotent while active */
}

static size_t param_len(const char *const *values, const int *lengths, int i)
{
    return lengths && lengths[i] >= 0 ? (size_t)lengths[i] : strlen(values[i]);
}

/* Copies the parameters into the item's own block so queued items never
 * point at the caller's memory. */
static db_item *item_new(int stmt_id, int nparams, const char *const *values, const int *lengths)
{
    size_t bytes = sizeof(db_item) + (size_t)nparams * sizeof(char *);
    for (int i = 0; i < nparams; i++)
        if (values[i]) bytes += param_len(values, lengths, i) + 1;
    db_item *it = kp_fault_hit("query") ? NULL : calloc(1, bytes); /* injected: proto/fault.c */
    if (!it) return NULL;
    it->stmt_id = stmt_id;
    it->nparams = nparams;
    it->values = (char **)(it + 1);
    char *dst = (char *)(it->values + nparams);
    for (int i = 0; i < nparams; i++) {
        if (!values[i]) continue; /* calloc left it NULL: SQL NULL */
        size_t n = param_len(values, lengths, i);
        memcpy(dst, values[i], n);
        dst[n] = '\0';
        it->values[i] = dst;
        dst += n + 1;
    }
    return it;
}

/* ---- handle lifetime ------------------------------------------------------ */

/* Every handle the pool opens counts in p->handles; the pool is freed, and
 * done() called, when the last close callback of a closing pool has run. */
static void pool_unref(db_pool *p)
{
    if (--p->handles > 0 || !p->closing) return;
    void (*done)(void *) = p->done;
    void *data = p->done_data;
    free(p->conns);
    free(p->conninfo_copy);
    free(p);
    if (done) done(data);
}

static void pool_handle_closed(uv_handle_t *h)
{
    pool_unref(h->data);
}

static void link_closed(db_link *l)
{
    const db_conn *c = l->owner;
    pool_unref(c->pool);
}

/* ---- connection state machine --------------------------------------------- */

static bool first_attempt(const db_conn *c)
{
    db_link_state st = c->link.state;
    return (st == DB_LINK_CONNECTING || st == DB_LINK_SETUP) && c->link.failures == 0;
}

static db_conn *best_conn(db_pool *p)
{
    db_conn *best = NULL;
    for (int i = 0; i < p->cfg.connections; i++) {
        db_conn *c = &p->conns[i];
        if (c->link.state == DB_LINK_READY && (!best || c->inflight.n < best->inflight.n)) best = c;
    }
    return best;
}

/* Requests must fail fast, never hang, while PostgreSQL is down: queued
 * items may only wait for a connection that is up or in its first attempt. */
static void pool_check_unavailable(db_pool *p)
{
    if (p->queue.n == 0 || p->closing) return;
    for (int i = 0; i < p->cfg.connections; i++)
        if (p->conns[i].link.state == DB_LINK_READY || first_attempt(&p->conns[i])) return;
    db_item *it;
    while ((it = fifo_pop(&p->queue)))
        defer_fail(p, it, DB_UNAVAILABLE, "database unavailable");
}

static void fail_inflight(db_conn *c, const char *why)
{
    db_pool *p = c->pool;
    db_item *it;
    while ((it = fifo_pop(&c->inflight))) {
        if (it->cb) p->in_flight--;
        defer_fail(p, it, DB_UNAVAILABLE, why);
    }
}

/* The link went down (and plans its next attempt): fail what it carried;
 * queued queries fail too unless some connection may come back soon. */
static void conn_lost(db_link *l, bool was_ready)
{
    db_conn *c = l->owner;
    (void)was_ready;
    fail_inflight(c, "connection lost");
    pool_check_unavailable(c->pool);
}

/* Connected: queue the setup batch.  The connection is ready only when its
 * Sync comes back with every step successful (see setup_done). */
static void conn_setup(db_link *l)
{
    db_conn *c = l->owner;
    db_pool *p = c->pool;
    PGconn *pg = l->pg;
    char ms[24];
    snprintf(ms, sizeof ms, "%d", p->cfg.statement_timeout_ms);
    const char *const v[] = {ms};
    db_item *it = item_new(-1, 0, NULL, NULL);
    if (!it) {
        db_link_down(l, "out of memory");
        return;
    }
    c->head_ms = uv_now(p->loop);
    fifo_push(&c->inflight, it);
    /* jit off: the server's statements are short, and a plan whose cost
     * estimate passes jit_optimize_above_cost was compiled with LLVM on
     * every call ("similar": 5.4 s of JIT for a 0.1 s query, past the
     * statement timeout). */
    int ok = PQenterPipelineMode(pg) &&
             PQsendQueryParams(pg,
                               "SELECT pg_catalog.set_config('statement_timeout', $1, false),"
                               " pg_catalog.set_config('jit', 'off', false)",
                               1, NULL, v, NULL, NULL, 0);
    for (size_t i = 0; ok && i < p->nstmts; i++)
        ok = PQsendPrepare(pg, p->stmts[i].name, p->stmts[i].sql, p->stmts[i].nparams, NULL);
    if (!ok || !PQpipelineSync(pg)) db_link_down(l, PQerrorMessage(pg)); /* else link flushes */
}

/* ---- sending and receiving ------------------------------------------------ */

static void send_item(db_conn *c, db_item *it)
{
    db_pool *p = c->pool;
    const db_stmt *s = &p->stmts[it->stmt_id];
    it->since_ms = uv_now(p->loop);
    it->sent_ns = uv_hrtime();
    if (c->inflight.n == 0) c->head_ms = it->since_ms;
    fifo_push(&c->inflight, it);
    p->in_flight++;
    /* Text parameters: libpq copies them into its output buffer here.  One
     * Sync per query so an error aborts only this query's segment. */
    if (!PQsendQueryPrepared(c->link.pg, s->name, it->nparams, (const char *const *)it->values,
                             NULL, NULL, 0) ||
        !PQpipelineSync(c->link.pg)) {
        db_link_down(&c->link, PQerrorMessage(c->link.pg));
        return;
    }
    db_link_flush(&c->link);
}

static void pool_drain(db_pool *p)
{
    db_conn *c;
    while (p->queue.head && (c = best_conn(p)))
        send_item(c, fifo_pop(&p->queue));
}

static bool result_ok(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Keeps one result per item: the first, unless a later one is an error. */
static void keep_result(db_item *it, PGresult *r)
{
    if (!it->res || (result_ok(it->res) && !result_ok(r))) {
        if (it->res) PQclear(it->res);
        it->res = r;
    } else {
        PQclear(r);
    }
}

static void reply_from(const PGresult *res, db_reply *rep)
{
    *rep = (db_reply){DB_UNAVAILABLE, NULL, "", "no result", 0, 0};
    if (!res) return;
    if (result_ok(res)) {
        *rep = (db_reply){DB_OK, res, "", "", 0, 0};
        return;
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    rep->message = PQresultErrorMessage(res);
    if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
        rep->message = "pipeline aborted by an earlier error";
    if (!state || strlen(state) != 5)
        state = "XX000"; /* no SQLSTATE (client-side failure): internal_error */
    if (strcmp(state, "57014") == 0) {
        rep->status = DB_TIMEOUT;
        rep->sqlstate = state;
    } else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
        rep->status = DB_UNAVAILABLE; /* connection exception, server shutting down */
    } else {
        rep->status = DB_QUERY_ERROR;
        rep->sqlstate = state;
    }
}

static void setup_done(db_conn *c, db_item *it)
{
    db_pool *p = c->pool;
    if (!it->res || !result_ok(it->res)) {
        db_link_down(&c->link, it->res ? PQresultErrorMessage(it->res) : "setup failed");
        item_free(it);
        return;
    }
    item_free(it);
    db_link_ready(&c->link);
    pool_drain(p);
}

/* The head item's Sync arrived: its results are complete. */
static void item_done(db_conn *c)
{
    db_pool *p = c->pool;
    db_item *it = fifo_pop(&c->inflight);
    c->head_ms = uv_now(p->loop);
    if (!it->cb) {
        setup_done(c, it);
        return;
    }
    p->in_flight--;
    db_reply rep;
    reply_from(it->res, &rep);
    rep.wait_ns = it->sent_ns - it->queued_ns;
    rep.run_ns = uv_hrtime() - it->sent_ns;
    if (rep.status == DB_OK)
        p->queries++;
    else
        p->failures++;
    it->cb(it->data, &rep);
    item_free(it);
}

/* Maps results to in-flight items in FIFO order.  Per item libpq yields its
 * result(s), a NULL separator, then PGRES_PIPELINE_SYNC.  A NULL with no
 * result before it means nothing is pending; two in a row end the loop.
 * Callbacks may close the pool or drop this connection, hence `gen`. */
static void read_results(db_link *l)
{
    db_conn *c = l->owner;
    PGconn *pg = l->pg;
    unsigned gen = l->gen;
    int strays = 0;
    while (l->gen == gen && !PQisBusy(pg)) {
        PGresult *r = PQgetResult(pg);
        db_item *it = c->inflight.head;
        if (!r) {
            if (it && it->nres > 0)
                it->nres = 0;
            else if (++strays > 1)
                break;
            continue;
        }
        strays = 0;
        if (!it) {
            PQclear(r);
            db_link_down(l, "result with no query");
            return;
        }
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            item_done(c);
            continue;
        }
        it->nres++;
        keep_result(it, r);
    }
}

static const db_link_ops conn_ops = {conn_setup, read_results, conn_lost, link_closed};

/* ---- housekeeping --------------------------------------------------------- */

static void idle_cb(uv_idle_t *h)
{
    db_pool *p = h->data;
    db_fifo list = p->deferred;
    p->deferred = (db_fifo){0};
    db_item *it;
    while ((it = fifo_pop(&list))) {
        db_reply rep = {it->status, NULL, "", it->errmsg, 0, 0};
        it->cb(it->data, &rep);
        item_free(it);
    }
    if (p->deferred.n > 0) return; /* a callback failed more; next iteration */
    uv_idle_stop(h);
    if (p->closing && !uv_is_closing((uv_handle_t *)h))
        uv_close((uv_handle_t *)h, pool_handle_closed);
}

/* Bounds every wait: queued items expire, and a connection whose oldest
 * query is silent well past statement_timeout is presumed dead (a peer that
 * vanished without a FIN would otherwise hold its queries forever). */
static void tick_cb(uv_timer_t *t)
{
    db_pool *p = t->data;
    uint64_t now = uv_now(p->loop);
    uint64_t bound = wait_bound_ms(p);
    while (p->queue.head && now - p->queue.head->since_ms >= bound)
        defer_fail(p, fifo_pop(&p->queue), DB_UNAVAILABLE, "waited too long for a connection");
    if (p->cfg.statement_timeout_ms <= 0)
        return; /* long queries are allowed; rely on TCP keepalives */
    for (int i = 0; i < p->cfg.connections; i++) {
        db_conn *c = &p->conns[i];
        const db_item *head = c->inflight.head;
        if (c->link.state != DB_LINK_READY || !head) continue;
        uint64_t start = head->since_ms > c->head_ms ? head->since_ms : c->head_ms;
        if (now - start > bound + STALL_GRACE_MS)
            db_link_down(&c->link, "no reply within the statement timeout");
    }
}

/* ---- public interface ----------------------------------------------------- */

static void normalize(db_config *cfg)
{
    if (cfg->connections < 1) cfg->connections = 1;
    if (cfg->max_queue < 1) cfg->max_queue = 1024;
    if (cfg->statement_timeout_ms < 0) cfg->statement_timeout_ms = 0;
    if (cfg->reconnect_min_ms < 1) cfg->reconnect_min_ms = 100;
    if (cfg->reconnect_max_ms < cfg->reconnect_min_ms)
        cfg->reconnect_max_ms = cfg->reconnect_min_ms;
}

db_pool *db_pool_new(uv_loop_t *loop, const db_config *cfg, const db_stmt *stmts, size_t nstmts)
{
    db_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->cfg = *cfg;
    normalize(&p->cfg);
    p->conninfo_copy = strdup(cfg->conninfo ? cfg->conninfo : "");
    p->conns = calloc((size_t)p->cfg.connections, sizeof *p->conns);
    if (!p->conninfo_copy || !p->conns) {
        free(p->conninfo_copy);
        free(p->conns);
        free(p);
        return NULL;
    }
    p->cfg.conninfo = p->conninfo_copy;
    p->loop = loop;
    p->stmts = stmts;
    p->nstmts = nstmts;
    uv_idle_init(loop, &p->idle);
    p->idle.data = p;
    uv_timer_init(loop, &p->tick);
    p->tick.data = p;
    uv_timer_start(&p->tick, tick_cb, TICK_MS, TICK_MS);
    uv_unref((uv_handle_t *)&p->tick); /* housekeeping must not keep a loop alive */
    p->handles = 2;
    for (int i = 0; i < p->cfg.connections; i++) {
        db_conn *c = &p->conns[i];
        c->pool = p;
        snprintf(c->name, sizeof c->name, "%d", i);
        db_link_init(&c->link, loop, p->cfg.conninfo, c->name, &conn_ops, c);
        c->link.backoff_min_ms = p->cfg.reconnect_min_ms;
        c->link.backoff_max_ms = p->cfg.reconnect_max_ms;
        p->handles++; /* one per link: its `closed` hook */
    }
    for (int i = 0; i < p->cfg.connections; i++)
        db_link_start(&p->conns[i].link);
    return p;
}

int db_query(db_pool *p, int stmt_id, int nparams, const char *const *values, const int *lengths,
             db_cb cb, void *data)
{
    if (!p || p->closing || !cb || stmt_id < 0 || (size_t)stmt_id >= p->nstmts ||
        nparams != p->stmts[stmt_id].nparams || (nparams > 0 && !values))
        return -1;
    db_item *it = item_new(stmt_id, nparams, values, lengths);
    if (!it) return -2;
    it->cb = cb;
    it->data = data;
    it->since_ms = uv_now(p->loop);
    it->queued_ns = uv_hrtime();
    db_conn *c = best_conn(p);
    if (p->queue.n + p->in_flight >= p->cfg.max_queue) {
        defer_fail(p, it, DB_UNAVAILABLE, "database queue full");
    } else if (c) {
        send_item(c, it);
    } else {
        fifo_push(&p->queue, it);
        pool_check_unavailable(p); /* fails it (deferred) unless a first attempt runs */
    }
    return 0;
}

void db_pool_stats(const db_pool *p, db_stats *out)
{
    *out = (db_stats){0};
    out->connections = p->cfg.connections;
    for (int i = 0; i < p->cfg.connections; i++)
        if (p->conns[i].link.state == DB_LINK_READY) out->connected++;
    out->broken = out->connections - out->connected;
    out->in_flight = p->in_flight;
    out->queued = p->queue.n;
    out->queries = p->queries;
    out->failures = p->failures;
}

void db_pool_close(db_pool *p, void (*done)(void *data), void *data)
{
    if (!p || p->closing) return;
    p->closing = true;
    p->done = done;
    p->done_data = data;
    db_item *it;
    while ((it = fifo_pop(&p->queue)))
        defer_fail(p, it, DB_UNAVAILABLE, "pool closing");
    for (int i = 0; i < p->cfg.connections; i++) {
        db_conn *c = &p->conns[i];
        fail_inflight(c, "pool closing");
        db_link_close(&c->link);
    }
    uv_close((uv_handle_t *)&p->tick, pool_handle_closed);
    uv_idle_start(&p->idle, idle_cb); /* delivers the failures, then closes itself */
}
