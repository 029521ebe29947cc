/* link.c — the libpq-on-libuv connection state machine (see link.h). */
#include "db/link.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

#define STABLE_MS 1000 /* ready this long → the next reconnect is immediate */

static void poll_cb(uv_poll_t *h, int status, int events);

/* One line per connection event (state changes only, never per query);
 * libpq's multi-line messages are flattened and quoted to fit one line. */
static void link_log(const db_link *l, const char *what, const char *detail)
{
    char quoted[512];
    const char *d = detail ? detail : "";
    size_t n = strlen(d);
    while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == ' '))
        n--; /* libpq ends with \n */
    log_quote(quoted, sizeof quoted, d, n);
    log_event("warn", "msg=\"db connection %s\" conn=%s detail=%s", what, l->name, quoted);
}

/* libpq's notices (a FATAL the server sends as it drops the connection, a
 * WARNING from a statement) go to the log as one quoted line, not to
 * stderr as libpq's default would, unquoted and over several lines. */
static void on_notice(void *arg, const char *message)
{
    link_log(arg, "notice", message);
}

/* ---- handles ------------------------------------------------------------------ */

static void handle_closed(db_link *l)
{
    if (--l->handles == 0 && l->state == DB_LINK_CLOSED) l->ops->closed(l);
}

static void timer_closed(uv_handle_t *h)
{
    handle_closed(h->data);
}

static void poll_closed(uv_handle_t *h)
{
    db_link *l = h->data;
    free(h);
    handle_closed(l);
}

static void poll_drop(db_link *l)
{
    if (!l->poll) return;
    uv_close((uv_handle_t *)l->poll, poll_closed);
    l->poll = NULL;
    l->fd = -1;
    l->events = 0;
}

/* Watches PQsocket(pg) for `events`.  libpq may switch sockets while
 * connecting (next host address, SSL fallback), possibly reusing the same fd
 * number, so `rearm` stops and restarts the watch to re-register the fd with
 * epoll; a different fd number gets a new handle. */
static int poll_watch(db_link *l, int events, bool rearm)
{
    int fd = PQsocket(l->pg);
    if (fd < 0) return -1;
    if (l->poll && l->fd != fd) poll_drop(l);
    if (!l->poll) {
        uv_poll_t *h = malloc(sizeof *h);
        if (!h || uv_poll_init(l->loop, h, fd) != 0) {
            free(h);
            return -1;
        }
        h->data = l;
        l->handles++;
        l->poll = h;
        l->fd = fd;
        l->events = 0;
    } else if (rearm) {
        uv_poll_stop(l->poll);
        l->events = 0;
    }
    if (events != l->events && uv_poll_start(l->poll, events, poll_cb) != 0) return -1;
    l->events = events;
    return 0;
}

/* ---- the machine ------------------------------------------------------------------ */

void db_link_init(db_link *l, uv_loop_t *loop, const char *conninfo, const char *name,
                  const db_link_ops *ops, void *owner)
{
    memset(l, 0, sizeof *l);
    l->loop = loop;
    l->conninfo = conninfo;
    l->name = name;
    l->ops = ops;
    l->owner = owner;
    l->connect_timeout_ms = 10000;
    l->backoff_min_ms = 100;
    l->backoff_max_ms = 5000;
    l->fd = -1;
    l->state = DB_LINK_BACKOFF;
    l->rng = (uv_hrtime() ^ (uint64_t)(uintptr_t)l) | 1;
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    l->handles = 1;
}

uint64_t db_link_backoff_ms(db_link *l, int failures)
{
    uint64_t d = (uint64_t)l->backoff_min_ms, max = (uint64_t)l->backoff_max_ms;
    for (int i = 1; i < failures && d < max; i++)
        d *= 2;
    if (d > max) d = max;
    l->rng ^= l->rng << 13; /* xorshift64: jitter only, not security */
    l->rng ^= l->rng >> 7;
    l->rng ^= l->rng << 17;
    /* "Equal jitter": half fixed, half random, so workers that lost the
     * database together do not reconnect in lockstep. */
    return d / 2 + l->rng % (d / 2 + 1);
}

static void retry_cb(uv_timer_t *t)
{
    db_link_start(t->data);
}

static void connect_timeout_cb(uv_timer_t *t)
{
    db_link_down(t->data, "connect timed out");
}

/* Closes the PGconn and its watch; the poll first, so libuv forgets the fd
 * before PQfinish closes it. */
static void teardown(db_link *l)
{
    poll_drop(l);
    if (l->pg) PQfinish(l->pg);
    l->pg = NULL;
    l->gen++;
    uv_timer_stop(&l->timer);
}

