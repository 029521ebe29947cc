/* test_pool.c — the asynchronous pool (server/db/pool.c) and the LISTEN
 * connection (server/db/listen.c), both on the one connection machine
 * (server/db/link.c), against a real PostgreSQL: pipelining over few
 * connections, per-query error isolation, statement timeout, fail-fast when
 * the server is unreachable, close with work pending, a backend terminated
 * under each (pg_terminate_backend on our own backend only: the cluster is
 * shared), and (with KHNET_TEST_PGCTL) a server stop/start under load.
 *
 * Needs KHNET_TEST_DATABASE_URL.  KHNET_TEST_PGCTL, when set, is an
 * executable taking `stop` / `start` for that same cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/db.h"

enum { S_DOUBLE, S_DIV, S_SLEEP, S_ECHO, S_SETTING };
static const db_stmt stmts[] = {
    [S_DOUBLE] = {"t_double", "SELECT $1::int * 2, pg_backend_pid()", 1},
    [S_DIV] = {"t_div", "SELECT 10 / $1::int", 1},
    [S_SLEEP] = {"t_sleep", "SELECT 1 FROM pg_sleep($1::float8)", 1},
    [S_ECHO] = {"t_echo", "SELECT ($1::text IS NULL)::int, $2::text", 2},
    [S_SETTING] = {"t_setting", "SELECT 1, current_setting($1)", 1},
};
#define NSTMTS (sizeof stmts / sizeof stmts[0])

typedef struct ctx ctx;

typedef struct query {
    ctx *x;           /* owning test context */
    long v;           /* first column of the first row, DB_OK only */
    long pid;         /* second column (backend pid, or echo) */
    uint64_t at_ms;   /* loop time of the callback */
    int seq;          /* order among all callbacks of the test */
    db_status st;     /* reply status */
    char text[32];    /* second column as text */
    char sqlstate[6]; /* reply sqlstate */
    bool done;        /* callback ran */
} query;

struct ctx {
    uv_loop_t loop; /* one loop per test */
    db_pool *pool;  /* under test */
    bool in_query;  /* set around db_query: callbacks must never see it */
    int ncb;        /* callbacks so far */
    int want;       /* run_until(pred_cbs) waits for this many */
    int want_conn;  /* run_until(pred_connected) waits for this many */
    bool closed;    /* db_pool_close's done ran */
    query *probe;   /* the query pred_probe waits for */
};

static const char *db_url(void)
{
    const char *u = getenv("KHNET_TEST_DATABASE_URL");
    if (!u || !*u)
        fail_msg("KHNET_TEST_DATABASE_URL is not set: the db tests need a PostgreSQL "
                 "URL, e.g. postgresql://khnet@127.0.0.1:54329/postgres");
    return u;
}

static db_config config(const char *conninfo, int conns)
{
    return (db_config){.conninfo = conninfo,
                       .connections = conns,
                       .statement_timeout_ms = 5000,
                       .max_queue = 10000,
                       .reconnect_min_ms = 100,
                       .reconnect_max_ms = 1000};
}

static void on_reply(void *data, const db_reply *r)
{
    query *q = data;
    assert_false(q->x->in_query); /* never called from inside db_query */
    assert_false(q->done);        /* exactly once */
    q->done = true;
    q->seq = q->x->ncb++;
    q->st = r->status;
    q->at_ms = uv_now(&q->x->loop);
    snprintf(q->sqlstate, sizeof q->sqlstate, "%s", r->sqlstate);
    if (r->status == DB_OK && PQntuples(r->res) > 0) {
        q->v = strtol(PQgetvalue(r->res, 0, 0), NULL, 10);
        if (PQnfields(r->res) > 1) {
            q->pid = strtol(PQgetvalue(r->res, 0, 1), NULL, 10);
            snprintf(q->text, sizeof q->text, "%s", PQgetvalue(r->res, 0, 1));
        }
    }
}

static int submit(ctx *x, query *q, int stmt, const char *a, const char *b)
{
    const char *v[2] = {a, b};
    q->x = x;
    x->in_query = true;
    int rc = db_query(x->pool, stmt, stmts[stmt].nparams, v, NULL, on_reply, q);
    x->in_query = false;
    return rc;
}

static int submit_int(ctx *x, query *q, int stmt, long n)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%ld", n);
    return submit(x, q, stmt, buf, NULL);
}

/* ---- running the loop until something holds ------------------------------- */

