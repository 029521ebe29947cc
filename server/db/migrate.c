/* migrate.c — schema migrations (db_migrate, db_check_schema).
 *
 * Blocking libpq, run from main() before any worker loop starts; nothing here
 * may be called on a loop.  Two kinds of files, both embedded into the binary
 * by cmake/embed_migrations.cmake (the Flyway model of versioned and
 * repeatable migrations):
 *
 * - Numbered migrations (migrations/NNNN_*.sql, db_migrations[]): tables,
 *   indexes, data changes.  Applied once each, in order, and never changed
 *   afterwards.  khnet_schema_migrations records each applied file's name and
 *   the SHA-256 of its bytes; a recorded file this binary does not know, or
 *   one whose bytes changed since, stops everything: the schema is then not
 *   what the code was written against.
 * - Repeatable files (migrations/repeatable/NN_domain.sql, db_repeatables[]):
 *   every function, view and trigger at its current version, written to be
 *   run again (CREATE OR REPLACE).  After the numbered ones, each file that
 *   is new or whose SHA-256 differs from the one recorded in
 *   khnet_schema_repeatables is run again, in name order; unchanged files
 *   are not touched.  So a function is changed by editing its one file, and
 *   the numbered history never changes.  A recorded file this binary does
 *   not have is refused like an unknown numbered one (a newer version's).
 *
 * Everything runs under one session advisory lock, so instances started
 * together apply each file once.  Each file runs in its own transaction with
 * its record, so it applies fully or not at all; files must therefore not
 * contain transaction control or statements that cannot run in a transaction
 * (CREATE INDEX CONCURRENTLY).  Refusals are decided before anything is
 * applied.  A numbered migration runs against the functions as they were
 * when it was written only if it defines what it needs itself: repeatable
 * files run after all numbered ones (a fresh database gets every numbered
 * file's own definitions first, then the repeatable ones over them).
 */
#include "db/db.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* pg_advisory_lock key serialising migrators ("khnetmig" in ASCII), so that
 * instances started together do not apply the same file twice. */
#define MIGRATE_LOCK_KEY "7739557341660277095"

#define CHECKSUM_HEX 65 /* SHA-256 as hex, NUL-terminated */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    size_t n = strlen(err); /* libpq messages end in a newline */
    while (n > 0 && err[n - 1] == '\n')
        err[--n] = '\0';
}

static void quiet_notices(void *arg, const char *message) {}

static int checksum(const db_migration *m, char out[CHECKSUM_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(m->sql, m->len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) return -1;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * (size_t)mdlen] = '\0';
    return 0;
}

static PGconn *open_conn(const char *conninfo, char *err, size_t errlen)
{
    PGconn *pg = PQconnectdb(conninfo ? conninfo : "");
    if (!pg) {
        set_err(err, errlen, "database: out of memory");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        set_err(err, errlen, "cannot connect to the database: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, quiet_notices, NULL); /* "relation already exists, skipping" */
    return pg;
}

/* Runs one statement without parameters; 0 when it succeeded. */
static int exec_ok(PGconn *pg, const char *sql, const char *what, char *err, size_t errlen)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0)
        set_err(err, errlen, "%s: %s", what, r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
    PQclear(r);
    return rc;
}

static const char *const create_tables = "CREATE TABLE IF NOT EXISTS khnet_schema_migrations ("
                                         " name text PRIMARY KEY,"
                                         " checksum text NOT NULL,"
                                         " applied_at timestamptz NOT NULL DEFAULT now());"
                                         "CREATE TABLE IF NOT EXISTS khnet_schema_repeatables ("
                                         " name text PRIMARY KEY,"
                                         " checksum text NOT NULL,"
                                         " applied_at timestamptz NOT NULL DEFAULT now())";

/* What the database records about one file of a list. */
typedef enum { REC_NONE, REC_EQUAL, REC_CHANGED } rec_state;

static int find_migration(const db_migration *list, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i].name, name) == 0) return (int)i;
    return -1;
}

/* Fills state[0..count) from the rows of `table` (a tracking table; missing
 * means nothing recorded).  A row naming a file the list does not have is
 * refused: -1 with the message in err. */
