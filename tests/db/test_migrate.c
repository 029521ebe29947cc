/* test_migrate.c — schema migrations (server/db/migrate.c) against a real
 * PostgreSQL.  Each test gets a fresh database, created from
 * KHNET_TEST_DATABASE_URL and dropped afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/db.h"

typedef struct fixture {
    char name[64];       /* the scratch database */
    char conninfo[1024]; /* key=value conninfo pointing at it */
} fixture;

static PGconn *connect_to(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) fail_msg("cannot connect: %s", PQerrorMessage(pg));
    return pg;
}

static void exec_or_fail(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* Rebuilds the test URL as key=value pairs with dbname replaced. */
static void conninfo_for(const char *url, const char *dbname, char *out, size_t cap)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
    if (!opts) {
        fail_msg("bad KHNET_TEST_DATABASE_URL: %s", errmsg ? errmsg : "?");
        return;
    }
    size_t n = 0;
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        const char *v = strcmp(o->keyword, "dbname") == 0 ? dbname : o->val;
        if (!v) continue;
        n += (size_t)snprintf(out + n, cap - n, "%s='", o->keyword);
        for (const char *c = v; *c && n + 3 < cap; c++) {
            if (*c == '\'' || *c == '\\') out[n++] = '\\';
            out[n++] = *c;
        }
        n += (size_t)snprintf(out + n, cap - n, "' ");
        assert_true(n < cap);
    }
    PQconninfoFree(opts);
}

static int setup(void **state)
{
    static int serial;
    const char *url = getenv("KHNET_TEST_DATABASE_URL");
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->name, sizeof f->name, "khnet_migtest_%d_%d", (int)getpid(), serial++);
    char sql[128];
    PGconn *pg = connect_to(url);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->name);
    exec_or_fail(pg, sql);
    PQfinish(pg);
    conninfo_for(url, f->name, f->conninfo, sizeof f->conninfo);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char sql[128];
    PGconn *pg = connect_to(getenv("KHNET_TEST_DATABASE_URL"));
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->name);
    exec_or_fail(pg, sql);
    PQfinish(pg);
    free(f);
    return 0;
}

/* Runs db_migrate with its log captured into `log` (caller frees). */
static int migrate(const fixture *f, char **log, char *err, size_t errlen)
{
    size_t len = 0;
    FILE *m = open_memstream(log, &len);
    assert_non_null(m);
    int rc = db_migrate(f->conninfo, m, err, errlen);
    assert_int_equal(fclose(m), 0);
    return rc;
}

static char *query_one(const fixture *f, const char *sql)
{
    PGconn *pg = connect_to(f->conninfo);
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    char *v = strdup(PQgetisnull(r, 0, 0) ? "(null)" : PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(pg);
    return v;
}

static void exec_in(const fixture *f, const char *sql)
{
    PGconn *pg = connect_to(f->conninfo);
    exec_or_fail(pg, sql);
    PQfinish(pg);
}

static const char *latest(void)
{
    return db_migrations[db_migrations_count - 1].name;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_embedded_table(void **state)
{
    assert_true(db_migrations_count >= 1);
    assert_string_equal(db_migrations[0].name, "0001_init.sql");
    for (size_t i = 1; i < db_migrations_count; i++)
        assert_true(strcmp(db_migrations[i - 1].name, db_migrations[i].name) < 0);
    assert_null(db_migrations[db_migrations_count].name); /* sentinel */
}

/* A fresh database gets everything, and the schema then checks out. */
static void test_fresh_applies_all(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), -1);
    assert_non_null(strstr(err, "schema is behind"));
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    assert_non_null(strstr(log, "applied 0001_init.sql\n"));
    free(log);
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), 0);

    char *n = query_one(f, "SELECT count(*) FROM khnet_schema_migrations");
    assert_int_equal(strtol(n, NULL, 10), (long)db_migrations_count);
    free(n);
    char *v = query_one(f, "SELECT body->>'schema' FROM khnet_info()");
    assert_string_equal(v, latest());
    free(v);
    v = query_one(f, "SELECT khnet_unaccent('Nguyễn nuôi trồng thủy sản')");
    assert_string_equal(v, "Nguyen nuoi trong thuy san");
    free(v);
    v = query_one(f, "SELECT provolatile FROM pg_proc WHERE proname = 'khnet_unaccent'");
    assert_string_equal(v, "i");
    free(v);
    exec_in(f, "INSERT INTO khnet_idempotency (key, scope) VALUES ('k1', 'acct:1')");
}

