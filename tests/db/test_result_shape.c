/* test_result_shape.c — "one result shape from SQL" (issue 8) held for
 * every statement: each statement of every domain (api_tables) is prepared
 * on a freshly migrated database and described; it must answer the
 * columns (status, field, body) as text (a forum write may put `idem`
 * first), the row the kit's api_reply_row turns into the reply.  The only
 * statements allowed another shape are named below with the reason: none
 * of them is turned into a reply by a handler.  A new statement in an
 * old shape, or an exempt one that became the one shape and is still
 * listed, fails here. */
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

#include "api/api.h"
#include "db/db.h"

/* Statements that are not a reply, so not the one shape. */
static const char *const exempt[] = {
    "session_auth",    /* the caller behind a token (the kit's api_authenticate) */
    "login_lookup",    /* the password hash for scrypt, before any reply */
    "password_lookup", /* the same for a password change */
    "cors_origins",    /* the CORS cache's reload (a timer) */
    "events_after",    /* the stream hub's fan-out rows */
    "events_latest",   /* the hub's starting point */
    "sessions_dead",   /* the hub's session re-check */
    "men_expire",      /* the mentoring expiry sweep (a timer) */
    NULL,
};

enum { TEXT_OID = 25 };

static char dbname[64];
static char conninfo[1024];

static void exec_on(const char *url_or_conninfo, const char *sql)
{
    PGconn *pg = PQconnectdb(url_or_conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(pg);
}

static int setup(void **state)
{
    (void)state;
    const char *url = getenv("KHNET_TEST_DATABASE_URL");
    if (!url) return -1; /* main refuses to start without it */
    snprintf(dbname, sizeof dbname, "khnet_shape_%d", (int)getpid());
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
    exec_on(url, sql);
    /* the test URL or key=value string with this database: a dbname given
     * after the URI's path (or a later key) wins in libpq */
    const char *sep = !strstr(url, "://") ? " " : strchr(url, '?') ? "&" : "?";
    snprintf(conninfo, sizeof conninfo, "%s%sdbname=%s", url, sep, dbname);
    char err[256] = "";
    if (db_migrate(conninfo, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
    exec_on(getenv("KHNET_TEST_DATABASE_URL"), sql);
    return 0;
}

static bool is_exempt(const char *name)
{
    for (const char *const *e = exempt; *e; e++)
        if (!strcmp(*e, name)) return true;
    return false;
}

/* Does the described statement answer (idem?, status, field, body), all text? */
static bool one_shape(const PGresult *d)
{
    static const char *const cols[] = {"status", "field", "body"};
    int n = PQnfields(d), first = n == 4 && !strcmp(PQfname(d, 0), "idem") ? 1 : 0;
    if (n - first != 3) return false;
    for (int i = 0; i < 3; i++)
        if (strcmp(PQfname(d, first + i), cols[i]) != 0 || PQftype(d, first + i) != TEXT_OID)
            return false;
    return true;
}

static void test_every_statement(void **state)
{
    (void)state;
    const api_table *t = api_tables();
    assert_non_null(t);
    PGconn *pg = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    int shaped = 0, others = 0, wrong = 0;
    for (int i = 0; i < t->nstmts; i++) {
        const db_stmt *s = &t->stmts[i];
        PGresult *r = PQprepare(pg, s->name, s->sql, s->nparams, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("%s: %s", s->name, PQresultErrorMessage(r));
        PQclear(r);
        PGresult *d = PQdescribePrepared(pg, s->name);
        assert_int_equal(PQresultStatus(d), PGRES_COMMAND_OK);
        bool ok = one_shape(d);
        PQclear(d);
        if (ok == is_exempt(s->name)) { /* listed all, then failed below */
            printf("%s %s: %s\n", s->name,
                   ok ? "answers the one shape: take it off the exempt list"
                      : "does not answer (status, field, body)",
                   s->sql);
            wrong++;
        }
        ok ? shaped++ : others++;
    }
    assert_int_equal(wrong, 0);
    PQfinish(pg);
    int listed = 0;
    while (exempt[listed])
        listed++;
    assert_int_equal(others, listed); /* every exemption names a real statement */
    assert_true(shaped > 50);         /* the table was really there */
    printf("%d statements in the one shape, %d exempt\n", shaped, others);
}

/* The functions converted last (search, saved searches, the import) answer
 * their errors in the shape too, not inside a document or as NULL. */
static void test_converted_errors(void **state)
{
    (void)state;
    static const struct {
        const char *sql, *want;
    } cases[] = {
        {"SELECT status, field, body FROM khnet_search_experts(NULL, NULL, NULL, '{no_such}', "
         "NULL, NULL, NULL, NULL, NULL, NULL, NULL, 20, NULL, NULL, NULL, NULL)",
         "invalid_value|sectors.0|{\"message\": \"unknown sector\"}"},
        {"SELECT status, field, body FROM khnet_search_experts(NULL, NULL, NULL, "
         "'{aquaculture,no_such}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 20, NULL, NULL)",
         "invalid_value|sectors.1|{\"message\": \"unknown sector\"}"},
        {"SELECT status, field, body FROM khnet_search_fit(NULL, NULL, 'x', '{no_such}', NULL, "
         "NULL, NULL, NULL, NULL, 10)",
         "invalid_value|sectors.0|{\"message\": \"unknown sector\"}"},
        {"SELECT status, field, body FROM khnet_search_similar(NULL, NULL, 999999999, 10)",
         "not_found||{\"message\": \"no such profile\"}"},
        {"SELECT status, field, body FROM khnet_search_suggest('zzzzqqq', 5)",
         "ok||{\"items\": []}"},
        {"SELECT status, field, body FROM khnet_saved_search_new(1, NULL, 999999999, false, "
         "NULL, NULL, NULL)",
         "not_found||{\"message\": \"no such saved search\"}"},
        {"SELECT status, field, body FROM khnet_profiles_import(NULL, '[]', false)",
         "ok||{\"created\": 0, \"updated\": 0, \"rejected\": []}"},
    };
    PGconn *pg = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT concat_ws('|', status, coalesce(field, ''), body) FROM (%s) x",
                 cases[i].sql);
        PGresult *r = PQexec(pg, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
            fail_msg("%s: %s", cases[i].sql, PQresultErrorMessage(r));
        assert_string_equal(PQgetvalue(r, 0, 0), cases[i].want);
        PQclear(r);
    }
    PQfinish(pg);
}

int main(void)
{
    if (!getenv("KHNET_TEST_DATABASE_URL")) {
        fprintf(stderr, "KHNET_TEST_DATABASE_URL not set\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_statement),
        cmocka_unit_test(test_converted_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