typedef bool (*pred_fn)(ctx *x);
typedef struct waiter {
    ctx *x;            /* the test */
    pred_fn pred;      /* stop when true */
    uint64_t deadline; /* or at this loop time */
} waiter;

static void wait_tick(uv_timer_t *t)
{
    const waiter *w = t->data;
    if ((w->pred && w->pred(w->x)) || uv_now(t->loop) >= w->deadline) uv_stop(t->loop);
}

static bool run_until(ctx *x, pred_fn pred, int timeout_ms)
{
    uv_update_time(&x->loop);
    waiter w = {x, pred, uv_now(&x->loop) + (uint64_t)timeout_ms};
    uv_timer_t t;
    uv_timer_init(&x->loop, &t);
    t.data = &w;
    uv_timer_start(&t, wait_tick, 2, 2);
    uv_run(&x->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&x->loop, UV_RUN_NOWAIT);
    return pred && pred(x);
}

static bool pred_cbs(ctx *x)
{
    return x->ncb >= x->want;
}
static bool pred_closed(ctx *x)
{
    return x->closed;
}
static bool pred_probe(ctx *x)
{
    return x->probe->done;
}

static bool pred_connected(ctx *x)
{
    db_stats s;
    db_pool_stats(x->pool, &s);
    return s.connected >= x->want_conn;
}

static void on_closed(void *data)
{
    ((ctx *)data)->closed = true;
}

static void start(ctx *x, const db_config *cfg, int wait_connected)
{
    memset(x, 0, sizeof *x);
    assert_int_equal(uv_loop_init(&x->loop), 0);
    x->pool = db_pool_new(&x->loop, cfg, stmts, NSTMTS);
    assert_non_null(x->pool);
    x->want_conn = wait_connected;
    if (wait_connected > 0) assert_true(run_until(x, pred_connected, 10000));
}

/* Closes the pool, then the loop: uv_loop_close fails if a handle leaked. */
static void finish(ctx *x)
{
    db_pool_close(x->pool, on_closed, x);
    assert_true(run_until(x, pred_closed, 5000));
    uv_run(&x->loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&x->loop), 0);
}

static void wait_cbs(ctx *x, int n, int timeout_ms)
{
    x->want = n;
    assert_true(run_until(x, pred_cbs, timeout_ms));
}

/* ---- tests ---------------------------------------------------------------- */

/* Many queries over two connections: every one answered, right values, and
 * on each connection (backend pid) in the order sent. */
static void test_concurrent_in_order(void **state)
{
    enum { N = 400 };
    ctx x;
    db_config cfg = config(db_url(), 2);
    start(&x, &cfg, 2);
    query *q = calloc(N, sizeof *q);
    assert_non_null(q);
    for (int i = 0; i < N; i++)
        assert_int_equal(submit_int(&x, &q[i], S_DOUBLE, i), 0);
    db_stats s;
    db_pool_stats(x.pool, &s);
    assert_int_equal(s.in_flight + s.queued, N);
    wait_cbs(&x, N, 20000);
    long last[2][2] = {{0, -1}, {0, -1}}; /* pid, last i seen on it */
    int pids = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(q[i].st, DB_OK);
        assert_int_equal(q[i].v, 2 * i);
        int k = 0;
        while (k < pids && last[k][0] != q[i].pid)
            k++;
        assert_true(k < 2); /* two connections, two backends */
        if (k == pids) last[pids++][0] = q[i].pid;
        assert_true(last[k][1] < i);
        last[k][1] = i;
    }
    assert_int_equal(pids, 2); /* the least-loaded pick spread the work */
    db_pool_stats(x.pool, &s);
    assert_int_equal(s.queries, N);
    assert_int_equal(s.failures, 0);
    assert_int_equal(s.in_flight, 0);
    assert_int_equal(s.connected, 2);
    free(q);
    finish(&x);
}

