/* listen.c — one LISTEN connection per worker, for pg_notify events.
 *
 * Separate from the query pool: a LISTEN session must stay on one
 * connection and never be shared with pipelined queries.  The connection
 * itself (connecting, the socket watch, backoff, logs) is the shared
 * machine in link.c; this file sends the LISTEN once connected and hands
 * notifications to the owner.  When the connection is lost, notifications
 * may be lost with it, so after every (re)subscription the owner is told
 * to resynchronise (payload NULL) and fetches what it missed.
 *
 * A LISTEN connection only reads, so a peer that vanished without a word (a
 * host gone, a hung server, a network that drops packets) would leave it
 * waiting for ever: the owner calls db_listener_keepalive on a period, and a
 * keepalive still unanswered at the next call takes the link down (and the
 * reconnect resynchronises).  The keepalive is the LISTEN itself, sent
 * again: harmless, and answered by the same backend that delivers. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/link.h"

enum { LISTEN_BACKOFF_MIN_MS = 100, LISTEN_BACKOFF_MAX_MS = 5000 };

struct db_listener {
    db_link link;         /* the connection machine; link.owner is this */
    char *conninfo;       /* copied */
    char *listen_sql;     /* "LISTEN <channel>" */
    db_notify_cb cb;      /* owner's callback */
    void *data;           /* owner's argument */
    void (*done)(void *); /* db_listener_close completion */
    void *done_data;
    bool ping_out; /* a keepalive was sent and not answered yet */
};

static void subscribe(db_link *link)
{
    if (!PQsendQuery(link->pg, ((db_listener *)link->owner)->listen_sql))
        db_link_down(link, PQerrorMessage(link->pg)); /* else the link flushes it */
}

/* Reads the LISTEN's result and notifications. */
static void input(db_link *link)
{
    db_listener *l = link->owner;
    unsigned gen = link->gen;
    while (link->gen == gen && !PQisBusy(link->pg)) {
        PGresult *res = PQgetResult(link->pg);
        if (!res) break;
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK) {
            db_link_down(link, PQresultErrorMessage(res)); /* before PQclear: it lives there */
            PQclear(res);
            return;
        }
        PQclear(res);
        l->ping_out = false; /* the subscription, or a keepalive, answered */
        if (link->state == DB_LINK_SETUP) {
            db_link_ready(link);
            l->cb(l->data, NULL); /* we may have missed notifications: resync */
        }
    }
    PGnotify *n;
    while (link->gen == gen && link->pg && (n = PQnotifies(link->pg)) != NULL) {
        l->cb(l->data, n->extra);
        PQfreemem(n);
    }
}

static void lost(db_link *link, bool was_ready)
{
    (void)was_ready; /* nothing in flight but the LISTEN itself */
    ((db_listener *)link->owner)->ping_out = false;
}

static void closed(db_link *link)
{
    db_listener *l = link->owner;
    if (l->done) l->done(l->done_data);
    free(l->conninfo);
    free(l->listen_sql);
    free(l);
}

static const db_link_ops listen_ops = {subscribe, input, lost, closed};

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
    l->cb = cb;
    l->data = data;
    db_link_init(&l->link, loop, l->conninfo, "listen", &listen_ops, l);
    l->link.backoff_min_ms = LISTEN_BACKOFF_MIN_MS;
    l->link.backoff_max_ms = LISTEN_BACKOFF_MAX_MS;
    db_link_start(&l->link);
    return l;
}

bool db_listener_ready(const db_listener *l)
{
    return l->link.state == DB_LINK_READY;
}

void db_listener_keepalive(db_listener *l)
{
    db_link *link = &l->link;
    if (link->state != DB_LINK_READY) return; /* connecting: the connect deadline rules */
    if (l->ping_out) {
        db_link_down(link, "no answer to a keepalive");
        return;
    }
    if (!PQsendQuery(link->pg, l->listen_sql)) {
        db_link_down(link, PQerrorMessage(link->pg));
        return;
    }
    l->ping_out = true;
    db_link_flush(link);
}

void db_listener_close(db_listener *l, void (*done)(void *), void *data)
{
    if (l->link.state == DB_LINK_CLOSED) return;
    l->done = done;
    l->done_data = data;
    db_link_close(&l->link);
}
