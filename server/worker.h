/* worker.h — a worker thread: one uv_loop, its own SO_REUSEPORT listener,
 * HTTP server, PostgreSQL pool, access log and metrics.  What workers
 * share is either read-only (the config) or made for sharing: the
 * process-wide login/sign-up limiters (mutex inside auth_rl), each
 * other's metrics blocks, which /metrics and the connection balancer read
 * with relaxed atomic loads while only their owner writes them, and each
 * other's hand-off inboxes (handoff.h: a worker passes a new connection to
 * one with fewer open).  main() starts the workers, waits
 * until each is listening (or failed), and stops them on a signal. */
#ifndef KHNET_WORKER_H
#define KHNET_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <uv.h>

#include "api/api.h"
#include "config.h"
#include "handoff.h"
#include "http/http.h"
#include "log.h"
#include "metrics.h"

typedef struct worker_group worker_group;

typedef struct worker {
    int id;              /* index in the group */
    worker_group *group; /* owning group */
    pthread_t thread;    /* the thread running the loop */
    uv_loop_t loop;      /* this worker's loop */
    uv_tcp_t listener;   /* SO_REUSEPORT listening socket */
    uv_async_t stop;     /* woken by stop_all() */
    uv_timer_t tick;     /* flushes the log, publishes pool stats */
    uv_timer_t grace;    /* ends the shutdown grace period */
    http_server http;    /* connections and routing */
    db_pool *db;         /* PostgreSQL pool */
    log_buf log;         /* buffered access log */
    metrics metrics;     /* written by this thread only */
    api_ctx app;         /* what handlers see */
    handoff inbox;       /* connections other workers passed on to this one */
    int rc;              /* startup result, 0 = listening */
    char err[256];       /* startup failure */
} worker;

struct worker_group {
    const config *cfg;     /* shared, read-only */
    int n;                 /* workers */
    worker *w;             /* array of n */
    metrics **all_metrics; /* &w[i].metrics, for /metrics */
    auth_rl *rl_addr;      /* login/sign-up limiters shared by all workers */
    auth_rl *rl_email;
    pthread_mutex_t mu; /* guards started */
    pthread_cond_t cv;  /* signalled as workers report */
    int started;        /* workers that finished startup */
};

/* Starts cfg->workers threads; returns 0 when all listen, else -1 after
 * stopping those that started (message on stderr). */
int workers_start(worker_group *g, const config *cfg);
/* Asks every worker to drain and stop (async-signal-safe: uv_async_send). */
void workers_stop(worker_group *g);
/* Waits for every thread, frees the group. */
void workers_join(worker_group *g);

#endif