void db_link_down(db_link *l, const char *why)
{
    if (l->state == DB_LINK_CLOSED) return;
    bool was_ready = l->state == DB_LINK_READY;
    if (why && (was_ready || l->failures == 0))                  /* the first of a series only */
        link_log(l, was_ready ? "lost" : "cannot connect", why); /* before PQfinish */
    teardown(l);
    if (was_ready && uv_now(l->loop) - l->ready_ms >= STABLE_MS) {
        l->failures = 0;
        db_link_start(l);
    } else {
        l->failures++;
        l->state = DB_LINK_BACKOFF;
        uv_timer_start(&l->timer, retry_cb, db_link_backoff_ms(l, l->failures), 0);
    }
    /* after planning: the owner judges "is anything coming back soon?" on
     * the new state; a nested down from an immediate retry has already
     * told it, and this call finds nothing left to fail */
    l->ops->down(l, was_ready);
}

void db_link_start(db_link *l)
{
    /* expand_dbname lets conninfo be a URL or key=value string. */
    const char *const kw[] = {"dbname", "fallback_application_name", NULL};
    const char *const val[] = {l->conninfo, "khnetd", NULL};
    l->state = DB_LINK_CONNECTING;
    l->pg = PQconnectStartParams(kw, val, 1);
    uv_timer_start(&l->timer, connect_timeout_cb, (uint64_t)l->connect_timeout_ms, 0);
    if (!l->pg) {
        db_link_down(l, "out of memory");
        return;
    }
    PQsetNoticeProcessor(l->pg, on_notice, l);
    if (PQstatus(l->pg) == CONNECTION_BAD || PQsetnonblocking(l->pg, 1) != 0)
        db_link_down(l, PQerrorMessage(l->pg));
    else if (poll_watch(l, UV_WRITABLE, true) != 0) /* libpq: start as if WRITING */
        db_link_down(l, "no socket");
}

void db_link_ready(db_link *l)
{
    if (l->failures > 0) link_log(l, "connected again", NULL);
    l->state = DB_LINK_READY;
    l->failures = 0;
    l->ready_ms = uv_now(l->loop);
    uv_timer_stop(&l->timer);
}

int db_link_flush(db_link *l)
{
    int r = PQflush(l->pg);
    if (r < 0) {
        db_link_down(l, PQerrorMessage(l->pg));
        return -1;
    }
    if (poll_watch(l, r ? UV_READABLE | UV_WRITABLE : UV_READABLE, false) != 0) {
        db_link_down(l, "cannot watch socket");
        return -1;
    }
    return 0;
}

static void connected(db_link *l)
{
    l->state = DB_LINK_SETUP;
    unsigned gen = l->gen;
    /* the socket is final now: re-register it once more */
    if (poll_watch(l, UV_READABLE, true) != 0) {
        db_link_down(l, "no socket");
        return;
    }
    l->ops->connected(l);
    if (l->gen == gen && l->state == DB_LINK_SETUP) db_link_flush(l);
}

static void connect_step(db_link *l)
{
    int events = UV_WRITABLE;
    switch (PQconnectPoll(l->pg)) {
    case PGRES_POLLING_FAILED:
        db_link_down(l, PQerrorMessage(l->pg));
        return;
    case PGRES_POLLING_OK:
        connected(l);
        return;
    case PGRES_POLLING_READING:
        events = UV_READABLE;
        break;
    default:
        break;
    }
    if (poll_watch(l, events, true) != 0) db_link_down(l, "no socket");
}

/* libuv reports a socket error (POLLERR) as status UV_EBADF and stops the
 * handle; libpq then knows the real cause (SO_ERROR, the server's last
 * message), so it still gets to read before the connection is dropped, and
 * while connecting PQconnectPoll may move on to the host's next address. */
static void poll_cb(uv_poll_t *h, int status, int events)
{
    db_link *l = h->data;
    if (l->state == DB_LINK_CONNECTING) {
        connect_step(l);
        return;
    }
    unsigned gen = l->gen;
    if (status < 0) events = UV_READABLE;
    if ((events & UV_READABLE) && !PQconsumeInput(l->pg)) {
        db_link_down(l, PQerrorMessage(l->pg));
        return;
    }
    if (status == 0 && (l->events & UV_WRITABLE) && db_link_flush(l) != 0) return;
    l->ops->input(l);
    if (l->gen == gen && PQstatus(l->pg) == CONNECTION_BAD)
        db_link_down(l, PQerrorMessage(l->pg));
    else if (status < 0 && l->gen == gen)
        db_link_down(l, uv_strerror(status));
}

void db_link_close(db_link *l)
{
    if (l->state == DB_LINK_CLOSED) return;
    l->state = DB_LINK_CLOSED;
    teardown(l);
    uv_close((uv_handle_t *)&l->timer, timer_closed);
}
