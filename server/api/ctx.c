/* ctx.c — the worker's api_ctx: the settings handlers read, the shared
 * login/sign-up rate limiters, and the subsystems the worker owns on its
 * loop (the CORS cache, server/cors/; the stream hub, server/stream/; on
 * worker 0 the mentoring expiry sweep, sweep.c). */
#include <stdio.h>

#include "accounts/accounts.h"
#include "api.h"
#include "mentoring/mentoring.h"
#include "messaging/messaging.h"

enum { RL_SLOTS = 65536 }; /* keys tracked per limiter (the process's) */

int api_rate_limiters_new(const config *cfg, auth_rl **by_addr, auth_rl **by_email)
{
    *by_addr =
        auth_rl_new(RL_SLOTS, (uint32_t)cfg->auth_burst_addr, (uint32_t)cfg->auth_rate_per_min);
    *by_email =
        auth_rl_new(RL_SLOTS, (uint32_t)cfg->auth_burst_email, (uint32_t)cfg->auth_rate_per_min);
    if (*by_addr && *by_email) return 0;
    auth_rl_free(*by_addr);
    auth_rl_free(*by_email);
    *by_addr = *by_email = NULL;
    return -1;
}

int api_ctx_init(api_ctx *ctx, const api_ctx_args *a, char *err, size_t errlen)
{
    const config *cfg = a->cfg;
    *ctx = (api_ctx){
        .db = a->db,
        .worker_id = a->worker_id,
        .all_metrics = a->all_metrics,
        .nworkers = a->nworkers,
        .cfg = cfg,
        .scrypt = {(uint64_t)cfg->scrypt_n, (uint32_t)cfg->scrypt_r, (uint32_t)cfg->scrypt_p},
        .rl_addr = a->rl_addr,
        .rl_email = a->rl_email,
    };
    if (cors_start(&ctx->cors, a->loop, a->db, api_stmt_id(ACC_STMT(CORS_ORIGINS)),
                   (uint64_t)cfg->cors_refresh_ms, a->worker_id) != 0) {
        snprintf(err, errlen, "cannot start the CORS cache");
        return -1;
    }
    stream_stmts st = {api_stmt_id(MSG_STMT(EVENTS_AFTER)), api_stmt_id(MSG_STMT(EVENTS_LATEST)),
                       api_stmt_id(MSG_STMT(SESSIONS_DEAD))};
    ctx->hub =
        stream_hub_new(a->loop, a->db, cfg->database_url, (uint64_t)cfg->stream_check_ms, &st);
    if (!ctx->hub) {
        snprintf(err, errlen, "cannot set up event streams");
        return -1;
    }
    if (a->worker_id == 0 && cfg->mentoring_expire_ms > 0 &&
        api_sweep_start(&ctx->expiry, a->loop, a->db, api_stmt_id(MEN_STMT(EXPIRE)),
                        (uint64_t)cfg->mentoring_expire_ms, "mentoring_expire") != 0) {
        snprintf(err, errlen, "cannot start the mentoring expiry sweep");
        return -1;
    }
    return 0;
}

void api_ctx_close(api_ctx *ctx, void (*done)(void *), void *data)
{
    cors_stop(&ctx->cors);
    api_sweep_stop(&ctx->expiry);
    stream_hub *h = ctx->hub;
    ctx->hub = NULL;
    if (h)
        stream_hub_close(h, done, data);
    else
        done(data);
}

void api_ctx_free(api_ctx *ctx)
{
    ctx->rl_addr = ctx->rl_email = NULL; /* the process's: freed after the workers */
    cors_free(&ctx->cors);
}

bool api_cors_allowed(http_server *s, const char *origin, size_t len)
{
    return cors_allowed(&((api_ctx *)s->app)->cors, origin, len);
}
