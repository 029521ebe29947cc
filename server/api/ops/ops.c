/* ops.c — operational endpoints: /healthz (from memory, no query) and
 * /metrics (Prometheus text, summed over workers). */
#include "ops.h"

void api_healthz(http_req *r)
{
    api_ctx *ctx = http_req_app(r);
    db_stats st;
    db_pool_stats(ctx->db, &st);
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 3);
    kp_w_cstr(b, "status");
    kp_w_cstr(b, st.connected > 0 ? "ok" : "degraded");
    kp_w_cstr(b, "worker");
    kp_w_int(b, ctx->worker_id);
    kp_w_cstr(b, "db");
    kp_w_map(b, 5);
    kp_w_cstr(b, "connections");
    kp_w_int(b, st.connections);
    kp_w_cstr(b, "connected");
    kp_w_int(b, st.connected);
    kp_w_cstr(b, "broken");
    kp_w_int(b, st.broken);
    kp_w_cstr(b, "in_flight");
    kp_w_int(b, st.in_flight);
    kp_w_cstr(b, "queued");
    kp_w_int(b, st.queued);
    http_reply(r, 200);
}

static const char *route_name(int i)
{
    return api_tables()->routes[i].pattern;
}
static const char *route_method(int i)
{
    return api_tables()->routes[i].method;
}

void api_metrics(http_req *r)
{
    api_ctx *ctx = http_req_app(r);
    kp_buf text;
    kp_buf_init(&text);
    metrics_render(&text, ctx->all_metrics, ctx->nworkers, route_name, route_method);
    if (text.oom) {
        kp_buf_free(&text);
        api_oom(r);
        return;
    }
    http_reply_raw(r, 200, "text/plain; version=0.0.4", text.data, text.len);
    kp_buf_free(&text);
}
