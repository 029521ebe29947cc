/* offers.c — GET/PUT /v1/mentoring/offer (a mentor's offer) and
 * GET/PUT /v1/mentoring/request (what a mentee looks for), prefilled from
 * the profile until saved (PROTOCOL.md "Mentoring").  Here each field's
 * type, length and enum are checked; the accepted body goes to SQL as JSON,
 * which checks the time zone against the IANA database and merges. */
#include <string.h>

#include "mentoring.h"
#include "profile/profile.h"

enum { TOPICS_MAX = 20, TOPIC_CHARS = 100, LANGS_MAX = 20, NOTE_MAX = 1000, TZ_MAX = 64 };

static const char *const formats[] = {"video", "chat", "in_person", NULL};
static const char *const cadences[] = {"weekly", "fortnightly", "monthly", "ad_hoc", NULL};
static const char *const stages[] = {"student", "early_career", "mid_career", "senior", NULL};
static const char TZ_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/";

/* Checks one element of a string list; false when refused. */
typedef bool (*item_ok)(const char *s, size_t n);

static bool any_text(const char *s, size_t n)
{
    (void)s;
    return n > 0;
}
static bool format_ok(const char *s, size_t n)
{
    return api_one_of(s, n, formats);
}

/* An optional list of strings `key` (1..chars characters each, at most
 * max items, each passing ok); 0, or -1 after replying 400. */
static int str_list(http_req *r, const kp_value *b, const char *key, uint32_t max, uint32_t chars,
                    item_ok ok)
{
    const kp_value *arr = NULL;
    kp_err e = {0};
    if (kp_get_array(b, key, false, max, &arr, &e) < 0) {
        api_fail_kperr(r, &e);
        return -1;
    }
    for (uint32_t i = 0; arr && i < arr->v.arr.n; i++) {
        const kp_value *v = &arr->v.arr.items[i];
        char field[48];
        snprintf(field, sizeof field, "%s.%u", key, i);
        if (v->type != KP_STR) {
            api_fail(r, "invalid_type", "must be a string", field);
            return -1;
        }
        if (kp_utf8_len(v->v.s.ptr, v->v.s.len) > chars) {
            api_fail(r, "too_long", "too many characters", field);
            return -1;
        }
        if (!ok(v->v.s.ptr, v->v.s.len)) {
            api_fail(r, "invalid_value", "not an accepted value", field);
            return -1;
        }
    }
    return 0;
}

/* An optional string `key` of 1..chars characters that is one of `set`
 * (NULL: any) or made of `chars_of` (NULL: any); 0 or -1 after replying. */
static int opt_word(http_req *r, const kp_value *b, const char *key, uint32_t chars,
                    const char *const *set, const char *chars_of)
{
    const char *s = NULL;
    uint32_t n = 0;
    kp_err e = {0};
    int rc = kp_get_str(b, key, false, 1, chars, &s, &n, &e);
    if (rc < 0) {
        api_fail_kperr(r, &e);
        return -1;
    }
    if (rc == 1 &&
        ((set && !api_one_of(s, n, set)) || (chars_of && !api_chars(s, n, chars_of, 1, chars)))) {
        api_fail(r, "invalid_value", "not an accepted value", key);
        return -1;
    }
    return 0;
}

/* nil is accepted only where it clears a value (`nullable`). */
static int no_nils(http_req *r, const kp_value *b, const char *const *nullable)
{
    for (uint32_t i = 0; i < b->v.map.n; i++) {
        const kp_pair *p = &b->v.map.pairs[i];
        if (p->val.type != KP_NIL) continue;
        char key[48];
        snprintf(key, sizeof key, "%.*s", (int)p->key.v.s.len, p->key.v.s.ptr);
        if (!api_one_of(p->key.v.s.ptr, p->key.v.s.len, nullable)) {
            api_fail(r, "invalid_type", "may not be nil", key);
            return -1;
        }
    }
    return 0;
}