static int read_state(PGconn *pg, const char *table, const db_migration *list, size_t count,
                      rec_state *state, char *err, size_t errlen)
{
    const char *const v[] = {table};
    PGresult *r = PQexecParams(pg, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, v, NULL, NULL, 0);
    bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQgetvalue(r, 0, 0)[0] == 't';
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        set_err(err, errlen, "checking the schema: %s", PQresultErrorMessage(r));
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    PQclear(r);
    if (rc != 0 || !exists) return rc;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT name, checksum FROM %s ORDER BY name", table);
    r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        set_err(err, errlen, "reading %s: %s", table, PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
        const char *name = PQgetvalue(r, row, 0);
        char want[CHECKSUM_HEX];
        int i = find_migration(list, count, name);
        if (i < 0) {
            set_err(err, errlen,
                    "the database has migration %s, which this khnetd does not know "
                    "(was it applied by a newer version?); refusing to continue",
                    name);
            rc = -1;
        } else if (checksum(&list[i], want) != 0) {
            set_err(err, errlen, "%s: cannot compute its SHA-256", name);
            rc = -1;
        } else {
            state[i] = strcmp(want, PQgetvalue(r, row, 1)) == 0 ? REC_EQUAL : REC_CHANGED;
        }
    }
    PQclear(r);
    return rc;
}

/* The numbered migrations' state.  0 when every recorded one is unchanged.
 * A pending file older than an applied one is allowed and applied (out of
 * order, said in the log): numbers are assigned ahead to parallel work
 * (0009 may land after 0012), so each numbered file may build only on what
 * its domain's earlier files made, never on a neighbour's higher number. */
static int numbered_state(PGconn *pg, const db_schema *s, rec_state *state, char *err,
                          size_t errlen)
{
    if (read_state(pg, "khnet_schema_migrations", s->numbered, s->numbered_count, state, err,
                   errlen) != 0)
        return -1;
    for (size_t i = 0; i < s->numbered_count; i++) {
        if (state[i] == REC_CHANGED) {
            set_err(err, errlen,
                    "migration %s was changed after it was applied; add a new migration "
                    "instead of editing an applied one (functions, views and triggers live "
                    "in migrations/repeatable/)",
                    s->numbered[i].name);
            return -1;
        }
    }
    return 0;
}

/* One file and its record (`record`: $1 name, $2 checksum), in one
 * transaction. */
static int apply_one(PGconn *pg, const db_migration *m, const char *record, char *err,
                     size_t errlen)
{
    char sum[CHECKSUM_HEX];
    if (checksum(m, sum) != 0) {
        set_err(err, errlen, "%s: cannot compute its SHA-256", m->name);
        return -1;
    }
    if (exec_ok(pg, "BEGIN", m->name, err, errlen) != 0) return -1;
    /* PQexec with the whole text: a file may hold many statements. */
    int rc = exec_ok(pg, m->sql, m->name, err, errlen);
    if (rc == 0) {
        const char *const v[] = {m->name, sum};
        PGresult *r = PQexecParams(pg, record, 2, NULL, v, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            set_err(err, errlen, "%s: recording it: %s", m->name, PQresultErrorMessage(r));
            rc = -1;
        }
        PQclear(r);
    }
    if (rc == 0) return exec_ok(pg, "COMMIT", m->name, err, errlen);
    PQclear(PQexec(pg, "ROLLBACK"));
    return -1;
}

static int apply_pending(PGconn *pg, const db_schema *s, const rec_state *num, const rec_state *rep,
                         FILE *log, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->numbered_count; i++) {
        if (num[i] == REC_EQUAL) continue;
        if (apply_one(pg, &s->numbered[i],
                      "INSERT INTO khnet_schema_migrations (name, checksum) VALUES ($1, $2)", err,
                      errlen) != 0)
            return -1;
        bool late = false; /* a later one was applied before this one */
        for (size_t j = i + 1; j < s->numbered_count; j++)
            late = late || num[j] == REC_EQUAL;
        if (log) fprintf(log, "applied %s%s\n", s->numbered[i].name, late ? " (out of order)" : "");
    }
    for (size_t i = 0; i < s->repeatable_count; i++) {
        if (rep[i] == REC_EQUAL) continue;
        if (apply_one(pg, &s->repeatable[i],
                      "INSERT INTO khnet_schema_repeatables (name, checksum) VALUES ($1, $2) "
                      "ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, "
                      "applied_at = now()",
                      err, errlen) != 0)
            return -1;
        if (log) fprintf(log, "applied repeatable/%s\n", s->repeatable[i].name);
    }
    return 0;
}

