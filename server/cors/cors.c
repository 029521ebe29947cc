/* cors.c — the partner-origin cache (see cors.h): a sorted list answered
 * by binary search, reloaded by its own timer. */
#include "cors.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

enum { CORS_RETRY_MS = 1000 }; /* after a failed reload */

static int cmp_origin(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void cors_install(cors_cache *c, const char *spaced)
{
    size_t len = strlen(spaced);
    char *text = malloc(len + 1);
    const char **list = malloc((len / 2 + 1) * sizeof *list);
    if (!text || !list) { /* keep the old set */
        free(text);
        free(list);
        return;
    }
    memcpy(text, spaced, len + 1);
    int n = 0;
    for (char *p = text; *p;) {
        char *sp = strchr(p, ' ');
        if (sp) *sp = '\0';
        if (*p) list[n++] = p;
        p = sp ? sp + 1 : p + strlen(p);
    }
    qsort(list, (size_t)n, sizeof *list, cmp_origin);
    free(c->text);
    free((void *)c->list);
    c->text = text;
    c->list = list;
    c->n = n;
}

bool cors_allowed(const cors_cache *c, const char *origin, size_t len)
{
    int lo = 0, hi = c->n - 1;
    while (lo <= hi) { /* origin is not NUL-terminated: compare by length too */
        int mid = lo + (hi - lo) / 2;
        const char *e = c->list[mid];
        int d = strncmp(e, origin, len);
        if (d == 0) d = e[len] ? 1 : 0;
        if (d == 0) return true;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return false;
}

static void on_tick(uv_timer_t *t);

/* After a failure: the next try in CORS_RETRY_MS, then the usual period. */
static void retry_soon(cors_cache *c)
{
    if (c->started && !uv_is_closing((uv_handle_t *)&c->timer))
        uv_timer_start(&c->timer, on_tick, CORS_RETRY_MS, c->refresh_ms);
}

static void on_loaded(void *data, const db_reply *rep)
{
    cors_cache *c = data;
    c->loading = false;
    if (rep->status == DB_OK && PQntuples(rep->res) == 1 && !PQgetisnull(rep->res, 0, 0)) {
        cors_install(c, PQgetvalue(rep->res, 0, 0));
        return;
    }
    if (rep->status == DB_QUERY_ERROR)
        log_event("error", "msg=\"cannot load partner origins\" worker=%d detail=\"%s\"",
                  c->worker_id, rep->message ? rep->message : "");
    retry_soon(c);
}

static void on_tick(uv_timer_t *t)
{
    cors_cache *c = t->data;
    if (c->loading) return;
    if (db_query(c->db, c->stmt_id, 0, NULL, NULL, on_loaded, c) == 0)
        c->loading = true;
    else
        retry_soon(c);
}

int cors_start(cors_cache *c, uv_loop_t *loop, db_pool *db, int stmt_id, uint64_t refresh_ms,
               int worker_id)
{
    c->db = db;
    c->stmt_id = stmt_id;
    c->refresh_ms = refresh_ms;
    c->worker_id = worker_id;
    if (uv_timer_init(loop, &c->timer) != 0) return -1;
    c->timer.data = c;
    c->started = true;
    return uv_timer_start(&c->timer, on_tick, 0, refresh_ms) == 0 ? 0 : -1;
}

void cors_stop(cors_cache *c)
{
    if (c->started && !uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, NULL);
}

void cors_free(cors_cache *c)
{
    free(c->text);
    free((void *)c->list);
    c->text = NULL;
    c->list = NULL;
    c->n = 0;
}
