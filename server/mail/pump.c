/* pump.c — delivers the mail queue (khnet_mail_queue, 0012_mail.sql).
 *
 * A thread of its own with a small loop: a timer (every second, for retries
 * coming due) and an async handle (mail_pump_poke: a mail was just queued,
 * or stop).  Each round runs right on this thread, one at a time (not on
 * the libuv threadpool, where it used to queue behind every scrypt hash of
 * the logins in flight, seconds under load): claim up to BATCH due mails (khnet_mail_claim: marked
 * `sending` and committed first, SKIP LOCKED against other pumps, here or in
 * other khnetd instances), hand each to the transport, record the verdict
 * (khnet_mail_done: sent, or pending again with backoff).  The round uses
 * its own blocking libpq connection, reconnected when it breaks; a poke
 * that arrives meanwhile waits in the async handle and runs the next one.  A mail that was
 * claimed but whose verdict was never recorded (a crash mid-delivery) stays
 * `sending`: at most once per mail. */
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <uv.h>

#include "log.h"
#include "mail/mail.h"

enum { BATCH = 20, TICK_MS = 1000 };

struct mail_pump {
    const config *cfg;
    mail_transport *t;
    uv_thread_t thread;
    uv_loop_t loop;
    uv_timer_t timer;
    uv_async_t async;
    PGconn *pg;           /* the rounds' connection (only this thread touches it) */
    int claimed;          /* the last round's mails */
    bool db_down;         /* logged that the database is unreachable */
    atomic_bool stopping; /* mail_pump_stop was called */
};

static _Atomic(mail_pump *) running; /* for mail_pump_poke */

static bool connected(mail_pump *p)
{
    if (p->pg && PQstatus(p->pg) == CONNECTION_OK) return true;
    PQfinish(p->pg);
    /* application_name: not a profile writer (khnet_background_tx);
     * connect_timeout (s): before the URL, so the URL's own one wins */
    const char *const kw[] = {"connect_timeout", "dbname", "application_name", NULL};
    const char *const val[] = {"10", p->cfg->database_url, "khnetd background", NULL};
    p->pg = PQconnectdbParams(kw, val, 2);
    bool ok = p->pg && PQstatus(p->pg) == CONNECTION_OK;
    if (!ok && !p->db_down)
        log_event("warn", "msg=\"mail pump: database unreachable\" reason=\"%s\"",
                  p->pg ? PQerrorMessage(p->pg) : "out of memory");
    p->db_down = !ok;
    return ok;
}

static void drop_connection(mail_pump *p, const char *why)
{
    char q[300];
    log_quote(q, sizeof q, why, strlen(why));
    log_event("warn", "msg=\"mail pump: database connection dropped\" reason=%s", q);
    PQfinish(p->pg); /* reconnect next round */
    p->pg = NULL;
}

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000;
}

/* Reads what came, waiting for it until `deadline`: NULL, or why not. */
static const char *wait_input(PGconn *pg, uint64_t deadline)
{
    uint64_t now = now_ms();
    if (now >= deadline) return "no answer within the statement timeout";
    struct pollfd f = {.fd = PQsocket(pg), .events = POLLIN};
    if (poll(&f, 1, (int)(deadline - now)) > 0 && !PQconsumeInput(pg)) return PQerrorMessage(pg);
    return NULL;
}

/* One statement with a bound on the wait.  Blocking libpq would wait for
 * ever on a database that went silent without closing the connection (a
 * host gone, a hung server), and with it every mail and khnetd's shutdown.
 * The bound is the pool's (statement_timeout plus a grace), which also
 * bounds how long a stop can wait.  NULL, with the connection dropped,
 * when it ran out or the connection failed. */
static PGresult *exec_bounded(mail_pump *p, const char *sql, int n, const char *const *v)
{
    int bound = p->cfg->statement_timeout_ms > 0 ? p->cfg->statement_timeout_ms + 5000 : 60000;
    uint64_t deadline = now_ms() + (uint64_t)bound;
    /* a small statement: the blocking send leaves it in the kernel's buffer */
    if (!PQsendQueryParams(p->pg, sql, n, NULL, v, NULL, NULL, 0)) {
        drop_connection(p, PQerrorMessage(p->pg));
        return NULL;
    }
    PGresult *last = NULL, *r;
    for (;;) {
        while (PQisBusy(p->pg)) {
            const char *why = wait_input(p->pg, deadline);
            if (why) {
                PQclear(last);
                drop_connection(p, why);
                return NULL;
            }
        }
        if (!(r = PQgetResult(p->pg))) return last;
        PQclear(last);
        last = r;
    }
}