/* A failing query in the middle of a pipeline affects only itself. */
static void test_error_isolated(void **state)
{
    ctx x;
    db_config cfg = config(db_url(), 1);
    start(&x, &cfg, 1);
    query q[5] = {0};
    submit_int(&x, &q[0], S_DOUBLE, 1);
    submit_int(&x, &q[1], S_DIV, 0); /* division_by_zero */
    submit_int(&x, &q[2], S_DOUBLE, 2);
    submit_int(&x, &q[3], S_DIV, 5);
    submit_int(&x, &q[4], S_DOUBLE, 3);
    wait_cbs(&x, 5, 5000);
    for (int i = 0; i < 5; i++)
        assert_int_equal(q[i].seq, i);
    assert_int_equal(q[0].st, DB_OK);
    assert_int_equal(q[0].v, 2);
    assert_int_equal(q[1].st, DB_QUERY_ERROR);
    assert_string_equal(q[1].sqlstate, "22012");
    assert_int_equal(q[2].st, DB_OK);
    assert_int_equal(q[2].v, 4);
    assert_int_equal(q[3].st, DB_OK);
    assert_int_equal(q[3].v, 2);
    assert_int_equal(q[4].v, 6);
    db_stats s;
    db_pool_stats(x.pool, &s);
    assert_int_equal(s.queries, 4);
    assert_int_equal(s.failures, 1);
    finish(&x);
}

/* statement_timeout → DB_TIMEOUT, and the connection keeps working. */
static void test_statement_timeout(void **state)
{
    ctx x;
    db_config cfg = config(db_url(), 1);
    cfg.statement_timeout_ms = 300;
    start(&x, &cfg, 1);
    query q[2] = {0};
    uint64_t t0 = uv_now(&x.loop);
    submit(&x, &q[0], S_SLEEP, "3", NULL);
    submit_int(&x, &q[1], S_DOUBLE, 5);
    wait_cbs(&x, 2, 5000);
    assert_int_equal(q[0].st, DB_TIMEOUT);
    assert_string_equal(q[0].sqlstate, "57014");
    assert_true(q[0].at_ms - t0 < 2000);
    assert_int_equal(q[1].st, DB_OK);
    assert_int_equal(q[1].v, 10);
    finish(&x);
}

/* Every session runs with the pool's statement timeout and without JIT
 * (compiling a plan costed past jit_optimize_above_cost took seconds). */
static void test_session_settings(void **state)
{
    ctx x;
    db_config cfg = config(db_url(), 1);
    cfg.statement_timeout_ms = 1500;
    start(&x, &cfg, 1);
    query q[2] = {0};
    submit(&x, &q[0], S_SETTING, "statement_timeout", NULL);
    submit(&x, &q[1], S_SETTING, "jit", NULL);
    wait_cbs(&x, 2, 5000);
    assert_int_equal(q[0].st, DB_OK);
    assert_string_equal(q[0].text, "1500ms");
    assert_int_equal(q[1].st, DB_OK);
    assert_string_equal(q[1].text, "off");
    finish(&x);
}

/* Nothing listening: queries fail with DB_UNAVAILABLE at once, never hang. */
static void test_unreachable_fails_fast(void **state)
{
    ctx x;
    db_config cfg = config("postgresql://khnet@127.0.0.1:1/postgres?connect_timeout=2", 2);
    start(&x, &cfg, 0);
    query q[3] = {0};
    uint64_t t0 = uv_now(&x.loop);
    assert_int_equal(submit_int(&x, &q[0], S_DOUBLE, 1), 0); /* queued: first attempt */
    wait_cbs(&x, 1, 3000);
    assert_int_equal(q[0].st, DB_UNAVAILABLE);
    assert_string_equal(q[0].sqlstate, "");
    assert_true(q[0].at_ms - t0 < 1000);

    uv_update_time(&x.loop);
    t0 = uv_now(&x.loop);
    assert_int_equal(submit_int(&x, &q[1], S_DOUBLE, 2), 0); /* backoff: fails at once */
    assert_int_equal(submit(&x, &q[2], S_ECHO, NULL, "x"), 0);
    assert_false(q[1].done); /* deferred, not inside db_query */
    wait_cbs(&x, 3, 1000);
    assert_int_equal(q[1].st, DB_UNAVAILABLE);
    assert_int_equal(q[2].st, DB_UNAVAILABLE);
    assert_true(q[2].at_ms - t0 < 100);

    /* Not accepted: bad statement id, wrong parameter count. */
    const char *v[1] = {"1"};
    assert_int_equal(db_query(x.pool, (int)NSTMTS, 1, v, NULL, on_reply, &q[0]), -1);
    assert_int_equal(db_query(x.pool, -1, 1, v, NULL, on_reply, &q[0]), -1);
    assert_int_equal(db_query(x.pool, S_DOUBLE, 2, v, NULL, on_reply, &q[0]), -1);

    db_stats s;
    db_pool_stats(x.pool, &s);
    assert_int_equal(s.connections, 2);
    assert_int_equal(s.connected, 0);
    assert_int_equal(s.broken, 2);
    assert_int_equal(s.in_flight, 0);
    assert_int_equal(s.queued, 0);
    assert_int_equal(s.queries, 0);
    assert_int_equal(s.failures, 3);
    finish(&x);
}

