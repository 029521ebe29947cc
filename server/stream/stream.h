/* stream.h — a worker's real-time streams (the hub): not an endpoint but
 * the subsystem behind GET /v1/stream.
 *
 * Writes append rows to khnet_events with pg_notify in the same
 * transaction.  Each worker LISTENs once; a notification "<account>:<seq>"
 * wakes that account's streams on this worker, which fetch what they have
 * not pushed yet, in seq order, and push one binary frame per event.  Push
 * is a hint: the fetch, not the notification, decides what is sent, so a
 * lost notification (LISTEN reconnect) or a reconnecting client
 * (?after=<seq>) loses nothing and gets nothing twice.  Sessions are
 * re-checked for all of a worker's streams with one query every check
 * period: a revoked or expired token's stream is closed with 4001.
 *
 * One hub per worker, on its loop; nothing here is thread-safe. */
#ifndef KHNET_STREAM_H
#define KHNET_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "db/db.h"
#include "http/http.h"

typedef struct stream_hub stream_hub;

/* The pool's ids of the statements the hub sends (the messaging domain
 * owns their SQL). */
typedef struct stream_stmts {
    int events_after;  /* (account, after seq, limit) → seq, kind, payload, created_at */
    int events_latest; /* (account) → the newest seq */
    int sessions_dead; /* (session ids) → those revoked or expired */
} stream_stmts;

/* Starts the LISTEN connection (conninfo) and the session re-check every
 * check_ms; NULL on failure.  Close with stream_hub_close. */
stream_hub *stream_hub_new(uv_loop_t *loop, db_pool *db, const char *conninfo, uint64_t check_ms,
                           const stream_stmts *stmts);
/* Closes the hub's own handles (streams are closed by the HTTP drain), then
 * done(data); the hub is freed. */
void stream_hub_close(stream_hub *h, void (*done)(void *), void *data);
/* Open streams (0 for NULL). */
size_t stream_hub_clients(const stream_hub *h);
/* Upgrades `r` to a WebSocket streaming `account`'s events through
 * `session`, from seq `after` on (-1: from the newest).  0; or -1 when r was
 * answered with an error (503 out of memory, or the upgrade's own refusal). */
int stream_hub_attach(stream_hub *h, http_req *r, int64_t account, int64_t session, int64_t after,
                      const http_ws_limits *lim);

#endif
