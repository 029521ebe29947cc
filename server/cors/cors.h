/* cors.h — the worker's cache of the enabled partners' browser origins,
 * which answers the HTTP layer's CORS hook from memory.
 *
 * Why a cache: the hook runs for every request with an Origin header and
 * must not cost a query.  The cache reloads the set with one query every
 * refresh period on its own timer, and a worker that changes a partner
 * installs the set its write returned at once.  So a change is seen by the
 * worker that made it immediately and by every other worker, on every
 * instance, within one refresh period.  When the database is unreachable
 * the last set stays (and the next try comes sooner).
 *
 * One cache per worker, on its loop; nothing here is thread-safe. */
#ifndef KHNET_CORS_H
#define KHNET_CORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "db/db.h"

typedef struct cors_cache {
    char *text;          /* malloc: the origins, NUL-separated */
    const char **list;   /* malloc: sorted pointers into text */
    int n;               /* entries in list */
    db_pool *db;         /* where the set is loaded from */
    int stmt_id;         /* the pool's statement answering one column, the set */
    uint64_t refresh_ms; /* period of reloads */
    uv_timer_t timer;    /* the reloads' own tick */
    bool loading;        /* a reload is in flight */
    bool started;        /* the timer was initialised */
    int worker_id;       /* for logs */
} cors_cache;

/* Starts the reloads on `loop` (the first at once): `stmt_id` answers the
 * space-separated origins (khnet_cors_origins).  0 or -1. */
int cors_start(cors_cache *c, uv_loop_t *loop, db_pool *db, int stmt_id, uint64_t refresh_ms,
               int worker_id);
/* Stops the reloads (closes the timer; safe when never started). */
void cors_stop(cors_cache *c);
/* Frees the set; after the loop closed the timer. */
void cors_free(cors_cache *c);
/* Replaces the set with the space-separated origins in `spaced` (a partner
 * write's answer); on allocation failure the old set stays. */
void cors_install(cors_cache *c, const char *spaced);
/* Is origin[0..len) in the set? */
bool cors_allowed(const cors_cache *c, const char *origin, size_t len);

#endif