/* Running again applies nothing and logs nothing. */
static void test_second_run_noop(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    char *before = query_one(f, "SELECT string_agg(applied_at::text, ',') FROM "
                                "khnet_schema_migrations");
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    assert_string_equal(log, "");
    free(log);
    char *after = query_one(f, "SELECT string_agg(applied_at::text, ',') FROM "
                               "khnet_schema_migrations");
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(db_migrate(f->conninfo, NULL, err, sizeof err), 0); /* NULL log is fine */
}

/* An applied file whose bytes changed since: refused, by name. */
static void test_edited_refused(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    exec_in(f, "UPDATE khnet_schema_migrations SET checksum = repeat('0', 64) "
               "WHERE name = '0001_init.sql'");
    assert_int_equal(migrate(f, &log, err, sizeof err), -1);
    assert_string_equal(log, "");
    free(log);
    assert_non_null(strstr(err, "0001_init.sql"));
    assert_non_null(strstr(err, "changed"));
    err[0] = '\0';
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), -1);
    assert_non_null(strstr(err, "0001_init.sql"));
}

/* The database knows a migration this binary does not: refused, and nothing
 * pending is applied. */
static void test_unknown_refused(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    exec_in(f, "CREATE TABLE khnet_schema_migrations (name text PRIMARY KEY, checksum text "
               "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
               "INSERT INTO khnet_schema_migrations (name, checksum) "
               "VALUES ('9999_from_the_future.sql', 'abc')");
    assert_int_equal(migrate(f, &log, err, sizeof err), -1);
    assert_string_equal(log, "");
    free(log);
    assert_non_null(strstr(err, "9999_from_the_future.sql"));
    char *v = query_one(f, "SELECT to_regproc('khnet_info')::text");
    assert_string_equal(v, "(null)"); /* 0001 was not applied */
    free(v);
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), -1);
    assert_non_null(strstr(err, "9999_from_the_future.sql"));
}

/* Pending migrations: the check says so and names the command to run. */
static void test_check_behind(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    char sql[256];
    snprintf(sql, sizeof sql, "DELETE FROM khnet_schema_migrations WHERE name = '%s'", latest());
    exec_in(f, sql);
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), -1);
    assert_non_null(strstr(err, "schema is behind"));
    assert_non_null(strstr(err, "khnetd migrate"));
    assert_non_null(strstr(err, latest()));
}

/* Unreachable database: a clear error, no crash. */
static void test_bad_conninfo(void **state)
{
    char err[512] = "";
    assert_int_equal(
        db_migrate("postgresql://khnet@127.0.0.1:1/x?connect_timeout=2", NULL, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "cannot connect"));
    err[0] = '\0';
    assert_int_equal(db_check_schema("postgresql://khnet@127.0.0.1:1/x", err, sizeof err), -1);
    assert_true(err[0] != '\0');
}

/* ---- repeatable files ------------------------------------------------------ */

/* A copy of this binary's migrations with some files' text edited, as a
 * test's own db_schema. */
typedef struct edited {
    db_migration num[64];
    db_migration rep[64];
    char *text[4]; /* the edited files' texts */
    int ntext;
    db_schema s;
} edited;

static void edited_init(edited *e)
{
    assert_true(db_migrations_count < 64 && db_repeatables_count < 64);
    memcpy(e->num, db_migrations, (db_migrations_count + 1) * sizeof *e->num);
    memcpy(e->rep, db_repeatables, (db_repeatables_count + 1) * sizeof *e->rep);
    e->ntext = 0;
    e->s = (db_schema){e->num, db_migrations_count, e->rep, db_repeatables_count};
}