static int migrate_locked(PGconn *pg, const db_schema *s, FILE *log, char *err, size_t errlen)
{
    if (exec_ok(pg, create_tables, "creating the migration tables", err, errlen) != 0) return -1;
    rec_state *num = calloc(s->numbered_count + 1, sizeof *num);
    rec_state *rep = calloc(s->repeatable_count + 1, sizeof *rep);
    int rc = -1;
    if (!num || !rep)
        set_err(err, errlen, "out of memory");
    else if (numbered_state(pg, s, num, err, errlen) == 0 &&
             read_state(pg, "khnet_schema_repeatables", s->repeatable, s->repeatable_count, rep,
                        err, errlen) == 0)
        rc = apply_pending(pg, s, num, rep, log, err, errlen);
    free(num);
    free(rep);
    return rc;
}

db_schema db_schema_embedded(void)
{
    return (db_schema){db_migrations, db_migrations_count, db_repeatables, db_repeatables_count};
}

int db_migrate_schema(const char *conninfo, const db_schema *s, FILE *log, char *err, size_t errlen)
{
    PGconn *pg = open_conn(conninfo, err, errlen);
    if (!pg) return -1;
    if (exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "taking the migration lock",
                err, errlen) != 0) {
        PQfinish(pg);
        return -1;
    }
    int rc = migrate_locked(pg, s, log, err, errlen);
    /* Closing the session releases the lock too; unlocking first keeps a
     * pooled (pgbouncer session) connection from holding it. */
    PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    PQfinish(pg);
    return rc;
}

int db_migrate(const char *conninfo, FILE *log, char *err, size_t errlen)
{
    db_schema s = db_schema_embedded();
    return db_migrate_schema(conninfo, &s, log, err, errlen);
}

/* After the states are read: is anything left to apply? */
static int check_complete(const db_schema *s, const rec_state *num, const rec_state *rep, char *err,
                          size_t errlen)
{
    for (size_t i = 0; i < s->numbered_count; i++)
        if (num[i] != REC_EQUAL) {
            set_err(err, errlen, "schema is behind: %s is not applied; run khnetd migrate",
                    s->numbered[i].name);
            return -1;
        }
    for (size_t i = 0; i < s->repeatable_count; i++)
        if (rep[i] != REC_EQUAL) {
            set_err(err, errlen, "schema is behind: repeatable/%s is %s; run khnetd migrate",
                    s->repeatable[i].name, rep[i] == REC_NONE ? "not applied" : "changed");
            return -1;
        }
    return 0;
}

int db_check_schema_of(const char *conninfo, const db_schema *s, char *err, size_t errlen)
{
    PGconn *pg = open_conn(conninfo, err, errlen);
    if (!pg) return -1;
    rec_state *num = calloc(s->numbered_count + 1, sizeof *num);
    rec_state *rep = calloc(s->repeatable_count + 1, sizeof *rep);
    int rc = -1;
    if (!num || !rep)
        set_err(err, errlen, "out of memory");
    else if (numbered_state(pg, s, num, err, errlen) == 0 &&
             read_state(pg, "khnet_schema_repeatables", s->repeatable, s->repeatable_count, rep,
                        err, errlen) == 0)
        rc = check_complete(s, num, rep, err, errlen);
    PQfinish(pg);
    free(num);
    free(rep);
    return rc;
}

int db_check_schema(const char *conninfo, char *err, size_t errlen)
{
    db_schema s = db_schema_embedded();
    return db_check_schema_of(conninfo, &s, err, errlen);
}