/* The checked body as JSON text in the arena; NULL after replying 500. */
static const char *body_json(http_req *r, const kp_value *b)
{
    kp_buf js;
    kp_buf_init(&js);
    kp_json_write(&js, b);
    const char *out =
        js.oom ? NULL : kp_arena_strndup(http_req_arena(r), (const char *)js.data, js.len);
    kp_buf_free(&js);
    if (!out) api_oom(r);
    return out;
}

static int int_field(http_req *r, const kp_value *b, const char *key, int64_t min, int64_t max)
{
    int64_t v = 0;
    return api_int(r, b, key, false, min, max, &v) < 0 ? -1 : 0;
}

/* Stores the checked body b as the caller's offer or request (stmt's
 * parameters: the caller, the body as JSON). */
static void put_doc(http_req *r, const api_principal *who, const kp_value *b, const db_stmt *stmt)
{
    const char *json = body_json(r, b);
    if (!json) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[2] = {me.s, json};
    api_query(r, stmt, 2, p, api_reply_row);
}

static void offer_put_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"topics",    "capacity", "languages",
                                          "time_zone", "formats",  "cadence",
                                          "note",      "paused",   NULL};
    static const char *const nullable[] = {"note", "time_zone", NULL};
    const kp_value *b = api_body(r, allowed);
    bool paused = false;
    kp_err e = {0};
    if (!b || no_nils(r, b, nullable) ||
        str_list(r, b, "topics", TOPICS_MAX, TOPIC_CHARS, any_text) ||
        int_field(r, b, "capacity", 0, 50) ||
        str_list(r, b, "languages", LANGS_MAX, 35, profile_bcp47_valid) ||
        opt_word(r, b, "time_zone", TZ_MAX, NULL, TZ_CHARS) ||
        str_list(r, b, "formats", 3, 16, format_ok) ||
        opt_word(r, b, "cadence", 16, cadences, NULL) ||
        opt_word(r, b, "note", NOTE_MAX, NULL, NULL))
        return;
    if (kp_get_bool(b, "paused", false, &paused, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    put_doc(r, who, b, MEN_STMT(OFFER_PUT));
}

static void request_put_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"goals",      "topics",       "languages", "time_zone",
                                          "max_tz_gap", "career_stage", NULL};
    static const char *const nullable[] = {"time_zone", NULL};
    const kp_value *b = api_body(r, allowed);
    const char *goals = NULL;
    kp_err e = {0};
    if (!b || no_nils(r, b, nullable) ||
        str_list(r, b, "topics", TOPICS_MAX, TOPIC_CHARS, any_text) ||
        str_list(r, b, "languages", LANGS_MAX, 35, profile_bcp47_valid) ||
        opt_word(r, b, "time_zone", TZ_MAX, NULL, TZ_CHARS) ||
        int_field(r, b, "max_tz_gap", 0, 12) || opt_word(r, b, "career_stage", 16, stages, NULL))
        return;
    if (kp_get_str(b, "goals", false, 0, MEN_TEXT_MAX, &goals, NULL, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    put_doc(r, who, b, MEN_STMT(REQUEST_PUT));
}

static void offer_get_authed(http_req *r, const api_principal *who)
{
    api_query_caller(r, who, MEN_STMT(OFFER_GET), api_reply_row);
}

static void request_get_authed(http_req *r, const api_principal *who)
{
    api_query_caller(r, who, MEN_STMT(REQUEST_GET), api_reply_row);
}

void api_men_offer_get(http_req *r)
{
    api_authenticate(r, offer_get_authed);
}
void api_men_offer_put(http_req *r)
{
    api_authenticate(r, offer_put_authed);
}
void api_men_request_get(http_req *r)
{
    api_authenticate(r, request_get_authed);
}
void api_men_request_put(http_req *r)
{
    api_authenticate(r, request_put_authed);
}