/* Replaces the one occurrence of `from` in file `name` of `list` by `to`. */
static void edited_replace(edited *e, db_migration *list, size_t count, const char *name,
                           const char *from, const char *to)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(list[i].name, name) != 0) continue;
        const char *at = strstr(list[i].sql, from);
        assert_non_null(at);
        assert_null(strstr(at + 1, from)); /* the edit is unambiguous */
        size_t head = (size_t)(at - list[i].sql), flen = strlen(from), tlen = strlen(to);
        size_t len = list[i].len - flen + tlen;
        assert_true(e->ntext < 4);
        char *text = malloc(len + 1);
        assert_non_null(text);
        memcpy(text, list[i].sql, head);
        memcpy(text + head, to, tlen);
        memcpy(text + head + tlen, at + flen, list[i].len - head - flen + 1);
        e->text[e->ntext++] = text;
        list[i].sql = text;
        list[i].len = len;
        return;
    }
    fail_msg("no migration %s", name);
}

static void edited_free(edited *e)
{
    for (int i = 0; i < e->ntext; i++)
        free(e->text[i]);
}

/* The edit test (b) makes: khnet_event_latest in 50_events.sql. */
#define LATEST_BODY "WHERE account_id = viewer), 0)\n"
#define LATEST_EDITED "WHERE account_id = viewer), 0) + 0\n"

static void edit_event_latest(edited *e)
{
    edited_init(e);
    edited_replace(e, e->rep, db_repeatables_count, "50_events.sql", LATEST_BODY, LATEST_EDITED);
}

/* Every function (oid, signature, digest of its definition), view and
 * trigger of the schema, one per line; `except` (a function name, or "")
 * left out. */
static char *definitions(const fixture *f, const char *except)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT string_agg(p.oid || ' ' || p.oid::regprocedure || ' ' || "
             "md5(pg_get_functiondef(p.oid)), E'\\n' ORDER BY p.oid::regprocedure::text) "
             "FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f' "
             "AND p.proname <> '%s') || E'\\n' || "
             "(SELECT string_agg(c.oid || ' ' || c.relname || ' ' || md5(pg_get_viewdef(c.oid)), "
             "E'\\n' ORDER BY c.relname) FROM pg_class c WHERE c.relkind = 'v' "
             "AND c.relnamespace = 'public'::regnamespace) || E'\\n' || "
             "(SELECT string_agg(t.tgname || ' ' || md5(pg_get_triggerdef(t.oid)), E'\\n' "
             "ORDER BY t.tgname) FROM pg_trigger t WHERE NOT t.tgisinternal)",
             except);
    return query_one(f, sql);
}

static char *repeatables_applied_at(const fixture *f)
{
    return query_one(f, "SELECT string_agg(name || ' ' || checksum || ' ' || applied_at, E'\\n' "
                        "ORDER BY name) FROM khnet_schema_repeatables");
}

/* Name and definition digest of every function, view and trigger, without
 * oids: what two databases built by different paths must agree on. */
static char *shapes(const fixture *f)
{
    return query_one(
        f,
        "SELECT (SELECT string_agg(p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)), "
        "E'\\n' ORDER BY p.oid::regprocedure::text) FROM pg_proc p "
        "WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f') || E'\\n' || "
        "(SELECT string_agg(c.relname || ' ' || md5(pg_get_viewdef(c.oid)), E'\\n' "
        "ORDER BY c.relname) FROM pg_class c WHERE c.relkind = 'v' "
        "AND c.relnamespace = 'public'::regnamespace) || E'\\n' || "
        "(SELECT string_agg(t.tgname || ' ' || md5(pg_get_triggerdef(t.oid)), E'\\n' "
        "ORDER BY t.tgname) FROM pg_trigger t WHERE NOT t.tgisinternal)");
}

/* "oid signature" of every function, one a line. */
/* "oid identity" per function, the identity being its signature with its
 * parameter names and result (OUT parameters, TABLE columns): what
 * CREATE OR REPLACE cannot change. */
static char *function_oids(const fixture *f)
{
    return query_one(f, "SELECT string_agg(p.oid || ' ' || p.oid::regprocedure || ' (' || "
                        "pg_get_function_arguments(p.oid) || ') ' || "
                        "pg_get_function_result(p.oid), E'\\n' "
                        "ORDER BY p.oid) || E'\\n' FROM pg_proc p "
                        "WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'");
}

/* (a) A database as the binary before repeatable files left it (numbered
 * migrations and their records only) upgrades cleanly: every repeatable
 * file is applied once, no numbered one again; every function keeps its oid
 * (the files replace, never drop and re-create, what was in effect) unless
 * a file changed its parameters or result on purpose; and
 * the result is exactly a fresh database's functions, views and triggers.
 * (At the change to repeatable files they held the definitions already in
 * effect; since then they also hold what later work added or changed, so
 * the fresh database is the reference, not the state before.) */
