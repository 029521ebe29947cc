/* mentoring_kit.c — the mentoring suites' shared helpers (mentoring_kit.h);
 * built into the it_common object library beside common.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "mentoring_kit.h"

#define ADMIN_EMAIL "admin@mentit.example.org"

khnet_ctx *mk_person(const char *tag, const char *fields, int64_t *id)
{
    char email[128], body[2048];
    snprintf(email, sizeof email, "%s@mentit.example.org", tag);
    khnet_ctx *c = it_account(email, id, NULL);
    snprintf(body, sizeof body, "{\"full_name\":\"%s\",\"time_zone\":\"Asia/Ho_Chi_Minh\"%s%s%s%s}",
             tag, strstr(fields, "\"languages\"") ? "" : ",\"languages\":[\"vi\",\"en\"]",
             strstr(fields, "\"expertise\"") ? "" : ",\"expertise\":[\"aquaculture\"]",
             *fields ? "," : "", fields);
    khnet_reply *rep = NULL;
    it_expect_ok(khnet_profile_create(c, body, &rep), &rep, 201);
    return c;
}

khnet_ctx *mk_officer(const char *tag, int64_t *id)
{
    static int admin_made;
    int64_t officer = 0;
    khnet_ctx *c = mk_person(tag, "", &officer);
    if (!admin_made) {
        it_admin_create(ADMIN_EMAIL, PW, "");
        admin_made = 1;
    }
    khnet_ctx *adm = it_connect();
    khnet_reply *rep = NULL;
    it_expect_ok(khnet_login(adm, ADMIN_EMAIL, PW, &rep), &rep, 201);
    it_expect_ok(khnet_role_set(adm, officer, "liaison", &rep), &rep, 200);
    khnet_free(adm);
    if (id) *id = officer;
    return c;
}

int64_t mk_int(const kp_value *map, const char *key)
{
    const kp_value *v = it_map_get(map, key);
    if (v->type != KP_INT) fail_msg("'%s' is not an integer", key);
    return v->v.i;
}

bool mk_bool(const kp_value *map, const char *key)
{
    const kp_value *v = it_map_get(map, key);
    if (v->type != KP_BOOL) fail_msg("'%s' is not a boolean", key);
    return v->v.b;
}

double mk_num(const kp_value *map, const char *key)
{
    const kp_value *v = it_map_get(map, key);
    if (v->type == KP_INT) return (double)v->v.i;
    if (v->type != KP_FLOAT) fail_msg("'%s' is not a number", key);
    return v->v.f;
}

void mk_strs_list(const kp_value *map, const char *key, int n, const char *const *want)
{
    const kp_value *arr = it_map_get(map, key);
    if (arr->type != KP_ARRAY) fail_msg("'%s' is not an array", key);
    if ((int)arr->v.arr.n != n) fail_msg("'%s' has %u items, not %d", key, arr->v.arr.n, n);
    for (int i = 0; i < n; i++)
        it_assert_str(&arr->v.arr.items[i], want[i]);
}

int mk_index_of_mentor(const kp_value *items, int64_t id)
{
    for (uint32_t i = 0; i < items->v.arr.n; i++)
        if (mk_int(it_map_get(&items->v.arr.items[i], "mentor"), "id") == id) return (int)i;
    return -1;
}

int mk_events(khnet_ctx *ctx, int64_t after, const char *until, const char *count, int64_t *last_id)
{
    khnet_stream *s = NULL;
    assert_int_equal(khnet_stream_open(ctx, after, &s), KHNET_OK);
    int n = 0;
    for (int waited = 0;; waited++) {
        khnet_event *ev = NULL;
        khnet_err rc = khnet_stream_next(s, 1000, &ev);
        if (rc == KHNET_ERR_TIMEOUT && waited < 10) continue;
        if (rc != KHNET_OK) fail_msg("no %s event: %s", until, khnet_stream_errstr(s));
        assert_true(ev->seq > after);
        bool done = !strcmp(ev->kind, until);
        if (!strcmp(ev->kind, count)) {
            n++;
            if (last_id) *last_id = mk_int(ev->payload, "id");
        }
        khnet_event_free(ev);
        if (done) break;
    }
    khnet_stream_close(s);
    return n;
}
