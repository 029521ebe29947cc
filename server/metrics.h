/* metrics.h — per-worker counters and their Prometheus rendering.
 *
 * Each worker owns one `metrics` and is its only writer (plain relaxed
 * stores, no locked instructions on the hot path); /metrics reads every
 * worker's block with relaxed loads and sums.  A scrape may see a worker's
 * counters a few requests apart, never torn values. */
#ifndef KHNET_METRICS_H
#define KHNET_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "khproto.h"

enum {
    METRICS_STATUSES = 25, /* see metrics.c: status_codes[]; last = other */
    METRICS_BUCKETS = 14   /* latency histogram buckets incl. +Inf */
};

typedef struct metrics {
    _Atomic uint64_t (*requests)[METRICS_STATUSES]; /* calloc: [nroutes + 1], by route, status;
                                                       the last row is "unmatched" */
    int nroutes;                                    /* routes counted (the route table's size) */
    _Atomic uint64_t latency[METRICS_BUCKETS];      /* non-cumulative bucket counts */
    _Atomic uint64_t latency_sum_us;                /* sum of durations */
    _Atomic int64_t conns_open;                     /* gauge */
    _Atomic uint64_t conns_total;                   /* accepted */
    _Atomic int64_t db_connected;                   /* published from the pool */
    _Atomic int64_t db_broken;
    _Atomic uint64_t db_ok;
    _Atomic uint64_t db_failed;
} metrics;

/* Sizes the per-route counters from the route table (`nroutes` routes plus
 * "unmatched"); call before the owner thread starts.  0 or -1 (no memory).
 * metrics_free releases them. */
int metrics_init(metrics *m, int nroutes);
void metrics_free(metrics *m);

/* Owner-thread updates. route < 0 means unmatched. */
void metrics_request(metrics *m, int route, int status, uint64_t dur_us);
void metrics_conn_opened(metrics *m);
void metrics_conn_closed(metrics *m);

/* The owner copies its pool's state here (a pool is not thread-safe, so
 * other workers never read it directly). */
void metrics_db_publish(metrics *m, int connected, int broken, uint64_t ok, uint64_t failed);

/* Renders the text exposition of `n` workers' blocks (all sized alike).
 * route_name(i) and route_method(i) label route indexes. */
void metrics_render(kp_buf *out, metrics *const *blocks, int n, const char *(*route_name)(int),
                    const char *(*route_method)(int));

#endif