static void test_upgrade_from_numbered_only(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    void *fresh_state = NULL;
    assert_int_equal(setup(&fresh_state), 0);
    assert_int_equal(migrate(fresh_state, &log, err, sizeof err), 0);
    free(log);
    char *want = shapes(fresh_state);
    teardown(&fresh_state);

    db_schema old = {db_migrations, db_migrations_count, NULL, 0};
    size_t len = 0;
    FILE *m = open_memstream(&log, &len);
    assert_int_equal(db_migrate_schema(f->conninfo, &old, m, err, sizeof err), 0);
    assert_int_equal(fclose(m), 0);
    assert_null(strstr(log, "repeatable"));
    free(log);
    exec_in(f, "DROP TABLE khnet_schema_repeatables"); /* the old binary made none */
    char *oids = function_oids(f);

    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), -1);
    assert_non_null(strstr(err, "repeatable/10_core.sql is not applied"));
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    for (size_t i = 0; i < db_repeatables_count; i++) {
        char line[128];
        snprintf(line, sizeof line, "applied repeatable/%s\n", db_repeatables[i].name);
        assert_non_null(strstr(log, line));
    }
    assert_null(strstr(log, "applied 0"));
    free(log);
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), 0);
    char *after = shapes(f);
    assert_string_equal(want, after);
    char *oids_after = function_oids(f);
    for (char *line = oids, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        char probe[2048], sig[2048];
        snprintf(probe, sizeof probe, "%s\n", line);
        snprintf(sig, sizeof sig, "%s\n", strchr(line, ' ')); /* " identity\n" */
        /* an identity that a file dropped on purpose (DROP ... IF EXISTS, or
         * khnet_drop_old_shape for a result that became the one shape, then
         * the new one) is gone; every other function is replaced */
        if (strstr(oids_after, sig) && !strstr(oids_after, probe))
            fail_msg("function re-created, not replaced: %s", line);
    }
    free(want);
    free(after);
    free(oids);
    free(oids_after);
    char *n = query_one(f, "SELECT count(*) FROM khnet_schema_repeatables");
    assert_int_equal(strtol(n, NULL, 10), (long)db_repeatables_count);
    free(n);
}

/* (b) Editing one function in its file and migrating again re-applies that
 * file only and changes that function only: every other function keeps its
 * oid and definition, views and triggers are untouched, and the other
 * files' records keep their time. */
static void test_edited_repeatable_reapplied(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    char *others = definitions(f, "khnet_event_latest");
    char *oid = query_one(f, "SELECT 'khnet_event_latest'::regproc::oid");
    char *records = query_one(f, "SELECT string_agg(name || applied_at, ',' ORDER BY name) FROM "
                                 "khnet_schema_repeatables WHERE name <> '50_events.sql'");

    edited e;
    edit_event_latest(&e);
    size_t len = 0;
    FILE *m = open_memstream(&log, &len);
    assert_int_equal(db_migrate_schema(f->conninfo, &e.s, m, err, sizeof err), 0);
    assert_int_equal(fclose(m), 0);
    assert_string_equal(log, "applied repeatable/50_events.sql\n");
    free(log);

    char *v = query_one(f, "SELECT prosrc FROM pg_proc WHERE proname = 'khnet_event_latest'");
    assert_non_null(strstr(v, LATEST_EDITED));
    free(v);
    v = query_one(f, "SELECT 'khnet_event_latest'::regproc::oid");
    assert_string_equal(v, oid); /* replaced in place */
    free(v);
    v = definitions(f, "khnet_event_latest");
    assert_string_equal(v, others);
    free(v);
    v = query_one(f, "SELECT string_agg(name || applied_at, ',' ORDER BY name) FROM "
                     "khnet_schema_repeatables WHERE name <> '50_events.sql'");
    assert_string_equal(v, records);
    free(v);
    assert_int_equal(db_check_schema_of(f->conninfo, &e.s, err, sizeof err), 0);
    /* This binary's file now differs from the applied one. */
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), -1);
    assert_non_null(strstr(err, "repeatable/50_events.sql is changed"));
    free(others);
    free(oid);
    free(records);
    edited_free(&e);
}

