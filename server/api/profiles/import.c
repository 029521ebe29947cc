/* import.c — POST /v1/profiles/import (liaison officers and admins): a JSONL
 * or CSV file in the body, read and validated row by row on the threadpool
 * (server/profile/import.c, the PATCH validator), then one call of
 * khnet_profiles_import (migrations/repeatable/80_data_rights.sql), which
 * checks what only the database knows, writes everything or nothing and
 * answers in the one shape.  `khnetd import profiles` (server/cmd/import.c)
 * does the same from the command line. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "profile/profile.h"
#include "profiles.h"

typedef struct importing {
    const char *data;   /* the file, in the request's body */
    size_t len;         /* its bytes */
    profile_format fmt; /* how to read it */
    int year_now;       /* degrees' upper bound */
    char actor[24];     /* the caller's id as text */
    profile_import imp; /* the parse; its parts move to the arena (to_arena) */
    kp_err err;         /* set when the file as a whole is refused */
    int rc;             /* profile_import_parse's result */
} importing;

static void import_parse(void *data)
{
    importing *x = data;
    x->rc = profile_import_parse(x->data, x->len, x->fmt, x->year_now, &x->imp, &x->err);
}

/* The function's row: an error row replies itself; the ok body merges
 * with the server's own refusals into the report. */
static void import_done(http_req *r, const PGresult *res, void *data)
{
    importing *x = data;
    bool created = false;
    const kp_value *body = api_row_body(r, res, &created);
    if (!body) return;
    if (profile_import_report_row(http_req_out(r), &x->imp, body) < 0) {
        api_fail(r, "internal", "internal error", NULL);
        return;
    }
    http_reply(r, 200);
}

/* Moves the parse's heap parts into the request's arena (so a failed query,
 * which never calls import_done, leaks nothing); the rows come back as
 * NUL-terminated text for the query, or NULL when out of memory. */
static char *to_arena(http_req *r, importing *x)
{
    kp_arena *a = http_req_arena(r);
    char *rows = kp_arena_strndup(a, (const char *)x->imp.rows.data, x->imp.rows.len);
    profile_reject *rej =
        x->imp.nrejected ? kp_arena_alloc(a, x->imp.nrejected * sizeof *rej) : NULL;
    if (rej) memcpy(rej, x->imp.rejects, x->imp.nrejected * sizeof *rej);
    bool ok = rows && (rej || !x->imp.nrejected);
    size_t n = x->imp.nrejected;
    int accepted = x->imp.accepted;
    profile_import_free(&x->imp);
    x->imp.rejects = rej;
    x->imp.nrejected = x->imp.cap = n;
    x->imp.accepted = accepted;
    return ok ? rows : NULL;
}

static void import_parsed(http_req *r, void *data)
{
    importing *x = data;
    if (x->rc != 0) {
        profile_import_free(&x->imp);
        api_fail_kperr(r, &x->err); /* "internal" (out of memory) is 500 */
        return;
    }
    const char *rows = to_arena(r, x);
    if (!rows) {
        api_oom(r);
        return;
    }
    const char *params[3] = {x->actor, rows, x->imp.nrejected ? "f" : "t"};
    api_query_with(r, PROF_STMT(IMPORT), 3, params, import_done, x);
}

static void import_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"format", "data", NULL};
    if (!api_allow(r, who, API_ROLE_BIT(ROLE_LIAISON) | API_ROLE_BIT(ROLE_ADMIN),
                   "only liaison officers and admins import"))
        return;
    const kp_value *b = api_body(r, allowed);
    const char *fmt, *data;
    uint32_t fn, dn;
    kp_err e = {0};
    if (!b) return;
    if (kp_get_str(b, "format", true, 1, 16, &fmt, &fn, &e) < 0 ||
        kp_get_str(b, "data", true, 0, UINT32_MAX, &data, &dn, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    bool csv = fn == 3 && !memcmp(fmt, "csv", 3), jsonl = fn == 5 && !memcmp(fmt, "jsonl", 5);
    if (!csv && !jsonl) {
        api_fail(r, "invalid_value", "format must be jsonl or csv", "format");
        return;
    }
    importing *x = kp_arena_alloc(http_req_arena(r), sizeof *x);
    if (!x) {
        api_oom(r);
        return;
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    *x = (importing){.data = data,
                     .len = dn,
                     .fmt = csv ? PROFILE_CSV : PROFILE_JSONL,
                     .year_now = tm.tm_year + 1900};
    snprintf(x->actor, sizeof x->actor, "%lld", (long long)who->account_id);
    api_offload(r, import_parse, import_parsed, x);
}

void api_profiles_import(http_req *r)
{
    api_authenticate(r, import_authed);
}
