/* listen.c — one LISTEN connection per worker, for pg_notify events.
 *
 * Separate from the query pool: a LISTEN session must stay on one
 * connection and never be shared with pipelined queries.  Non-blocking
 * libpq on a uv_poll, like the pool.  When the connection is lost, some
 * notifications may be lost with it, so after every (re)connect the owner
 * is told to resynchronise (payload NULL) and fetches what it missed. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "log.h"

enum { LISTEN_BACKOFF_MIN_MS = 100, LISTEN_BACKOFF_MAX_MS = 5000, LISTEN_CONNECT_MS = 10000 };

typedef enum lstate { L_BACKOFF, L_CONNECTING, L_SUBSCRIBING, L_LISTENING, L_CLOSED } lstate;

struct db_listener {
    uv_loop_t *loop;      /* the worker's loop */
    char *conninfo;       /* copied */
    char *listen_sql;     /* "LISTEN <channel>" */
    db_notify_cb cb;      /* owner's callback */
    void *data;           /* owner's argument */
    PGconn *pg;           /* NULL in backoff */
    uv_poll_t *poll;      /* watches PQsocket(pg); heap, freed on close */
    int sock;             /* socket the poll watches */
    uv_timer_t timer;     /* backoff and connect deadline */
    int backoff_ms;       /* next backoff */
    lstate state;         /* see lstate */
    void (*done)(void *); /* db_listener_close completion */
    void *done_data;
};

static void on_poll(uv_poll_t *h, int status, int events);
static void start_connect(db_listener *l);

static void free_poll(uv_handle_t *h)
{
    free(h);
}

/* Stops watching the socket; libuv forgets the fd before uv_close returns,
 * so PQfinish may close it right after. */
static void drop_poll(db_listener *l)
{
    if (!l->poll) return;
    uv_close((uv_handle_t *)l->poll, free_poll);
    l->poll = NULL;
    l->sock = -1;
}

static int watch(db_listener *l, int events)
{
    int s = PQsocket(l->pg);
    if (s < 0) return -1;
    if (s != l->sock) { /* libpq may change sockets while connecting */
        drop_poll(l);
        l->poll = malloc(sizeof *l->poll);
        if (!l->poll || uv_poll_init(l->loop, l->poll, s) != 0) {
            free(l->poll);
            l->poll = NULL;
            return -1;
        }
        l->poll->data = l;
        l->sock = s;
    }
    return uv_poll_start(l->poll, events, on_poll);
}

static void on_backoff(uv_timer_t *t)
{
    start_connect(t->data);
}

static void fail(db_listener *l, const char *why)
{
    bool was_listening = l->state == L_LISTENING;
    log_event("warn", "msg=\"listen connection %s\" detail=\"%s\"",
              was_listening ? "lost" : "failed", why);
    drop_poll(l);
    if (l->pg) PQfinish(l->pg);
    l->pg = NULL;
    l->state = L_BACKOFF;
    int jitter = rand() % (l->backoff_ms / 4 + 1); /* spread reconnects of many workers */
    uv_timer_start(&l->timer, on_backoff, (uint64_t)l->backoff_ms + (uint64_t)jitter, 0);
    l->backoff_ms =
        l->backoff_ms * 2 > LISTEN_BACKOFF_MAX_MS ? LISTEN_BACKOFF_MAX_MS : l->backoff_ms * 2;
}

static void on_connect_deadline(uv_timer_t *t)
{
    db_listener *l = t->data;
    if (l->state == L_CONNECTING || l->state == L_SUBSCRIBING) fail(l, "connect timed out");
}

static void start_connect(db_listener *l)
{
    l->pg = PQconnectStart(l->conninfo);
    if (!l->pg || PQstatus(l->pg) == CONNECTION_BAD) {
        fail(l, l->pg ? PQerrorMessage(l->pg) : "out of memory");
        return;
    }
    PQsetnonblocking(l->pg, 1);
    l->state = L_CONNECTING;
    uv_timer_start(&l->timer, on_connect_deadline, LISTEN_CONNECT_MS, 0);
    if (watch(l, UV_WRITABLE) != 0) fail(l, "cannot watch socket");
}

