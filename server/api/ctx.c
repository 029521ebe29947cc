/* ctx.c — the worker's api_ctx: the settings handlers read, the shared
 * login/sign-up rate limiters, and what the worker owns (the CORS cache). */
#include "api.h"

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

void api_ctx_auth_init(api_ctx *ctx, const config *cfg, auth_rl *by_addr, auth_rl *by_email)
{
    ctx->cfg = cfg;
    ctx->scrypt =
        (auth_scrypt){(uint64_t)cfg->scrypt_n, (uint32_t)cfg->scrypt_r, (uint32_t)cfg->scrypt_p};
    ctx->rl_addr = by_addr;
    ctx->rl_email = by_email;
}

void api_ctx_auth_free(api_ctx *ctx)
{
    ctx->rl_addr = ctx->rl_email = NULL; /* the process's: freed after the workers */
    api_cors_free(&ctx->cors);
}