/* (c) A numbered migration whose text was edited is refused, by name, and
 * nothing is applied: not even a changed repeatable file. */
static void test_edited_numbered_file_refused(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    edited e;
    edit_event_latest(&e);
    edited_replace(&e, e.num, db_migrations_count, "0005_events.sql", "CREATE INDEX",
                   "create index");
    size_t len = 0;
    FILE *m = open_memstream(&log, &len);
    assert_int_equal(db_migrate_schema(f->conninfo, &e.s, m, err, sizeof err), -1);
    assert_int_equal(fclose(m), 0);
    assert_string_equal(log, "");
    free(log);
    assert_non_null(strstr(err, "0005_events.sql"));
    assert_non_null(strstr(err, "changed"));
    char *v = query_one(f, "SELECT prosrc FROM pg_proc WHERE proname = 'khnet_event_latest'");
    assert_null(strstr(v, LATEST_EDITED));
    free(v);
    err[0] = '\0';
    assert_int_equal(db_check_schema_of(f->conninfo, &e.s, err, sizeof err), -1);
    assert_non_null(strstr(err, "0005_events.sql"));
    edited_free(&e);
}

/* A repeatable file recorded in the database that this binary does not have
 * (a newer version's) is refused like an unknown numbered one. */
static void test_unknown_repeatable_refused(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    exec_in(f, "INSERT INTO khnet_schema_repeatables (name, checksum) "
               "VALUES ('99_from_the_future.sql', 'abc')");
    assert_int_equal(migrate(f, &log, err, sizeof err), -1);
    assert_string_equal(log, "");
    free(log);
    assert_non_null(strstr(err, "99_from_the_future.sql"));
    err[0] = '\0';
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), -1);
    assert_non_null(strstr(err, "99_from_the_future.sql"));
}

/* (d) Unchanged repeatable files are not applied again: the second run logs
 * nothing, keeps every record's time and every function's definition. */
static void test_repeatables_unchanged_noop(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    char *records = repeatables_applied_at(f);
    char *defs = definitions(f, "");
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    assert_string_equal(log, "");
    free(log);
    char *v = repeatables_applied_at(f);
    assert_string_equal(v, records);
    free(v);
    v = definitions(f, "");
    assert_string_equal(v, defs);
    free(v);
    free(records);
    free(defs);
}

/* Two migrators at once (instances starting together): the advisory lock
 * serialises them, so each file is applied exactly once. */
typedef struct racer {
    const fixture *f;   /* database */
    const db_schema *s; /* migrations to apply; NULL: this binary's */
    int rc;             /* db_migrate's result */
    char *log;          /* its log */
    char err[512];      /* its error */
} racer;

static void race(void *arg)
{
    racer *r = arg;
    size_t len = 0;
    FILE *m = open_memstream(&r->log, &len);
    r->rc = r->s ? db_migrate_schema(r->f->conninfo, r->s, m, r->err, sizeof r->err)
                 : db_migrate(r->f->conninfo, m, r->err, sizeof r->err);
    if (m && fclose(m) != 0) r->rc = -2;
}