static void step_connect(db_listener *l)
{
    switch (PQconnectPoll(l->pg)) {
    case PGRES_POLLING_READING:
        if (watch(l, UV_READABLE)) fail(l, "cannot watch socket");
        return;
    case PGRES_POLLING_WRITING:
        if (watch(l, UV_WRITABLE)) fail(l, "cannot watch socket");
        return;
    case PGRES_POLLING_OK:
        if (!PQsendQuery(l->pg, l->listen_sql)) {
            fail(l, PQerrorMessage(l->pg));
            return;
        }
        l->state = L_SUBSCRIBING;
        if (watch(l, PQflush(l->pg) == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE))
            fail(l, "cannot watch socket");
        return;
    default:
        fail(l, PQerrorMessage(l->pg));
    }
}

/* Reads results and notifications; returns -1 when the connection failed. */
static int drain(db_listener *l)
{
    if (!PQconsumeInput(l->pg)) return -1;
    while (!PQisBusy(l->pg)) {
        PGresult *res = PQgetResult(l->pg);
        if (!res) break;
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (st != PGRES_COMMAND_OK) return -1;
        if (l->state == L_SUBSCRIBING) {
            l->state = L_LISTENING;
            l->backoff_ms = LISTEN_BACKOFF_MIN_MS;
            uv_timer_stop(&l->timer);
            l->cb(l->data, NULL); /* we may have missed notifications: resync */
        }
    }
    PGnotify *n;
    while (l->pg && (n = PQnotifies(l->pg)) != NULL) {
        l->cb(l->data, n->extra);
        PQfreemem(n);
    }
    return 0;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    db_listener *l = h->data;
    (void)events;
    if (l->state == L_CONNECTING) {
        step_connect(l);
        return;
    }
    if (status < 0 && status != UV_EBADF) { /* let libpq read the real error */
        fail(l, uv_strerror(status));
        return;
    }
    if ((events & UV_WRITABLE) && PQflush(l->pg) == 0 && watch(l, UV_READABLE)) {
        fail(l, "cannot watch socket");
        return;
    }
    if (drain(l) != 0) fail(l, PQerrorMessage(l->pg));
}

static bool valid_channel(const char *c)
{
    if (!*c || strlen(c) > 63) return false;
    for (; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || *c == '_' || (*c >= '0' && *c <= '9'))) return false;
    return true;
}

db_listener *db_listener_new(uv_loop_t *loop, const char *conninfo, const char *channel,
                             db_notify_cb cb, void *data)
{
    if (!valid_channel(channel)) return NULL; /* it is spliced into SQL */
    db_listener *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    size_t sl = strlen(channel) + sizeof "LISTEN ";
    l->conninfo = strdup(conninfo);
    l->listen_sql = malloc(sl);
    if (!l->conninfo || !l->listen_sql) {
        free(l->conninfo);
        free(l->listen_sql);
        free(l);
        return NULL;
    }
    snprintf(l->listen_sql, sl, "LISTEN %s", channel);
    l->loop = loop;
    l->cb = cb;
    l->data = data;
    l->sock = -1;
    l->backoff_ms = LISTEN_BACKOFF_MIN_MS;
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    start_connect(l);
    return l;
}

bool db_listener_ready(const db_listener *l)
{
    return l->state == L_LISTENING;
}

static void on_timer_closed(uv_handle_t *h)
{
    db_listener *l = h->data;
    if (l->done) l->done(l->done_data);
    free(l->conninfo);
    free(l->listen_sql);
    free(l);
}

void db_listener_close(db_listener *l, void (*done)(void *), void *data)
{
    if (l->state == L_CLOSED) return;
    l->state = L_CLOSED;
    l->done = done;
    l->done_data = data;
    drop_poll(l);
    if (l->pg) PQfinish(l->pg);
    l->pg = NULL;
    uv_close((uv_handle_t *)&l->timer, on_timer_closed);
}
