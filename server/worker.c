/* worker.c — the life of a worker thread: start, serve, drain, stop; and
 * which worker serves a new connection (least open, handoff.h says why). */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "worker.h"

enum { TICK_MS = 100, LISTEN_BACKLOG = 1024 };

/* ---- balancing connections --------------------------------------------- */

/* Open connections plus those handed over and not taken yet: read from any
 * thread (relaxed; a hint, so a race costs at most one uneven connection). */
static int64_t load_of(worker *w)
{
    return atomic_load_explicit(&w->metrics.conns_open, memory_order_relaxed) +
           handoff_waiting(&w->inbox);
}

/* The worker with strictly fewer connections than w (the fewest), or NULL. */
static worker *lighter_than(worker *w)
{
    worker_group *g = w->group;
    worker *best = NULL;
    int64_t least = load_of(w);
    for (int i = 0; i < g->cfg->workers; i++) { /* g->n may change while we run */
        worker *o = &g->w[i];
        if (o == w || !handoff_open(&o->inbox)) continue;
        int64_t l = load_of(o);
        if (l < least) {
            best = o;
            least = l;
        }
    }
    return best;
}

static void free_tcp(uv_handle_t *h)
{
    free(h);
}

/* Accepts the pending connection and gives its socket to `to`.  libuv hands
 * out an accepted socket only inside a handle of this loop, so it is
 * duplicated and that handle closed (no shutdown: the socket lives on). */
static void pass_on(worker *w, uv_stream_t *listener, worker *to)
{
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t) {
        http_server_accept(&w->http, listener);
        return;
    }
    uv_tcp_init(&w->loop, t);
    uv_os_fd_t fd;
    int copy = -1;
    if (uv_accept(listener, (uv_stream_t *)t) == 0 && uv_fileno((uv_handle_t *)t, &fd) == 0)
        copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    uv_close((uv_handle_t *)t, free_tcp);
    if (copy < 0) return; /* not accepted, or no descriptor left: the client sees it closed */
    if (handoff_give(&to->inbox, copy) != 0) http_server_adopt(&w->http, copy);
}

static void on_handed(handoff *h, uv_os_sock_t fd)
{
    worker *w = h->data;
    http_server_adopt(&w->http, fd);
}

static void on_connection(uv_stream_t *listener, int status)
{
    worker *w = listener->data;
    if (status < 0) return; /* e.g. EMFILE; the kernel keeps it queued */
    worker *to = w->http.draining ? NULL : lighter_than(w);
    if (to)
        pass_on(w, listener, to);
    else
        http_server_accept(&w->http, listener);
}

static void publish_db(worker *w)
{
    db_stats st;
    db_pool_stats(w->db, &st);
    metrics_db_publish(&w->metrics, st.connected, st.broken, st.queries, st.failures);
}

static void on_tick(uv_timer_t *t)
{
    worker *w = t->data;
    log_buf_flush(&w->log);
    publish_db(w);
}

static void on_closed_noop(uv_handle_t *h)
{
    (void)h;
}

/* Last step of shutdown: once the pool is closed, close the remaining
 * handles; the loop then runs out of work and uv_run returns. */
static void on_pool_closed(void *data)
{
    worker *w = data;
    w->db = NULL;
    uv_close((uv_handle_t *)&w->tick, on_closed_noop);
    uv_close((uv_handle_t *)&w->grace, on_closed_noop);
    uv_close((uv_handle_t *)&w->stop, on_closed_noop);
}

static void on_app_closed(void *data)
{
    worker *w = data;
    if (w->db)
        db_pool_close(w->db, on_pool_closed, w);
    else
        on_pool_closed(w);
}

static void on_drained(http_server *s)
{
    worker *w = (worker *)((char *)s - offsetof(worker, http));
    uv_timer_stop(&w->grace);
    publish_db(w);
    api_ctx_close(&w->app, on_app_closed, w);
}

static void on_grace_over(uv_timer_t *t)
{
    worker *w = t->data;
    log_event("warn", "msg=\"grace period over, closing connections\" worker=%d open=%d", w->id,
              w->http.nconns);
    http_server_close_all(&w->http);
}

static void on_stop(uv_async_t *a)
{
    worker *w = a->data;
    if (w->http.draining) return;
    if (!uv_is_closing((uv_handle_t *)&w->listener))
        uv_close((uv_handle_t *)&w->listener, on_closed_noop);
    uv_timer_start(&w->grace, on_grace_over, (uint64_t)w->group->cfg->shutdown_timeout_ms, 0);
    http_server_drain(&w->http, on_drained);
    handoff_close(&w->inbox); /* after drain: what was given now gets a 503 */
}

