/* api.h — the endpoints as the rest of khnetd sees them: the worker's
 * context that handlers reach through http_req_app(), and the domains.
 *
 * A domain (accounts/, profiles/, search/, messaging/, moderation/, ops/,
 * ...) is a folder that exports one api_domain: its routes and the
 * statements its handlers send.  domains.c lists the domains; the route
 * table and the statement list every pool prepares are their
 * concatenation, built once (api_tables).  Handlers use the request kit
 * (kit/kit.h).  How to add an endpoint: server/api/README.md. */
#ifndef KHNET_API_H
#define KHNET_API_H

#include "api/sweep.h"
#include "auth/auth.h"
#include "config.h"
#include "cors/cors.h"
#include "db/db.h"
#include "http/http.h"
#include "mail/mail.h"
#include "metrics.h"
#include "stream/stream.h"

typedef struct api_ctx {
    db_pool *db;                 /* this worker's pool */
    int worker_id;               /* index of this worker */
    metrics *const *all_metrics; /* every worker's counters, for /metrics */
    int nworkers;                /* entries in all_metrics */
    const config *cfg;           /* shared, read-only settings */
    auth_scrypt scrypt;          /* parameters for new password hashes */
    auth_rl *rl_addr;            /* login/sign-up buckets per client address (all workers') */
    auth_rl *rl_email;           /* login/sign-up buckets per e-mail (all workers') */
    cors_cache cors;             /* partner origins for the CORS hook */
    stream_hub *hub;             /* real-time streams (NULL: not started) */
    api_sweep expiry;            /* worker 0: overdue mentoring requests expire */
} api_ctx;

/* ---- domains ---------------------------------------------------------------- */
typedef struct api_domain {
    const char *name;         /* the folder's name, for logs */
    const http_route *routes; /* its endpoints; within a domain the first match wins */
    int nroutes;              /* entries in routes */
    const db_stmt *stmts;     /* the SQL its handlers send (functions from migrations/) */
    int nstmts;               /* entries in stmts */
} api_domain;

/* A domain from its two static arrays. */
#define API_DOMAIN(name_, routes_, stmts_)                                                         \
    {                                                                                              \
        (name_), (routes_), (int)(sizeof(routes_) / sizeof((routes_)[0])), (stmts_),               \
            (int)(sizeof(stmts_) / sizeof((stmts_)[0]))                                            \
    }

/* The domains, in route order (domains.c). */
extern const api_domain *const api_domains[];
extern const int api_ndomains;

/* Every domain's routes and statements, concatenated. */
typedef struct api_table {
    const http_route *routes; /* for http_server_init */
    int nroutes;
    const db_stmt *stmts; /* for db_pool_new */
    int nstmts;
} api_table;

/* Builds the tables on first call (thread-safe) and returns them; NULL when
 * the domains hold more than the tables' room (a build-time mistake, logged).
 * Static storage: nothing to free. */
const api_table *api_tables(void);
/* The pool's id of statement `s` (an element of some domain's stmts), or -1. */
int api_stmt_id(const db_stmt *s);

/* ---- the worker's context ------------------------------------------------------ */
/* The login/sign-up rate limiters, one pair for the whole process (every
 * worker takes from the same buckets); 0 or -1.  Free with auth_rl_free
 * after the workers are gone. */
int api_rate_limiters_new(const config *cfg, auth_rl **by_addr, auth_rl **by_email);

/* What a worker hands its api_ctx. */
typedef struct api_ctx_args {
    uv_loop_t *loop;             /* the worker's loop */
    db_pool *db;                 /* its pool (prepared with api_tables()'s statements) */
    const config *cfg;           /* shared settings */
    int worker_id;               /* index of the worker */
    metrics *const *all_metrics; /* every worker's counters, for /metrics */
    int nworkers;                /* entries in all_metrics */
    auth_rl *rl_addr, *rl_email; /* the process's rate limiters */
} api_ctx_args;
/* The one set-up of a worker's context: settings, the CORS cache (its own
 * timer), the stream hub and, on worker 0, the mentoring expiry sweep.  0, or -1 with a message in
 * err; then (and always at the end) api_ctx_close and, once the loop is done, api_ctx_free. */
int api_ctx_init(api_ctx *ctx, const api_ctx_args *a, char *err, size_t errlen);
/* Stops what runs on the loop (the CORS and sweep timers, the hub), then
 * done(data). */
void api_ctx_close(api_ctx *ctx, void (*done)(void *), void *data);
/* Frees what is the worker's own (safe on a half-built ctx); the limiters
 * stay. */
void api_ctx_free(api_ctx *ctx);

/* The http_server.cors_origin hook: is `origin` an enabled partner's?
 * Answers from the worker's cache (s->app is the api_ctx). */
bool api_cors_allowed(http_server *s, const char *origin, size_t len);

#endif
