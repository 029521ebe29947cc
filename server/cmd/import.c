/* import.c — `khnetd import profiles FILE`: reads the file whole, runs
 * it through profile_import_parse (the validator PATCH uses) and calls
 * khnet_profiles_import once, like POST /v1/profiles/import but with no
 * statement timeout and no body limit; its one-shape row becomes the same
 * report (profile_import_report_row). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmd.h"
#include "khproto.h"
#include "profile/profile.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    kp_buf b;
    kp_buf_init(&b);
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        kp_buf_append(&b, chunk, n);
    bool bad = ferror(f) || b.oom;
    (void)fclose(f);
    kp_buf_append(&b, "", 1);
    if (bad || b.oom) {
        kp_buf_free(&b);
        return NULL;
    }
    *len = b.len - 1;
    return (char *)b.data;
}

static int pick_format(const config *cfg, profile_format *out)
{
    const char *f = cfg->import_format && *cfg->import_format ? cfg->import_format : NULL;
    if (!f) {
        size_t n = strlen(cfg->import_file);
        f = n >= 4 && !strcasecmp(cfg->import_file + n - 4, ".csv") ? "csv" : "jsonl";
    }
    if (!strcmp(f, "csv"))
        *out = PROFILE_CSV;
    else if (!strcmp(f, "jsonl"))
        *out = PROFILE_JSONL;
    else {
        fprintf(stderr, "khnetd: --format must be jsonl or csv\n");
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The function's row (status, field, body) decoded into *body (in a): the
 * ok body, or NULL after saying why on stderr. */
static const kp_value *row_body(PGconn *db, const PGresult *res, kp_arena *a)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, "khnetd: import failed: %s", PQerrorMessage(db));
        return NULL;
    }
    const char *status = PQgetvalue(res, 0, 0), *text = PQgetvalue(res, 0, 2);
    kp_value *body = NULL;
    kp_err e = {0};
    if (!a || kp_json_decode(a, text, strlen(text), NULL, &body, &e) != 0) {
        fprintf(stderr, "khnetd: import failed: %s\n", a ? e.message : "out of memory");
        return NULL;
    }
    if (strcmp(status, "ok") != 0) {
        const kp_value *m = body->type == KP_MAP ? kp_map_get(body, "message") : NULL;
        fprintf(stderr, "khnetd: import failed: %s: %.*s\n", status,
                m && m->type == KP_STR ? (int)m->v.s.len : 0, m ? m->v.s.ptr : "");
        return NULL;
    }
    return body;
}

/* Runs the SQL function; prints the report.  Exit status. */
static int run(PGconn *db, profile_import *imp, double t0)
{
    kp_buf_append(&imp->rows, "", 1); /* libpq reads the rows as a C string */
    if (imp->rows.oom) {
        fprintf(stderr, "khnetd: out of memory\n");
        return 1;
    }
    PGresult *res = PQexec(db, "SET statement_timeout = 0");
    PQclear(res);
    const char *params[3] = {NULL, (const char *)imp->rows.data, imp->nrejected ? "f" : "t"};
    res = PQexecParams(db,
                       "SELECT status, field, body::text AS body FROM "
                       "khnet_profiles_import($1::bigint, $2::jsonb, $3::boolean)",
                       3, NULL, params, NULL, NULL, 0);
    kp_arena *a = kp_arena_new(1 << 16);
    const kp_value *body = row_body(db, res, a);
    kp_err e = {0};
    kp_buf mp, js;
    kp_buf_init(&mp);
    kp_buf_init(&js);
    int rc = 1, nsql = body ? profile_import_report_row(&mp, imp, body) : -1;
    if (body && nsql < 0) fprintf(stderr, "khnetd: import failed: not the report's shape\n");
    if (nsql >= 0 && kp_msgpack_to_json(a, mp.data, mp.len, &js, &e) == 0) {
        (void)fwrite(js.data, 1, js.len, stdout);
        fputc('\n', stdout);
        bool ok = imp->nrejected == 0 && nsql == 0;
        fprintf(stderr, "khnetd: %s: %d rows accepted, %zu refused, %s (%.2f s)\n",
                ok ? "imported" : "nothing imported", imp->accepted - nsql,
                imp->nrejected + (size_t)nsql, ok ? "written" : "nothing written", now_s() - t0);
        rc = ok ? 0 : 1;
    }
    if (rc && e.code) fprintf(stderr, "khnetd: %s\n", e.message);
    kp_buf_free(&mp);
    kp_buf_free(&js);
    kp_arena_free(a);
    PQclear(res);
    return rc;
}

int cmd_import_profiles(const config *cfg)
{
    double t0 = now_s();
    profile_format fmt;
    if (pick_format(cfg, &fmt)) return 1;
    size_t len = 0;
    char *data = slurp(cfg->import_file, &len);
    if (!data) {
        fprintf(stderr, "khnetd: cannot read %s\n", cfg->import_file);
        return 1;
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    profile_import imp;
    kp_err e = {0};
    int rc = 1;
    if (profile_import_parse(data, len, fmt, tm.tm_year + 1900, &imp, &e) != 0) {
        fprintf(stderr, "khnetd: %s%s%s\n", e.message, e.field[0] ? ": " : "", e.field);
    } else {
        PGconn *db = PQconnectdb(cfg->database_url);
        if (PQstatus(db) != CONNECTION_OK)
            fprintf(stderr, "khnetd: %s", PQerrorMessage(db));
        else
            rc = run(db, &imp, t0);
        PQfinish(db);
    }
    profile_import_free(&imp);
    free(data);
    return rc;
}