/* Parameters are copied: NULLs, explicit lengths, and caller memory reused
 * right after db_query while the item still waits for a connection. */
static void test_params_copied(void **state)
{
    ctx x;
    db_config cfg = config(db_url(), 1);
    start(&x, &cfg, 0); /* queue while the first attempt runs */
    char buf[16] = "hello, world";
    const char *v[2] = {NULL, buf};
    const int len[2] = {0, 5};
    query q[2] = {0};
    q[0].x = q[1].x = &x;
    assert_int_equal(db_query(x.pool, S_ECHO, 2, v, len, on_reply, &q[0]), 0);
    memset(buf, 'X', 12);
    v[0] = "not null";
    assert_int_equal(db_query(x.pool, S_ECHO, 2, v, NULL, on_reply, &q[1]), 0);
    memset(buf, 0, sizeof buf);
    wait_cbs(&x, 2, 10000);
    assert_int_equal(q[0].st, DB_OK);
    assert_int_equal(q[0].v, 1);
    assert_string_equal(q[0].text, "hello");
    assert_int_equal(q[1].st, DB_OK);
    assert_int_equal(q[1].v, 0);
    assert_string_equal(q[1].text, "XXXXXXXXXXXX");
    finish(&x);
}

/* Beyond max_queue, queries are accepted but fail with DB_UNAVAILABLE. */
static void test_queue_bound(void **state)
{
    ctx x;
    db_config cfg = config(db_url(), 1);
    cfg.max_queue = 2;
    start(&x, &cfg, 1);
    query q[5] = {0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(submit_int(&x, &q[i], S_DOUBLE, i), 0);
    wait_cbs(&x, 5, 5000);
    for (int i = 0; i < 5; i++)
        assert_int_equal(q[i].st, i < 2 ? DB_OK : DB_UNAVAILABLE);
    finish(&x);
}

/* Closing fails what is in flight and queued, then calls done. */
static void test_close_with_pending(void **state)
{
    ctx x;
    db_config cfg = config(db_url(), 1);
    start(&x, &cfg, 1);
    query q[3] = {0};
    for (int i = 0; i < 3; i++)
        submit(&x, &q[i], S_SLEEP, "2", NULL);
    db_pool_close(x.pool, on_closed, &x);
    assert_int_equal(submit_int(&x, &q[0], S_DOUBLE, 1), -1); /* closing */
    assert_false(q[0].done);
    assert_true(run_until(&x, pred_closed, 2000));
    assert_int_equal(x.ncb, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(q[i].st, DB_UNAVAILABLE);
    uv_run(&x.loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&x.loop), 0);
}

/* ---- server stop / start (KHNET_TEST_PGCTL) ------------------------------- */

typedef struct pgctl_job {
    const char *verb; /* "stop" or "start" */
    int rc;           /* system()'s result */
} pgctl_job;

static bool pg_stopped;

static void pgctl_thread(void *arg)
{
    pgctl_job *j = arg;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", getenv("KHNET_TEST_PGCTL"), j->verb);
    j->rc = system(cmd);
}

static int pgctl(const char *verb, uv_thread_t *tid, pgctl_job *job)
{
    job->verb = verb;
    job->rc = -1;
    return uv_thread_create(tid, pgctl_thread, job);
}

static int restart_teardown(void **state)
{
    if (pg_stopped) {
        uv_thread_t tid;
        pgctl_job job;
        if (pgctl("start", &tid, &job) == 0) uv_thread_join(&tid);
        pg_stopped = false;
    }
    return 0;
}

/* Waits until a probe query succeeds; false after timeout_ms. */
static bool probe_until_ok(ctx *x, int timeout_ms)
{
    uv_update_time(&x->loop);
    uint64_t deadline = uv_now(&x->loop) + (uint64_t)timeout_ms;
    while (uv_now(&x->loop) < deadline) {
        query p = {0};
        x->probe = &p;
        submit_int(x, &p, S_DOUBLE, 21);
        run_until(x, pred_probe, 2000);
        if (p.done && p.st == DB_OK && p.v == 42) return true;
        if (!p.done) return false; /* never answered: a hang is the failure we test for */
        run_until(x, NULL, 50);
    }
    return false;
}

/* PostgreSQL stops with queries in flight: they fail quickly, new queries
 * fail fast while it is down, and the pool recovers by itself once it is
 * back. */
static void test_server_restart(void **state)
{
    const char *pgctl_path = getenv("KHNET_TEST_PGCTL");
    if (!pgctl_path || !*pgctl_path) {
        skip(); /* needs control over the cluster */
        return;
    }
    ctx x;
    db_config cfg = config(db_url(), 2);
    start(&x, &cfg, 2);
    query q[5] = {0};
    for (int i = 0; i < 4; i++)
        submit(&x, &q[i], S_SLEEP, "20", NULL);
    run_until(&x, NULL, 200);

    uv_thread_t tid;
    pgctl_job job;
    uint64_t t0 = uv_now(&x.loop);
    pg_stopped = true;
    assert_int_equal(pgctl("stop", &tid, &job), 0);
    wait_cbs(&x, 4, 10000);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(q[i].st, DB_UNAVAILABLE);
        assert_true(q[i].at_ms - t0 < 5000);
    }
    uv_thread_join(&tid);
    assert_int_equal(job.rc, 0);

    uv_update_time(&x.loop);
    t0 = uv_now(&x.loop);
    submit_int(&x, &q[4], S_DOUBLE, 1);
    wait_cbs(&x, 5, 2000);
    assert_int_equal(q[4].st, DB_UNAVAILABLE);
    assert_true(q[4].at_ms - t0 < 500);

    assert_int_equal(pgctl("start", &tid, &job), 0);
    uv_thread_join(&tid);
    assert_int_equal(job.rc, 0);
    pg_stopped = false;
    assert_true(probe_until_ok(&x, 5000));
    x.want_conn = 2;
    assert_true(run_until(&x, pred_connected, 5000));
    finish(&x);
}

