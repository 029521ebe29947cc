/* profiles_edit.c — writing profiles: POST /v1/profiles (my profile),
 * PATCH /v1/profiles/me and /v1/profiles/{id} (owner, or an admin), and
 * GET /v1/profiles/me.  Every field is judged by profile_validate
 * (server/profile/validate.c, shared with the imports); the accepted fields
 * go to one SQL function as JSON, which applies them and bumps `version`
 * in one statement (khnet_profile_patch / khnet_profile_create, 0003). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile/profile.h"
#include "profiles.h"

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
        api_fail(r, "missing_field", "a map body is required", "body");
        return NULL;
    }
    kp_buf mp, js;
    kp_buf_init(&mp);
    kp_buf_init(&js);
    const char *out = NULL;
    if (profile_validate(b, mode, year_now(), &mp, version, &e) != 0) {
        api_fail_kperr(r, &e); /* out of memory there is "internal": 500 */
    } else if (kp_msgpack_to_json(http_req_arena(r), mp.data, mp.len, &js, &e) != 0 || js.oom ||
               !(out = kp_arena_strndup(http_req_arena(r), (const char *)js.data, js.len))) {
        api_fail(r, "internal", "internal error", NULL);
    }
    kp_buf_free(&mp);
    kp_buf_free(&js);
    return out;
}

/* The profile a /me or /{id} path names, or 0 after replying 400. */
static int64_t target_of(http_req *r, const api_principal *who)
{
    if (!http_req_param(r, "id")) return who->account_id; /* the /me route */
    const char *id = api_path_id(r, "id");
    return id ? strtoll(id, NULL, 10) : 0;
}

static void patch_authed(http_req *r, const api_principal *who)
{
    int64_t target = target_of(r, who), version = 0;
    if (!target) return;
    if (target != who->account_id &&
        !api_allow(r, who, API_ROLE_BIT(ROLE_ADMIN), "only the owner or an admin edits a profile"))
        return;
    const char *json = patch_json(r, PROFILE_PATCH, &version);
    if (!json) return;
    api_dec me = api_dec_of(who->account_id), tid = api_dec_of(target), ver = api_dec_of(version);
    const char *params[4] = {me.s, tid.s, ver.s, json};
    api_query(r, PROF_STMT(PATCH), 4, params, api_reply_row);
}

void api_profile_patch(http_req *r)
{
    api_authenticate(r, patch_authed);
}

static void create_authed(http_req *r, const api_principal *who)
{
    const char *json = patch_json(r, PROFILE_CREATE, NULL);
    if (!json) return;
    api_dec id = api_dec_of(who->account_id);
    const char *params[2] = {id.s, json};
    api_query(r, PROF_STMT(CREATE), 2, params, api_reply_row);
}

void api_profile_create(http_req *r)
{
    api_authenticate(r, create_authed);
}

/* ---- GET /v1/profiles/me: the owner's view of my own profile ---------------- */
static void me_authed(http_req *r, const api_principal *who)
{
    api_query_caller(r, who, PROF_STMT(MINE), api_reply_row);
}

void api_profile_me(http_req *r)
{
    api_authenticate(r, me_authed);
}
