/* sweep.c — a statement on a timer (sweep.h), modelled on the CORS cache's
 * reload: the query goes through the worker's pool like a request's, so it
 * never blocks the loop and waits its turn when the pool is busy. */
#include "api/sweep.h"

#include "log.h"

static void on_done(void *data, const db_reply *rep)
{
    api_sweep *s = data;
    s->busy = false;
    bool ok = rep->status == DB_OK;
    if (!ok && !s->failing)
        log_event("warn", "msg=\"sweep failed; will retry\" sweep=%s detail=\"%s\"", s->name,
                  rep->message ? rep->message : "");
    s->failing = !ok;
}

static void on_tick(uv_timer_t *t)
{
    api_sweep *s = t->data;
    if (s->busy) return;
    s->busy = db_query(s->db, s->stmt_id, 0, NULL, NULL, on_done, s) == 0;
}

int api_sweep_start(api_sweep *s, uv_loop_t *loop, db_pool *db, int stmt_id, uint64_t every_ms,
                    const char *name)
{
    *s = (api_sweep){.db = db, .stmt_id = stmt_id, .name = name};
    if (uv_timer_init(loop, &s->timer) != 0) return -1;
    s->timer.data = s;
    s->started = true;
    return uv_timer_start(&s->timer, on_tick, every_ms, every_ms) == 0 ? 0 : -1;
}

void api_sweep_stop(api_sweep *s)
{
    if (s->started && !uv_is_closing((uv_handle_t *)&s->timer))
        uv_close((uv_handle_t *)&s->timer, NULL);
}
