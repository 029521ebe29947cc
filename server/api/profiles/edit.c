/* profiles_edit.c — writing profiles: POST /v1/profiles (my profile),
 * PATCH /v1/profiles/me and /v1/profiles/{id} (owner, or an admin), and
 * GET /v1/profiles/me.  Every field is judged by profile_validate
 * (server/profile/validate.c, shared with the imports); the accepted fields
 * go to one SQL function as JSON, which applies them and bumps `version`
 * in one statement (khnet_profile_patch / khnet_profile_create, 0003). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "profile/profile.h"

static int year_now(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

/* Validates the body for `mode` into JSON text (arena) for the SQL side;
 * replies 400 and returns NULL when a field is refused. */
static const char *patch_json(http_req *r, profile_mode mode, int64_t *version)
{
    const kp_value *b = http_req_body(r);
    kp_err e = {0};
    if (!b) {
        http_reply_error(r, 400, "missing_field", "a map body is required", "body");
        return NULL;
    }
    kp_buf mp, js;
    kp_buf_init(&mp);
    kp_buf_init(&js);
    const char *out = NULL;
    if (profile_validate(b, mode, year_now(), &mp, version, &e) != 0) {
        http_reply_kperr(r, 400, &e);
    } else if (kp_msgpack_to_json(http_req_arena(r), mp.data, mp.len, &js, &e) != 0 || js.oom ||
               !(out = kp_arena_strndup(http_req_arena(r), (const char *)js.data, js.len))) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
    }
    kp_buf_free(&mp);
    kp_buf_free(&js);
    return out;
}

/* Common end of both writes: the SQL status to a reply. */
static void write_done(http_req *r, const PGresult *res, int ok_status)
{
    const char *st = api_col(res, "status"), *field = api_col(res, "field");
    const char *json = api_col(res, "profile");
    kp_value *v = NULL;
    kp_err e = {0};
    if (!st) st = ""; /* no row: answered 500 below */
    if (!strcmp(st, "invalid")) {
        http_reply_error(r, 400, "invalid_value", "not an accepted value", field);
    } else if (!strcmp(st, "not_found")) {
        http_reply_error(r, 404, "not_found", "no such profile", NULL);
    } else if (!strcmp(st, "conflict")) {
        http_reply_error(r, 409, "conflict",
                         field ? "the profile changed since that version; reload it"
                               : "you already have a profile; PATCH it",
                         field);
    } else if (strcmp(st, "ok") != 0 || !json ||
               kp_json_decode(http_req_arena(r), json, strlen(json), NULL, &v, &e) != 0) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
    } else {
        kp_w_value(http_req_out(r), v);
        http_reply(r, ok_status);
    }
}

static void patch_done(http_req *r, const PGresult *res)
{
    write_done(r, res, 200);
}
static void create_done(http_req *r, const PGresult *res)
{
    write_done(r, res, 201);
}

/* The profile a /me or /{id} path names, or 0 after replying 400. */
static int64_t target_of(http_req *r, const api_principal *who)
{
    const char *id = http_req_param(r, "id");
    if (!id) return who->account_id; /* the /me route */
    size_t n = strlen(id);
    if (n == 0 || n > 18 || id[0] == '0' || strspn(id, "0123456789") != n) {
        http_reply_error(r, 400, "invalid_value", "a profile id is a positive integer", "id");
        return 0;
    }
    return strtoll(id, NULL, 10);
}

static void patch_authed(http_req *r, const api_principal *who)
{
    int64_t target = target_of(r, who), version = 0;
    if (!target) return;
    if (target != who->account_id && who->role != ROLE_ADMIN) {
        http_reply_error(r, 403, "forbidden", "only the owner or an admin edits a profile", NULL);
        return;
    }
    const char *json = patch_json(r, PROFILE_PATCH, &version);
    if (!json) return;
    char *num = kp_arena_alloc(http_req_arena(r), 72);
    if (!num) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    snprintf(num, 24, "%lld", (long long)who->account_id);
    snprintf(num + 24, 24, "%lld", (long long)target);
    snprintf(num + 48, 24, "%lld", (long long)version);
    const char *params[4] = {num, num + 24, num + 48, json};
    api_query(r, STMT_PROFILE_PATCH, 4, params, patch_done);
}

void api_profile_patch(http_req *r)
{
    api_authenticate(r, patch_authed);
}

static void create_authed(http_req *r, const api_principal *who)
{
    const char *json = patch_json(r, PROFILE_CREATE, NULL);
    if (!json) return;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)who->account_id);
    const char *params[2] = {id, json};
    api_query(r, STMT_PROFILE_CREATE, 2, params, create_done);
}

void api_profile_create(http_req *r)
{
    api_authenticate(r, create_authed);
}

/* ---- GET /v1/profiles/me: the owner's view of my own profile ---------------- */
static void me_done(http_req *r, const PGresult *res)
{
    const char *json = api_col(res, "profile");
    kp_value *v = NULL;
    kp_err e = {0};
    if (!json) {
        http_reply_error(r, 404, "not_found", "you have no profile yet; POST /v1/profiles", NULL);
    } else if (kp_json_decode(http_req_arena(r), json, strlen(json), NULL, &v, &e) != 0) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
    } else {
        kp_w_value(http_req_out(r), v);
        http_reply(r, 200);
    }
}

static void me_authed(http_req *r, const api_principal *who)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)who->account_id);
    const char *params[3] = {id, id, "member"};
    api_query(r, STMT_PROFILE_GET, 3, params, me_done);
}

void api_profile_me(http_req *r)
{
    api_authenticate(r, me_authed);
}
