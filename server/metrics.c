/* metrics.c — counting and the Prometheus text format 0.0.4. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>

static const int status_codes[METRICS_STATUSES - 1] = {100, 200, 201, 204, 304, 400, 401, 403,
                                                       404, 405, 406, 408, 409, 413, 415, 422,
                                                       429, 431, 500, 501, 503, 505, 101, 426};

static const double bucket_le[METRICS_BUCKETS - 1] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

static int status_slot(int status)
{
    for (int i = 0; i < METRICS_STATUSES - 1; i++)
        if (status_codes[i] == status) return i;
    return METRICS_STATUSES - 1;
}

/* Single writer: a relaxed load and store is enough and avoids a lock. */
static void bump(_Atomic uint64_t *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_relaxed);
}

int metrics_init(metrics *m, int nroutes)
{
    m->requests = calloc((size_t)nroutes + 1, sizeof *m->requests);
    m->nroutes = m->requests ? nroutes : 0;
    return m->requests ? 0 : -1;
}

void metrics_free(metrics *m)
{
    free((void *)m->requests);
    m->requests = NULL;
    m->nroutes = 0;
}

void metrics_request(metrics *m, int route, int status, uint64_t dur_us)
{
    if (!m->requests) return;
    int r = route < 0 || route >= m->nroutes ? m->nroutes : route;
    bump(&m->requests[r][status_slot(status)], 1);
    double s = (double)dur_us / 1e6;
    int b = 0;
    while (b < METRICS_BUCKETS - 1 && s > bucket_le[b])
        b++;
    bump(&m->latency[b], 1);
    bump(&m->latency_sum_us, dur_us);
}

void metrics_conn_opened(metrics *m)
{
    atomic_store_explicit(&m->conns_open,
                          atomic_load_explicit(&m->conns_open, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    bump(&m->conns_total, 1);
}

void metrics_conn_closed(metrics *m)
{
    atomic_store_explicit(&m->conns_open,
                          atomic_load_explicit(&m->conns_open, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

static uint64_t load(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void render_requests(kp_buf *out, metrics *const *blocks, int n,
                            const char *(*route_name)(int), const char *(*route_method)(int))
{
    kp_buf_appendf(out, "# HELP khnet_http_requests_total HTTP requests answered.\n"
                        "# TYPE khnet_http_requests_total counter\n");
    int nroutes = n > 0 ? blocks[0]->nroutes : 0;
    for (int r = 0; r <= nroutes; r++) {
        bool unmatched = r == nroutes;
        for (int s = 0; s < METRICS_STATUSES; s++) {
            uint64_t v = 0;
            for (int w = 0; w < n; w++)
                if (blocks[w]->requests && r <= blocks[w]->nroutes)
                    v += load(&blocks[w]->requests[r][s]);
            if (!v) continue;
            char status[8];
            if (s == METRICS_STATUSES - 1)
                snprintf(status, sizeof status, "other");
            else
                snprintf(status, sizeof status, "%d", status_codes[s]);
            kp_buf_appendf(
                out, "khnet_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %llu\n",
                unmatched ? "unmatched" : route_name(r), unmatched ? "any" : route_method(r),
                status, (unsigned long long)v);
        }
    }
}

static void render_latency(kp_buf *out, metrics *const *blocks, int n)
{
    kp_buf_appendf(out, "# HELP khnet_http_request_duration_seconds Time from request "
                        "complete to response queued.\n"
                        "# TYPE khnet_http_request_duration_seconds histogram\n");
    uint64_t cum = 0, sum_us = 0;
    for (int b = 0; b < METRICS_BUCKETS; b++) {
        for (int w = 0; w < n; w++)
            cum += load(&blocks[w]->latency[b]);
        if (b < METRICS_BUCKETS - 1)
            kp_buf_appendf(out, "khnet_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                           bucket_le[b], (unsigned long long)cum);
        else
            kp_buf_appendf(out, "khnet_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                           (unsigned long long)cum);
    }
    for (int w = 0; w < n; w++)
        sum_us += load(&blocks[w]->latency_sum_us);
    kp_buf_appendf(out,
                   "khnet_http_request_duration_seconds_sum %.6f\n"
                   "khnet_http_request_duration_seconds_count %llu\n",
                   (double)sum_us / 1e6, (unsigned long long)cum);
}

void metrics_db_publish(metrics *m, int connected, int broken, uint64_t ok, uint64_t failed)
{
    atomic_store_explicit(&m->db_connected, connected, memory_order_relaxed);
    atomic_store_explicit(&m->db_broken, broken, memory_order_relaxed);
    atomic_store_explicit(&m->db_ok, ok, memory_order_relaxed);
    atomic_store_explicit(&m->db_failed, failed, memory_order_relaxed);
}

void metrics_render(kp_buf *out, metrics *const *blocks, int n, const char *(*route_name)(int),
                    const char *(*route_method)(int))
{
    render_requests(out, blocks, n, route_name, route_method);
    render_latency(out, blocks, n);
    int64_t open = 0, connected = 0, broken = 0;
    uint64_t total = 0, ok = 0, failed = 0;
    for (int w = 0; w < n; w++) {
        const metrics *m = blocks[w];
        open += atomic_load_explicit(&m->conns_open, memory_order_relaxed);
        connected += atomic_load_explicit(&m->db_connected, memory_order_relaxed);
        broken += atomic_load_explicit(&m->db_broken, memory_order_relaxed);
        total += load(&m->conns_total);
        ok += load(&m->db_ok);
        failed += load(&m->db_failed);
    }
    kp_buf_appendf(out,
                   "# HELP khnet_http_connections_open Open client connections.\n"
                   "# TYPE khnet_http_connections_open gauge\n"
                   "khnet_http_connections_open %lld\n"
                   "# HELP khnet_http_connections_total Client connections accepted.\n"
                   "# TYPE khnet_http_connections_total counter\n"
                   "khnet_http_connections_total %llu\n"
                   "# HELP khnet_db_connections PostgreSQL connections by state.\n"
                   "# TYPE khnet_db_connections gauge\n"
                   "khnet_db_connections{state=\"connected\"} %lld\n"
                   "khnet_db_connections{state=\"broken\"} %lld\n"
                   "# HELP khnet_db_queries_total Queries completed, by result.\n"
                   "# TYPE khnet_db_queries_total counter\n"
                   "khnet_db_queries_total{result=\"ok\"} %llu\n"
                   "khnet_db_queries_total{result=\"error\"} %llu\n",
                   (long long)open, (unsigned long long)total, (long long)connected,
                   (long long)broken, (unsigned long long)ok, (unsigned long long)failed);
}