/* ---- one of our own backends dropped by the server ------------------------- */

/* Runs sql on a blocking connection of its own; the first value as a long
 * (1 for "t"), or -1. */
static long admin_sql(const char *sql)
{
    PGconn *pg = PQconnectdb(db_url());
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    PGresult *r = PQexec(pg, sql);
    long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
        const char *t = PQgetvalue(r, 0, 0);
        v = !strcmp(t, "t") ? 1 : strtol(t, NULL, 10);
    } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    }
    PQclear(r);
    PQfinish(pg);
    return v;
}

/* The server ends a pool connection's backend: queries on it fail as
 * DB_UNAVAILABLE (never hang), and the pool is back on a new backend. */
static void test_pool_backend_terminated(void **state)
{
    (void)state;
    ctx x;
    db_config cfg = config(db_url(), 1);
    start(&x, &cfg, 1);
    query a = {0};
    x.probe = &a;
    submit_int(&x, &a, S_DOUBLE, 21);
    assert_true(run_until(&x, pred_probe, 5000));
    assert_int_equal(a.st, DB_OK);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%ld)", a.pid);
    assert_int_equal(admin_sql(sql), 1);
    assert_true(probe_until_ok(&x, 5000));
    query b = {0};
    x.probe = &b;
    submit_int(&x, &b, S_DOUBLE, 1);
    assert_true(run_until(&x, pred_probe, 5000));
    assert_int_equal(b.st, DB_OK);
    assert_true(b.pid != a.pid);
    finish(&x);
}

typedef struct lctx {
    uv_loop_t loop;
    db_listener *l;
    int resyncs;       /* cb(NULL): (re)subscribed */
    int payloads;      /* notifications seen */
    char last[64];     /* the last payload */
    bool closed;       /* db_listener_close's done ran */
    int want_resyncs;  /* for run_listen */
    int want_payloads; /* for run_listen */
} lctx;

static void on_notify(void *data, const char *payload)
{
    lctx *lx = data;
    if (!payload) {
        lx->resyncs++;
        return;
    }
    lx->payloads++;
    snprintf(lx->last, sizeof lx->last, "%s", payload);
}

static void on_listener_closed(void *data)
{
    ((lctx *)data)->closed = true;
}

static void lwait_tick(uv_timer_t *t)
{
    const lctx *lx = t->data;
    if (lx->closed || (lx->resyncs >= lx->want_resyncs && lx->payloads >= lx->want_payloads))
        uv_stop(t->loop);
}