static void report(worker *w, int rc)
{
    worker_group *g = w->group;
    pthread_mutex_lock(&g->mu);
    w->rc = rc;
    g->started++;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static int setup(worker *w)
{
    const config *c = w->group->cfg;
    http_limits lim = {c->max_header_bytes, c->max_body_bytes,  c->header_timeout_ms,
                       c->body_timeout_ms,  c->idle_timeout_ms, c->max_connections,
                       c->max_pipeline};
    const api_table *t = api_tables();
    if (!t || http_server_init(&w->http, &w->loop, &lim, t->routes, t->nroutes)) {
        snprintf(w->err, sizeof w->err, "cannot set up the HTTP server");
        return -1;
    }
    db_config dbc = {
        c->database_url, c->db_connections, c->statement_timeout_ms, c->db_max_queue, 100, 5000};
    w->db = db_pool_new(&w->loop, &dbc, t->stmts, (size_t)t->nstmts);
    if (!w->db) {
        snprintf(w->err, sizeof w->err, "cannot create the database pool");
        return -1;
    }
    api_ctx_args args = {&w->loop,
                         w->db,
                         c,
                         w->id,
                         (metrics *const *)w->group->all_metrics,
                         w->group->n,
                         w->group->rl_addr,
                         w->group->rl_email};
    if (api_ctx_init(&w->app, &args, w->err, sizeof w->err) != 0) return -1;
    w->http.app = &w->app;
    w->http.cors_origin = api_cors_allowed;
    w->http.trusted = &c->trusted_proxies;
    w->http.worker_id = w->id;
    w->http.metrics = &w->metrics;
    w->http.log = c->access_log ? &w->log : NULL;
    w->http.slow_ns = (uint64_t)c->slow_request_ms * 1000000u;
    w->listener.data = w;
    if (handoff_init(&w->inbox, &w->loop, on_handed, w) != 0) {
        snprintf(w->err, sizeof w->err, "cannot set up the connection hand-off");
        return -1;
    }
    return net_listen(&w->loop, &w->listener, c->listen_host, c->listen_port, LISTEN_BACKLOG,
                      on_connection, w->err, sizeof w->err);
}

static void *run(void *arg)
{
    worker *w = arg;
    uv_loop_init(&w->loop);
    log_buf_init(&w->log);
    uv_async_init(&w->loop, &w->stop, on_stop);
    uv_timer_init(&w->loop, &w->tick);
    uv_timer_init(&w->loop, &w->grace);
    uv_tcp_init(&w->loop, &w->listener);
    w->stop.data = w->tick.data = w->grace.data = w;
    int rc = setup(w);
    report(w, rc);
    if (rc == 0)
        uv_timer_start(&w->tick, on_tick, TICK_MS, TICK_MS);
    else
        on_stop(&w->stop); /* unwind through the normal shutdown path */
    uv_run(&w->loop, UV_RUN_DEFAULT);
    http_server_free(&w->http);
    api_ctx_free(&w->app);
    log_buf_free(&w->log);
    if (uv_loop_close(&w->loop) != 0)
        log_event("error", "msg=\"loop closed with open handles\" worker=%d", w->id);
    return NULL;
}

int workers_start(worker_group *g, const config *cfg)
{
    memset(g, 0, sizeof *g);
    g->cfg = cfg;
    g->n = cfg->workers;
    g->w = calloc((size_t)g->n, sizeof *g->w);
    g->all_metrics = calloc((size_t)g->n, sizeof(metrics *));
    const api_table *t = api_tables();
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (!g->w || !g->all_metrics || !t ||
        api_rate_limiters_new(cfg, &g->rl_addr, &g->rl_email) != 0) {
        g->n = 0; /* nothing started: workers_stop/join only free */
        return -1;
    }
    for (int i = 0; i < g->n; i++) {
        g->w[i].id = i;
        g->w[i].group = g;
        g->all_metrics[i] = &g->w[i].metrics;
        if (metrics_init(&g->w[i].metrics, t->nroutes) != 0) {
            while (i-- > 0)
                metrics_free(&g->w[i].metrics);
            g->n = 0; /* nothing started */
            return -1;
        }
    }
    int created = 0;
    for (; created < g->n; created++)
        if (pthread_create(&g->w[created].thread, NULL, run, &g->w[created])) break;
    for (int i = created; i < g->n; i++)
        metrics_free(&g->w[i].metrics); /* never started */
    pthread_mutex_lock(&g->mu);
    while (g->started < created)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    int failed = created < g->n;
    for (int i = 0; i < created; i++) {
        if (g->w[i].rc) {
            log_event("error", "msg=\"worker failed to start\" worker=%d error=\"%s\"", i,
                      g->w[i].err);
            failed = 1;
        }
    }
    g->n = created; /* join only what exists */
    return failed ? -1 : 0;
}

void workers_stop(worker_group *g)
{
    for (int i = 0; i < g->n; i++)
        uv_async_send(&g->w[i].stop);
}

void workers_join(worker_group *g)
{
    for (int i = 0; i < g->n; i++)
        pthread_join(g->w[i].thread, NULL);
    for (int i = 0; g->w && i < g->n; i++)
        metrics_free(&g->w[i].metrics);
    for (int i = 0; g->w && i < g->cfg->workers; i++)
        handoff_free(&g->w[i].inbox);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    free(g->w);
    free(g->all_metrics);
    auth_rl_free(g->rl_addr);
    auth_rl_free(g->rl_email);
}
