/* link.h — one non-blocking libpq connection on a libuv loop: connecting,
 * watching its socket, flushing, losing it and coming back with backoff.
 * The one state machine behind the query pool's connections (pool.c) and
 * the LISTEN connection (listen.c); internal to the db layer (db.h is the
 * layer's interface).
 *
 * What a link does not know is what runs on it: its owner's ops say what
 * to send once connected (the pool's setup batch, a LISTEN), what to do
 * with input, and what to fail when it is lost.  The owner calls
 * db_link_ready when its setup has come back, which ends the connect
 * deadline and the backoff.
 *
 * Rules it keeps (DESIGN.md "Known traps"): PQsocket is compared after
 * every PQconnectPoll and the uv_poll_t re-made or re-armed when libpq
 * switched sockets; the poll handle is closed before PQfinish closes the
 * fd; a flush that leaves bytes waits for writability too; libpq's
 * messages are flattened and quoted in logs; reconnects back off
 * exponentially with "equal jitter", except right after losing a
 * connection that had been stable (the server may just have restarted). */
#ifndef KHNET_DB_LINK_H
#define KHNET_DB_LINK_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef enum db_link_state {
    DB_LINK_BACKOFF,    /* no PGconn; the timer starts the next attempt */
    DB_LINK_CONNECTING, /* PQconnectPoll in progress */
    DB_LINK_SETUP,      /* connected; the owner's setup is in flight */
    DB_LINK_READY,      /* the owner said so (db_link_ready) */
    DB_LINK_CLOSED      /* db_link_close was called */
} db_link_state;

typedef struct db_link db_link;

typedef struct db_link_ops {
    /* Connected: send the setup (the link is in DB_LINK_SETUP, non-blocking).
     * On failure call db_link_down. */
    void (*connected)(db_link *l);
    /* Input was consumed (PQconsumeInput): read results and notifications.
     * May call db_link_down, or close the owner (check l->gen). */
    void (*input)(db_link *l);
    /* The link went down and the next attempt is planned: fail what was in
     * flight on it.  `was_ready` says whether it had been DB_LINK_READY. */
    void (*down)(db_link *l, bool was_ready);
    /* After db_link_close: every handle is closed, the link's memory may go. */
    void (*closed)(db_link *l);
} db_link_ops;

struct db_link {
    uv_loop_t *loop;        /* the worker's loop */
    const char *conninfo;   /* the owner's; URL or key=value */
    const char *name;       /* for logs: "0", "1", "listen" */
    const db_link_ops *ops; /* the owner's hooks */
    void *owner;            /* for the hooks */
    int connect_timeout_ms; /* connect + setup deadline */
    int backoff_min_ms;     /* first backoff */
    int backoff_max_ms;     /* backoff ceiling */
    db_link_state state;    /* see db_link_state */
    PGconn *pg;             /* NULL in BACKOFF and CLOSED */
    uv_poll_t *poll;        /* on PQsocket(pg); freed in its close callback */
    int fd;                 /* the socket poll was made for, or -1 */
    int events;             /* the events poll is started with */
    uv_timer_t timer;       /* backoff delay, or connect deadline */
    int failures;           /* consecutive failed attempts */
    unsigned gen;           /* bumped when pg is torn down, to spot it mid-callback */
    uint64_t ready_ms;      /* when it last became ready */
    uint64_t rng;           /* xorshift state for the jitter */
    int handles;            /* open uv handles (timer, poll) */
};

/* Sets up a link (no I/O yet); strings must outlive it. */
void db_link_init(db_link *l, uv_loop_t *loop, const char *conninfo, const char *name,
                  const db_link_ops *ops, void *owner);
/* Starts connecting (from BACKOFF, or right after init). */
void db_link_start(db_link *l);
/* The owner's setup came back: the link is READY. */
void db_link_ready(db_link *l);
/* Sends what libpq buffered and watches for what comes next.  0, or -1
 * after the link went down. */
int db_link_flush(db_link *l);
/* Tears the connection down (logging `why`, which may live in pg), tells
 * the owner (ops->down), and plans the next attempt. */
void db_link_down(db_link *l, const char *why);
/* For good: no reconnect, no ops->down; ops->closed when the handles are
 * closed.  A second call is ignored. */
void db_link_close(db_link *l);
/* The delay before attempt number `failures` (>= 1): exponential from
 * min to max, half of it random.  Pure but for the jitter state. */
uint64_t db_link_backoff_ms(db_link *l, int failures);

#endif
