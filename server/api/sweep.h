/* sweep.h — housekeeping a statement does on a timer, on one worker's
 * loop: today the expiry of overdue mentoring requests and proposals
 * (khnet_mentoring_expire, with their events), so they expire on time
 * even when nobody makes a mentoring call.  Lazy expiry in the SQL
 * functions stays: this only bounds how late an event can be.  One sweep
 * per khnetd (worker 0); several khnetd instances may sweep at once, the
 * statement is idempotent (row locks, status re-checked).  Nothing here is
 * thread-safe. */
#ifndef KHNET_API_SWEEP_H
#define KHNET_API_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "db/db.h"

typedef struct api_sweep {
    db_pool *db;      /* the worker's pool */
    int stmt_id;      /* the statement run each period (no parameters) */
    const char *name; /* for logs */
    uv_timer_t timer; /* the period */
    bool busy;        /* a run is in flight: the next tick skips */
    bool started;     /* the timer was initialised */
    bool failing;     /* the last run failed (logged once until it works) */
} api_sweep;

/* Runs stmt_id now and every every_ms on loop.  0 or -1 (timer). */
int api_sweep_start(api_sweep *s, uv_loop_t *loop, db_pool *db, int stmt_id, uint64_t every_ms,
                    const char *name);
/* Stops (closes the timer; safe when never started). */
void api_sweep_stop(api_sweep *s);

#endif