static void test_concurrent_migrators(void **state)
{
    racer r[2] = {{.f = *state}, {.f = *state}};
    uv_thread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(uv_thread_create(&t[i], race, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        uv_thread_join(&t[i]);
    assert_int_equal(r[0].rc, 0);
    assert_int_equal(r[1].rc, 0);
    int applied =
        (strstr(r[0].log, "applied 0001") != NULL) + (strstr(r[1].log, "applied 0001") != NULL);
    assert_int_equal(applied, 1);
    free(r[0].log);
    free(r[1].log);
}

/* (e) Two migrators at once over a changed repeatable file: it is applied
 * once, by one of them. */
static void test_concurrent_repeatable(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    edited e;
    edit_event_latest(&e);
    racer r[2] = {{.f = f, .s = &e.s}, {.f = f, .s = &e.s}};
    uv_thread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(uv_thread_create(&t[i], race, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        uv_thread_join(&t[i]);
    assert_int_equal(r[0].rc, 0);
    assert_int_equal(r[1].rc, 0);
    const char *once = "applied repeatable/50_events.sql\n";
    assert_true((strcmp(r[0].log, once) == 0 && strcmp(r[1].log, "") == 0) ||
                (strcmp(r[1].log, once) == 0 && strcmp(r[0].log, "") == 0));
    free(r[0].log);
    free(r[1].log);
    edited_free(&e);
}

/* Numbers are assigned ahead to parallel work, so a numbered file can land
 * after a higher-numbered one was applied: it is applied then (the log says
 * out of order), not refused.  Held back: 0011_forum.sql, and with it the
 * later files of its own domain, which build on it (migrations/README); a
 * later file of another domain is applied before it. */
static void test_out_of_order_applied(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    edited e;
    edited_init(&e);
    size_t n = 0, held = 0;
    bool later_other = false;
    for (size_t i = 0; i < db_migrations_count; i++) {
        const char *name = db_migrations[i].name; /* NNNN_domain[_what].sql */
        bool forum = strncmp(name + 4, "_forum", 6) == 0 && (name[10] == '.' || name[10] == '_');
        if (held && !forum) later_other = true;
        if (strcmp(name, "0011_forum.sql") == 0 || (held && forum)) {
            held++;
            continue;
        }
        e.num[n++] = db_migrations[i];
    }
    e.num[n] = db_migrations[db_migrations_count]; /* the list's terminator */
    assert_true(held >= 1 && later_other);
    e.s.numbered_count = n;
    e.s.repeatable_count = 0; /* the functions need every table */
    assert_int_equal(db_migrate_schema(f->conninfo, &e.s, NULL, err, sizeof err), 0);
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    assert_non_null(strstr(log, "applied 0011_forum.sql (out of order)\n"));
    assert_null(strstr(log, "applied 0001"));
    free(log);
    assert_int_equal(db_check_schema(f->conninfo, err, sizeof err), 0);
}

/* Search documents written in an older format (0024: format 1 joined a
 * profile's pieces of text with no gap) are built again, once, when
 * 40_search.sql is applied: a database holding a format-1 document (made
 * here by writing one back and forgetting the file's record) gets every
 * document equal to its definition and format 2; applying again leaves
 * them. */
static void test_search_docs_reformatted(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    exec_in(f, "INSERT INTO khnet_accounts (email, password_hash, role) "
               "VALUES ('fmt@example.org', 'x', 'member')");
    exec_in(f,
            "INSERT INTO khnet_profiles (account_id, external_id, full_name, country, expertise, "
            "languages) SELECT id, 'fmt-1', 'Lê Văn Máy', 'VN', "
            "ARRAY['machine learning', 'shrimp farming'], ARRAY['vi'] FROM khnet_accounts");
    const char *across = "SELECT count(*) FROM khnet_search_docs "
                         "WHERE doc0 @@ phraseto_tsquery('simple', 'learning shrimp')";
    char *v = query_one(f, across);
    assert_string_equal(v, "0");
    free(v);
    exec_in(f, "UPDATE khnet_search_docs SET doc0 = to_tsvector('simple', "
               "'machine learning . shrimp farming'), expertise_tsv = to_tsvector('simple', "
               "'machine learning . shrimp farming')");
    exec_in(f, "UPDATE khnet_search_doc_format SET version = 1");
    exec_in(f, "DELETE FROM khnet_schema_repeatables WHERE name = '40_search.sql'");
    v = query_one(f, across);
    assert_string_equal(v, "1");
    free(v);

    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    assert_non_null(strstr(log, "applied repeatable/40_search.sql"));
    free(log);
    v = query_one(f, across);
    assert_string_equal(v, "0");
    free(v);
    const char *stale = "SELECT count(*) FROM khnet_search_docs d JOIN khnet_search_doc_source s "
                        "USING (profile_id) WHERE (d.doc0, d.doc1, d.doc2, d.expertise_tsv) "
                        "IS DISTINCT FROM (s.doc0, s.doc1, s.doc2, s.expertise_tsv)";
    v = query_one(f, stale);
    assert_string_equal(v, "0");
    free(v);
    v = query_one(f, "SELECT version FROM khnet_search_doc_format");
    assert_string_equal(v, "2");
    free(v);
    /* once: a format-2 database keeps what it holds */
    exec_in(f, "UPDATE khnet_search_docs SET doc2 = to_tsvector('simple', 'kept')");
    exec_in(f, "DELETE FROM khnet_schema_repeatables WHERE name = '40_search.sql'");
    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    free(log);
    v = query_one(f, "SELECT doc2::text FROM khnet_search_docs");
    assert_string_equal(v, "'kept':1");
    free(v);
}

/* 0026 adds khnet_search_docs.pairs (each document's words and adjacent
 * word pairs, hashed) to a database that already holds documents: the
 * column is filled for them, equal to its definition, and holds a phrase's
 * pair but not two words of separate pieces ("learning shrimp": two
 * keywords), so narrowing a search by it keeps quoted phrases strict; a
 * search through it finds the profile.  Shapes without keys get none. */
static void test_search_pairs_added(void **state)
{
    const fixture *f = *state;
    char err[512] = "", *log = NULL;
    edited e;
    edited_init(&e);
    size_t n = 0;
    for (size_t i = 0; i <= db_migrations_count; i++) /* with the terminator */
        if (i == db_migrations_count || strcmp(db_migrations[i].name, "0026_search_pairs.sql") != 0)
            e.num[n++] = db_migrations[i];
    assert_int_equal(n, db_migrations_count);
    e.s.numbered_count = n - 1;
    assert_int_equal(db_migrate_schema(f->conninfo, &e.s, NULL, err, sizeof err), 0);
    exec_in(f, "INSERT INTO khnet_accounts (email, password_hash, role) "
               "VALUES ('pairs@example.org', 'x', 'member')");
    exec_in(f,
            "INSERT INTO khnet_profiles (account_id, external_id, full_name, country, expertise, "
            "languages) SELECT id, 'pairs-1', 'Lê Văn Cặp', 'VN', "
            "ARRAY['machine learning', 'shrimp farming'], ARRAY['vi'] FROM khnet_accounts");

    assert_int_equal(migrate(f, &log, err, sizeof err), 0);
    assert_non_null(strstr(log, "applied 0026_search_pairs.sql"));
    free(log);
    const char *checks[][2] = {
        {"SELECT count(*) FROM khnet_search_docs WHERE cardinality(pairs) > 0 AND "
         "pairs = khnet_search_pairs(doc0, doc1, doc2)",
         "1"},
        {"SELECT pairs && khnet_search_pair_keys(phraseto_tsquery('simple', 'machine learning') "
         "|| phraseto_tsquery('simple', 'deep learning')) FROM khnet_search_docs",
         "t"},
        {"SELECT pairs && khnet_search_pair_keys(phraseto_tsquery('simple', 'learning shrimp')) "
         "FROM khnet_search_docs",
         "f"},
        {"SELECT cardinality(khnet_search_pair_keys('machine <-> learning | ml'::tsquery))", "2"},
        {"SELECT khnet_search_pair_keys('machin:*'::tsquery) IS NULL AND "
         "khnet_search_pair_keys('machine:A'::tsquery) IS NULL AND "
         "khnet_search_pair_keys('machine & learning'::tsquery) IS NULL",
         "t"},
        {"SELECT body->'hits'->0->>'id' = (SELECT id::text FROM khnet_accounts) FROM "
         "khnet_search_experts(NULL, NULL, 'machine learning shrimp farming', NULL, NULL, NULL, "
         "NULL, NULL, NULL, NULL, NULL, 20, NULL, NULL, NULL, NULL)",
         "t"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char *v = query_one(f, checks[i][0]);
        assert_string_equal(v, checks[i][1]);
        free(v);
    }
    edited_free(&e);
}

int main(void)
{
    const char *url = getenv("KHNET_TEST_DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "test_migrate: KHNET_TEST_DATABASE_URL is not set; these tests need "
                        "PostgreSQL (e.g. postgresql://khnet@127.0.0.1:54329/postgres)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_table),
        cmocka_unit_test_setup_teardown(test_fresh_applies_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_run_noop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_behind, setup, teardown),
        cmocka_unit_test(test_bad_conninfo),
        cmocka_unit_test_setup_teardown(test_concurrent_migrators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_numbered_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_repeatable_reapplied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_numbered_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_repeatable_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeatables_unchanged_noop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_repeatable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_applied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_docs_reformatted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_pairs_added, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
