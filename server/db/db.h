/* db.h — the database layer: an asynchronous PostgreSQL pool on a libuv loop,
 * and schema migrations.
 *
 * The pool belongs to one worker thread and its loop; nothing here is
 * thread-safe.  Connections are non-blocking libpq driven by uv_poll, run in
 * pipeline mode, and prepare every registered statement once per connection
 * before taking queries.  When PostgreSQL is unreachable, queries fail at once
 * with DB_UNAVAILABLE and the pool reconnects by itself with backoff.  The
 * pool's connections and the LISTEN connection share one connection state
 * machine (link.h: connect, socket watch, flush, backoff, logs).
 *
 * Migrations (db_migrate_*) are blocking and run from main() before any loop
 * starts, never on a loop.
 */
#ifndef KHNET_DB_H
#define KHNET_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

/* A statement the pool prepares on every connection.  Registered once per
 * pool, in a static table owned by the api layer; `id` is the index. */
typedef struct db_stmt {
    const char *name; /* prepared statement name, unique */
    const char *sql;  /* text with $1..$n */
    int nparams;
} db_stmt;

typedef enum db_status {
    DB_OK = 0,      /* res holds PGRES_TUPLES_OK or PGRES_COMMAND_OK */
    DB_UNAVAILABLE, /* no usable connection, or it died mid-query */
    DB_TIMEOUT,     /* statement_timeout fired (SQLSTATE 57014) */
    DB_QUERY_ERROR, /* the statement failed; sqlstate says why */
} db_status;

typedef struct db_reply {
    db_status status;
    const PGresult *res;  /* DB_OK only; valid during the callback only */
    const char *sqlstate; /* DB_QUERY_ERROR/DB_TIMEOUT: 5 chars, else "" */
    const char *message;  /* server's message, for logs only, never clients */
    uint64_t wait_ns;     /* queued in the pool before it was sent (uv_hrtime) */
    uint64_t run_ns;      /* from sent to its Sync back: PostgreSQL, the network, the loop */
} db_reply;

/* Called exactly once per accepted query, on the loop thread. */
typedef void (*db_cb)(void *data, const db_reply *reply);

typedef struct db_config {
    const char *conninfo;     /* libpq URL or key=value string */
    int connections;          /* connections per pool (per worker) */
    int statement_timeout_ms; /* applied to every session */
    int max_queue;            /* queued + in flight per pool; beyond → DB_UNAVAILABLE */
    int reconnect_min_ms;     /* first backoff */
    int reconnect_max_ms;     /* backoff ceiling */
} db_config;

typedef struct db_stats {
    int connections;   /* configured */
    int connected;     /* ready for queries */
    int broken;        /* down or reconnecting */
    int in_flight;     /* sent, awaiting results */
    int queued;        /* waiting for a connection */
    uint64_t queries;  /* completed with DB_OK */
    uint64_t failures; /* completed with anything else */
} db_stats;

typedef struct db_pool db_pool;

/* Starts connecting at once (non-blocking).  `stmts` must outlive the pool.
 * Returns NULL on allocation failure. */
db_pool *db_pool_new(uv_loop_t *loop, const db_config *cfg, const db_stmt *stmts, size_t nstmts);

/* Queues statement `stmt_id` with text parameters (NULL value = SQL NULL).
 * The values are copied before return.  Returns 0 when accepted (cb will be
 * called later, never from inside this call), or -1 when not accepted
 * (pool closing, or bad stmt_id); then cb is never called.
 * Clarifications: `lengths` may be NULL (values are then NUL-terminated
 * strings); with it, values[i] need not be NUL-terminated, and a negative
 * length means "use strlen".  -1 is also returned when nparams differs from
 * stmts[stmt_id].nparams or cb is NULL; -2 when memory runs out.  Being accepted
 * does not mean being sent: when the pool is down or full, cb reports
 * DB_UNAVAILABLE on the next loop iteration. */
int db_query(db_pool *p, int stmt_id, int nparams, const char *const *values, const int *lengths,
             db_cb cb, void *data);

void db_pool_stats(const db_pool *p, db_stats *out);

/* Fails every queued and in-flight query with DB_UNAVAILABLE, closes all
 * handles, then calls done(data) and frees the pool.  The failure callbacks
 * and done run later on the loop, not inside this call; done may be NULL.
 * A second call is ignored. */
void db_pool_close(db_pool *p, void (*done)(void *data), void *data);

/* ---- notifications -------------------------------------------------------
 * One LISTEN connection (not from the pool), reconnecting with backoff.
 * cb(data, payload) runs on the loop for each notification on `channel`, and
 * cb(data, NULL) after every (re)subscription: notifications sent while it
 * was down are lost, so the owner must catch up from the database. */
typedef void (*db_notify_cb)(void *data, const char *payload);
typedef struct db_listener db_listener;

/* `channel`: [a-z0-9_]{1,63}.  NULL on a bad channel or no memory. */
db_listener *db_listener_new(uv_loop_t *loop, const char *conninfo, const char *channel,
                             db_notify_cb cb, void *data);
bool db_listener_ready(const db_listener *l);
/* Call on a period: sends a keepalive, or takes the connection down (and
 * reconnects) when the one sent at the previous call is still unanswered. */
void db_listener_keepalive(db_listener *l);
/* Closes the connection; done(data) runs later on the loop, then l is freed. */
void db_listener_close(db_listener *l, void (*done)(void *data), void *data);

/* ---- migrations (blocking; main thread only) ---------------------------- */
typedef struct db_migration {
    const char *name; /* "0001_init.sql", "40_search.sql" */
    const char *sql;
    size_t len;
} db_migration;

/* The migrations compiled into this binary, sorted by name, each array ended
 * by a {0} sentinel: numbered ones (migrations/, applied once each, never
 * changed) and repeatable ones (migrations/repeatable/, functions, views and
 * triggers, re-applied whenever their bytes change). */
extern const db_migration db_migrations[];
extern const size_t db_migrations_count;
extern const db_migration db_repeatables[];
extern const size_t db_repeatables_count;

/* A set of migrations to bring a database to: this binary's (db_schema_embedded)
 * or, in tests, an edited copy of it. */
typedef struct db_schema {
    const db_migration *numbered; /* sorted by name */
    size_t numbered_count;
    const db_migration *repeatable; /* sorted by name */
    size_t repeatable_count;
} db_schema;

db_schema db_schema_embedded(void);

/* Under a session advisory lock: applies the pending numbered migrations in
 * order, then re-applies each repeatable file that is new or whose SHA-256
 * differs from the one recorded, in name order; each file in its own
 * transaction with its record (khnet_schema_migrations,
 * khnet_schema_repeatables).  Refuses, applying nothing, when an applied
 * numbered migration's checksum differs or the database records a file this
 * set does not have.  Logs "applied NAME" / "applied repeatable/NAME" to
 * `log` (may be NULL).  Returns 0, or -1 with a message in err. */
int db_migrate_schema(const char *conninfo, const db_schema *s, FILE *log, char *err,
                      size_t errlen);
/* db_migrate_schema with this binary's migrations. */
int db_migrate(const char *conninfo, FILE *log, char *err, size_t errlen);

/* Checks that the database is exactly at schema `s`: every numbered
 * migration applied with its checksum, every repeatable file applied at its
 * current checksum, nothing unknown recorded.  Returns 0, or -1 with a
 * message in err. */
int db_check_schema_of(const char *conninfo, const db_schema *s, char *err, size_t errlen);
/* db_check_schema_of with this binary's migrations. */
int db_check_schema(const char *conninfo, char *err, size_t errlen);

#endif
