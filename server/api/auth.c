/* auth.c — what every authenticated or rate-limited handler shares: the
 * bearer-token step (api_authenticate), login/sign-up rate limits, and
 * running scrypt on the libuv threadpool so the loop never waits for it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    ctx->mailer = &mail_log_sender; /* the only sender so far: development */
}

void api_ctx_auth_free(api_ctx *ctx)
{
    ctx->rl_addr = ctx->rl_email = NULL; /* the process's: freed after the workers */
    api_cors_free(&ctx->cors);
}

/* ---- bearer tokens -------------------------------------------------------- */
typedef struct authing {
    api_authed next; /* the handler's continuation */
} authing;

void api_unauthenticated(http_req *r, const char *msg)
{
    http_req_add_header(r, "WWW-Authenticate", "Bearer");
    http_reply_error(r, 401, "unauthenticated", msg, NULL);
}

static bool parse_role(const char *s, api_role *out)
{
    static const char *const names[] = {"member", "moderator", "liaison", "admin"};
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, names[i])) {
            *out = (api_role)i;
            return true;
        }
    return false;
}

static void auth_done(http_req *r, const PGresult *res, void *data)
{
    authing *a = data;
    const char *sid = api_col(res, "session_id"), *aid = api_col(res, "account_id");
    api_principal *who = kp_arena_alloc(http_req_arena(r), sizeof *who);
    if (!who) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    if (!sid || !aid || !parse_role(api_col(res, "role"), &who->role)) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return;
    }
    who->session_id = strtoll(sid, NULL, 10);
    who->account_id = strtoll(aid, NULL, 10);
    a->next(r, who);
}

void api_authenticate_token(http_req *r, const char *token, size_t len, api_authed next)
{
    uint8_t digest[AUTH_DIGEST_LEN];
    if (auth_token_digest(token, len, digest) != 0) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return;
    }
    authing *a = kp_arena_alloc(http_req_arena(r), sizeof *a);
    char *hex = kp_arena_alloc(http_req_arena(r), AUTH_DIGEST_HEX);
    if (!a || !hex) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    a->next = next;
    auth_digest_hex(digest, hex);
    const char *params[1] = {hex};
    api_query_with(r, STMT_SESSION_AUTH, 1, params, auth_done, a);
}

int api_bearer_hex(http_req *r, const char **hex)
{
    size_t n = 0;
    const char *h = http_req_header(r, "authorization", &n);
    uint8_t digest[AUTH_DIGEST_LEN];
    *hex = NULL;
    if (!h) return 0;
    if (n < 7 || strncasecmp(h, "Bearer ", 7) != 0 ||
        auth_token_digest(h + 7, n - 7, digest) != 0) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return -1;
    }
    char *out = kp_arena_alloc(http_req_arena(r), AUTH_DIGEST_HEX);
    if (!out) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return -1;
    }
    auth_digest_hex(digest, out);
    *hex = out;
    return 0;
}

void api_authenticate(http_req *r, api_authed next)
{
    size_t n = 0;
    const char *h = http_req_header(r, "authorization", &n);
    if (!h) {
        api_unauthenticated(r, "this endpoint needs Authorization: Bearer <token>");
        return;
    }
    if (n < 7 || strncasecmp(h, "Bearer ", 7) != 0) {
        api_unauthenticated(r, "the token is unknown, expired or revoked");
        return;
    }
    api_authenticate_token(r, h + 7, n - 7, next);
}

/* ---- rate limits ------------------------------------------------------------
 * One pair of limiters for the process: a client whose connections land on
 * different workers gets the configured limit, not workers × it. */
int api_rate_limit(http_req *r, const char *email)
{
    api_ctx *ctx = http_req_app(r);
    uint64_t now = uv_hrtime() / 1000000u; /* one clock for all workers */
    char addr[64], key[96];
    if (http_req_peer(r, addr, sizeof addr) != 0) strcpy(addr, "unknown");
    snprintf(key, sizeof key, "a:%s", addr);
    uint32_t wait = auth_rl_take(ctx->rl_addr, key, now);
    if (!wait) wait = auth_rl_take(ctx->rl_email, email, now);
    if (!wait) return 0;
    char secs[16];
    snprintf(secs, sizeof secs, "%u", wait);
    http_req_add_header(r, "Retry-After", secs);
    http_reply_error(r, 429, "rate_limited", "too many attempts; retry later", NULL);
    return -1;
}

/* ---- the threadpool ------------------------------------------------------- */
typedef struct offload {
    uv_work_t work;                         /* libuv's request */
    http_req *req;                          /* kept alive: not replied yet */
    void (*fn)(void *data);                 /* runs on a pool thread */
    void (*after)(http_req *r, void *data); /* then this, on the loop */
    void *data;                             /* shared by both */
} offload;

static void run_work(uv_work_t *w)
{
    offload *o = w->data;
    o->fn(o->data);
}

static void after_work(uv_work_t *w, int status)
{
    offload *o = w->data;
    if (status != 0) { /* cancelled: nothing computed */
        http_reply_error(o->req, 503, "shutting_down", "the server is stopping", NULL);
        return;
    }
    o->after(o->req, o->data);
}

void api_offload(http_req *r, void (*fn)(void *data), void (*after)(http_req *r, void *data),
                 void *data)
{
    offload *o = kp_arena_alloc(http_req_arena(r), sizeof *o);
    if (!o) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    *o = (offload){.req = r, .fn = fn, .after = after, .data = data};
    o->work.data = o;
    if (uv_queue_work(http_req_server(r)->loop, &o->work, run_work, after_work) != 0)
        http_reply_error(r, 500, "internal", "cannot queue work", NULL);
}
