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

#include "auth/auth.h"
#include "config.h"
#include "db/db.h"
#include "http/http.h"
#include "mail/mail.h"
#include "metrics.h"

/* The enabled partners' browser origins, cached per worker (partners.c):
 * refreshed every cfg->cors_refresh_ms by one query from api_tick, and at
 * once from the result of this worker's own partner writes. */
typedef struct api_cors {
    char *text;        /* malloc: the origins, NUL-separated */
    const char **list; /* malloc: sorted pointers into text */
    int n;             /* entries in list */
    uint64_t next_ms;  /* loop time of the next refresh */
    uint64_t now_ms;   /* loop time of the last tick */
    bool loading;      /* a refresh query is in flight */
} api_cors;
typedef struct stream_hub stream_hub; /* stream.c: this worker's WebSocket streams */

typedef struct api_ctx {
    db_pool *db;                 /* this worker's pool */
    int worker_id;               /* index of this worker */
    metrics *const *all_metrics; /* every worker's counters, for /metrics */
    int nworkers;                /* entries in all_metrics */
    const config *cfg;           /* shared, read-only settings */
    auth_scrypt scrypt;          /* parameters for new password hashes */
    auth_rl *rl_addr;            /* login/sign-up buckets per client address (all workers') */
    auth_rl *rl_email;           /* login/sign-up buckets per e-mail (all workers') */
    api_cors cors;               /* partner origins for the CORS hook */
    stream_hub *hub;             /* real-time streams (NULL: not started) */
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
/* Sets up the auth part of ctx (cfg, scrypt, the shared rate limiters).
 * api_ctx_auth_free releases what is the worker's own (safe on a
 * half-built ctx); the limiters stay. */
void api_ctx_auth_init(api_ctx *ctx, const config *cfg, auth_rl *by_addr, auth_rl *by_email);
void api_ctx_auth_free(api_ctx *ctx);

/* ---- CORS (accounts/partners.c) --------------------------------------------- */
/* The http_server.cors_origin hook: is `origin` an enabled partner's?
 * Answers from the worker's cache (s->app is the api_ctx). */
bool api_cors_allowed(http_server *s, const char *origin, size_t len);
/* Called from the worker's periodic tick with the loop time: refreshes the
 * cache when due (one query, never two in flight). */
void api_tick(api_ctx *ctx, uint64_t now_ms);
/* Frees the cache (api_ctx_auth_free calls it). */
void api_cors_free(api_cors *c);

/* ---- real-time streams (messaging/stream.c) ------------------------------------ */
/* Starts the worker's LISTEN connection and stream registry; NULL on failure. */
stream_hub *stream_hub_new(uv_loop_t *loop, api_ctx *ctx);
/* Closes the hub's own handles (streams are closed by the HTTP drain), then
 * done(data). */
void stream_hub_close(stream_hub *h, void (*done)(void *), void *data);
size_t stream_hub_clients(const stream_hub *h);

#endif