/* One mail: deliver, then record the verdict. */
static void deliver_one(mail_pump *p, const PGresult *r, int row)
{
    mail_item m = {PQgetvalue(r, row, 1), PQgetvalue(r, row, 2), PQgetvalue(r, row, 3),
                   PQgetvalue(r, row, 4)};
    const char *id = PQgetvalue(r, row, 0);
    char err[512] = "";
    bool sent = p->t->send(p->t, &m, err, sizeof err) == 0;
    if (sent)
        log_event("info", "msg=\"mail sent\" id=%s kind=%s transport=%s", id, m.kind, p->t->name);
    else {
        char q[600];
        log_quote(q, sizeof q, err, strlen(err));
        log_event("warn", "msg=\"mail not sent; will retry\" id=%s kind=%s transport=%s reason=%s",
                  id, m.kind, p->t->name, q);
    }
    const char *v[3] = {id, sent ? "t" : "f", sent ? NULL : err};
    if (p->pg) PQclear(exec_bounded(p, "SELECT khnet_mail_done($1, $2, $3)", 3, v));
}

/* One round, on the pump's thread. */
static void round_once(mail_pump *p)
{
    p->claimed = 0;
    if (!connected(p)) return;
    static const char *const batch[1] = {"20"};
    PGresult *r = exec_bounded(
        p, "SELECT id, kind, to_addr, language, token FROM khnet_mail_claim($1::int)", 1, batch);
    if (!r) return;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_event("warn", "msg=\"mail pump: claim failed\" reason=\"%s\"", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(p->pg); /* reconnect next round */
        p->pg = NULL;
        return;
    }
    p->claimed = PQntuples(r);
    for (int i = 0; i < p->claimed; i++) {
        if (!atomic_load(&p->stopping)) {
            deliver_one(p, r, i);
            continue;
        }
        /* Stopping: mails not yet tried go back to the queue (unsent, so
         * sending them later is still the first time). */
        const char *v[3] = {PQgetvalue(r, i, 0), "f", "khnetd stopped"};
        if (p->pg) PQclear(exec_bounded(p, "SELECT khnet_mail_done($1, $2, $3)", 3, v));
    }
    PQclear(r);
}

static void run(mail_pump *p)
{
    do
        round_once(p);
    while (p->claimed == BATCH && !atomic_load(&p->stopping)); /* more may be waiting */
}

static void on_tick(uv_timer_t *t)
{
    run(t->data);
}

static void on_async(uv_async_t *a)
{
    mail_pump *p = a->data;
    if (!atomic_load(&p->stopping)) {
        run(p);
        return;
    }
    uv_close((uv_handle_t *)&p->timer, NULL);
    uv_close((uv_handle_t *)&p->async, NULL); /* the loop ends (no round is running) */
}

static void pump_main(void *arg)
{
    mail_pump *p = arg;
    uv_run(&p->loop, UV_RUN_DEFAULT);
}

mail_pump *mail_pump_start(const config *cfg, mail_transport *t)
{
    mail_pump *p = calloc(1, sizeof *p);
    if (!p || uv_loop_init(&p->loop) != 0) {
        free(p);
        t->free(t);
        return NULL;
    }
    p->cfg = cfg;
    p->t = t;
    p->timer.data = p->async.data = p;
    uv_timer_init(&p->loop, &p->timer);
    uv_async_init(&p->loop, &p->async, on_async);
    uv_timer_start(&p->timer, on_tick, 0, TICK_MS);
    if (uv_thread_create(&p->thread, pump_main, p) != 0) {
        uv_close((uv_handle_t *)&p->timer, NULL);
        uv_close((uv_handle_t *)&p->async, NULL);
        uv_run(&p->loop, UV_RUN_DEFAULT);
        uv_loop_close(&p->loop);
        t->free(t);
        free(p);
        return NULL;
    }
    atomic_store(&running, p);
    log_event("info", "msg=\"mail pump started\" transport=%s", t->name);
    return p;
}

void mail_pump_poke(void)
{
    mail_pump *p = atomic_load(&running);
    if (p) uv_async_send(&p->async);
}

void mail_pump_stop(mail_pump *p)
{
    if (!p) return;
    atomic_store(&running, NULL);
    atomic_store(&p->stopping, true);
    uv_async_send(&p->async);
    uv_thread_join(&p->thread);
    uv_loop_close(&p->loop);
    PQfinish(p->pg);
    p->t->free(p->t);
    free(p);
}
