/* stream.c — the real-time endpoints: GET /v1/stream (WebSocket push,
 * handed to the worker's stream hub, server/stream/) and GET /v1/events
 * (catch-up by cursor).  Writes append rows to khnet_events with pg_notify
 * in the same transaction (migrations/repeatable/50_events.sql); the hub
 * turns notifications into pushed frames. */
#include <stdlib.h>
#include <string.h>

#include "messaging.h"
#include "stream/stream.h"

/* ?after=<seq> into *out: 0..2^63-1, or -1 when absent.  -1 after
 * replying 400 invalid_value (or 500 out of memory). */
static int after_param(http_req *r, int64_t *out)
{
    const char *v = NULL;
    *out = -1;
    int got = api_query_param(r, "after", &v);
    if (got <= 0) return got;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < 0 || !api_chars(v, strlen(v), "0123456789", 1, 19)) {
        api_fail(r, "invalid_value", "after must be a non-negative integer", "after");
        return -1;
    }
    *out = (int64_t)n;
    return 0;
}

static void stream_authed(http_req *r, const api_principal *who)
{
    api_ctx *ctx = http_req_app(r);
    int64_t after;
    if (after_param(r, &after) != 0) return; /* checked before: only out of memory */
    http_ws_limits lim = {ctx->cfg->ws_max_queue_bytes, 4096, ctx->cfg->ws_ping_ms};
    stream_hub_attach(ctx->hub, r, who->account_id, who->session_id, after, &lim);
}

void api_stream(http_req *r)
{
    api_ctx *ctx = http_req_app(r);
    int64_t after;
    if (after_param(r, &after) != 0) return;
    if (!ctx->hub) {
        api_fail(r, "server_busy", "streaming is unavailable", NULL);
        return;
    }
    /* Browsers cannot set headers on a WebSocket: accept ?access_token= too. */
    const char *tok = NULL;
    size_t n;
    int got =
        http_req_header(r, "authorization", &n) ? 0 : api_query_param(r, "access_token", &tok);
    if (got < 0) return;
    if (got > 0) {
        api_authenticate_token(r, tok, strlen(tok), stream_authed);
        return;
    }
    api_authenticate(r, stream_authed);
}

/* GET /v1/events?after=&limit= → {items: [...], next} */
static void events_authed(http_req *r, const api_principal *who)
{
    int64_t after;
    int limit;
    if (after_param(r, &after) != 0 || api_limit(r, 100, 500, &limit) != 0) return;
    api_dec acc = api_dec_of(who->account_id), aft = api_dec_of(after < 0 ? 0 : after);
    api_dec lim = api_dec_of(limit);
    const char *params[3] = {acc.s, aft.s, lim.s};
    api_query(r, MSG_STMT(EVENTS_PAGE), 3, params, api_reply_row);
}

void api_events(http_req *r)
{
    api_authenticate(r, events_authed);
}