static void ldeadline(uv_timer_t *t)
{
    uv_stop(t->loop);
}

/* Runs lx's loop until the wanted counts (or close), at most timeout_ms. */
static bool run_listen(lctx *lx, int timeout_ms)
{
    uv_timer_t t, deadline;
    uv_timer_init(&lx->loop, &t);
    uv_timer_init(&lx->loop, &deadline);
    t.data = lx;
    uv_timer_start(&t, lwait_tick, 2, 2);
    uv_timer_start(&deadline, ldeadline, (uint64_t)timeout_ms, 0);
    uv_run(&lx->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_run(&lx->loop, UV_RUN_NOWAIT);
    return lx->closed || (lx->resyncs >= lx->want_resyncs && lx->payloads >= lx->want_payloads);
}

static void notify(const char *channel, const char *payload)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_notify('%s', '%s')", channel, payload);
    admin_sql(sql);
}

/* The server drops the LISTEN connection: it comes back by itself, tells
 * its owner to resynchronise, and hears notifications again. */
static void test_listen_reconnect(void **state)
{
    (void)state;
    lctx lx = {0};
    char channel[48], sql[200];
    snprintf(channel, sizeof channel, "t_listen_%ld", (long)getpid());
    assert_int_equal(uv_loop_init(&lx.loop), 0);
    lx.l = db_listener_new(&lx.loop, db_url(), channel, on_notify, &lx);
    assert_non_null(lx.l);
    lx.want_resyncs = 1;
    assert_true(run_listen(&lx, 10000));
    assert_true(db_listener_ready(lx.l));
    notify(channel, "one");
    lx.want_payloads = 1;
    assert_true(run_listen(&lx, 5000));
    assert_string_equal(lx.last, "one");

    /* our own listener's backend, found by its channel: nobody else's */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE query = 'LISTEN %s' AND pid <> pg_backend_pid()",
             channel);
    assert_int_equal(admin_sql(sql), 1);
    lx.want_resyncs = 2;
    assert_true(run_listen(&lx, 10000));
    assert_true(db_listener_ready(lx.l));
    notify(channel, "two");
    lx.want_payloads = 2;
    assert_true(run_listen(&lx, 5000));
    assert_string_equal(lx.last, "two");
    assert_int_equal(lx.resyncs, 2);

    db_listener_close(lx.l, on_listener_closed, &lx);
    assert_true(run_listen(&lx, 5000));
    assert_int_equal(uv_loop_close(&lx.loop), 0); /* no handle left behind */
}

/* Unreachable: never ready, never a callback, and it closes cleanly from
 * its backoff. */
static void test_listen_unreachable_closes(void **state)
{
    (void)state;
    lctx lx = {0};
    assert_int_equal(uv_loop_init(&lx.loop), 0);
    lx.l = db_listener_new(&lx.loop, "postgresql://khnet@127.0.0.1:1/none?connect_timeout=2",
                           "t_nowhere", on_notify, &lx);
    assert_non_null(lx.l);
    lx.want_resyncs = 1;
    assert_false(run_listen(&lx, 700)); /* several failed attempts in that time */
    assert_false(db_listener_ready(lx.l));
    assert_int_equal(lx.resyncs + lx.payloads, 0);
    assert_null(db_listener_new(&lx.loop, db_url(), "Bad-Channel; DROP", on_notify, &lx));
    db_listener_close(lx.l, on_listener_closed, &lx);
    assert_true(run_listen(&lx, 5000));
    assert_int_equal(uv_loop_close(&lx.loop), 0);
}

int main(void)
{
    const char *url = getenv("KHNET_TEST_DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "test_pool: KHNET_TEST_DATABASE_URL is not set; these tests need "
                        "PostgreSQL (e.g. postgresql://khnet@127.0.0.1:54329/postgres)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_in_order),
        cmocka_unit_test(test_error_isolated),
        cmocka_unit_test(test_statement_timeout),
        cmocka_unit_test(test_session_settings),
        cmocka_unit_test(test_unreachable_fails_fast),
        cmocka_unit_test(test_params_copied),
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_close_with_pending),
        cmocka_unit_test(test_pool_backend_terminated),
        cmocka_unit_test(test_listen_reconnect),
        cmocka_unit_test(test_listen_unreachable_closes),
        cmocka_unit_test_teardown(test_server_restart, restart_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
