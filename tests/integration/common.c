/* common.c — the integration suites' shared helpers (see common.h).  Built
 * once as the it_common object library and linked into every it_* suite;
 * named so that the integration/it_*.c glob does not take it for a suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common.h"

const kp_value *it_map_get(const kp_value *map, const char *key)
{
    assert_non_null(map);
    const kp_value *v = kp_map_get(map, key);
    if (!v) fail_msg("reply has no field '%s'", key);
    return v;
}

const kp_value *it_get(const khnet_reply *rep, const char *key)
{
    assert_non_null(rep);
    assert_non_null(rep->root);
    return it_map_get(rep->root, key);
}

int64_t it_get_int(const khnet_reply *rep, const char *key)
{
    const kp_value *v = it_get(rep, key);
    assert_int_equal(v->type, KP_INT);
    return v->v.i;
}

void it_assert_str(const kp_value *v, const char *want)
{
    assert_non_null(v);
    assert_int_equal(v->type, KP_STR);
    assert_int_equal(v->v.s.len, strlen(want));
    assert_memory_equal(v->v.s.ptr, want, strlen(want));
}

void it_expect_err(khnet_err rc, khnet_reply **rep, int status, const char *code, const char *field)
{
    if (rc != KHNET_ERR_HTTP)
        fail_msg("expected HTTP %d %s, got %s", status, code, khnet_strerror(rc));
    assert_non_null(*rep);
    assert_int_equal((*rep)->status, status);
    assert_non_null((*rep)->code);
    assert_string_equal((*rep)->code, code);
    if (field) {
        assert_non_null((*rep)->field);
        assert_string_equal((*rep)->field, field);
    }
    khnet_reply_free(*rep);
    *rep = NULL;
}

void it_expect_ok(khnet_err rc, khnet_reply **rep, int status)
{
    if (rc != KHNET_OK && *rep)
        fail_msg("HTTP %d %s (field %s)", (*rep)->status, (*rep)->code ? (*rep)->code : "?",
                 (*rep)->field ? (*rep)->field : "-");
    assert_int_equal(rc, KHNET_OK);
    assert_int_equal((*rep)->status, status);
    khnet_reply_free(*rep);
    *rep = NULL;
}

uint32_t it_nhits(const khnet_reply *rep)
{
    const kp_value *h = it_map_get(rep->root, "hits");
    assert_int_equal(h->type, KP_ARRAY);
    return h->v.arr.n;
}

int it_run(const char *cmd, char *out, size_t cap)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *it_cli(void)
{
    const char *cli = getenv("KHNET_CLI");
    if (!cli) skip();
    return cli;
}

khnet_ctx *it_connect(void)
{
    khnet_ctx *c = NULL;
    assert_int_equal(khnet_connect(getenv("KHNET_URL"), &c), KHNET_OK);
    return c;
}

khnet_ctx *it_account(const char *email, int64_t *id, char tok[64])
{
    khnet_ctx *c = it_connect();
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_register(c, email, PW, &rep), KHNET_OK);
    if (id) *id = it_map_get(rep->root, "id")->v.i;
    khnet_reply_free(rep);
    assert_int_equal(khnet_login(c, email, PW, &rep), KHNET_OK);
    const kp_value *t = it_map_get(rep->root, "token");
    if (tok) snprintf(tok, 64, "%.*s", (int)t->v.s.len, t->v.s.ptr);
    khnet_reply_free(rep);
    return c;
}

int64_t it_make_profile(const char *email, const char *profile_json)
{
    int64_t id = 0;
    khnet_ctx *c = it_account(email, &id, NULL);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_call_json(c, "POST", "/v1/profiles", profile_json, &rep), KHNET_OK);
    khnet_reply_free(rep);
    khnet_free(c);
    return id;
}

it_user it_make_user(const char *url, const char *email)
{
    it_user u = {NULL, 0, ""};
    assert_int_equal(khnet_connect(url, &u.ctx), KHNET_OK);
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"" PW "\"}", email);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_call_json(u.ctx, "POST", "/v1/accounts", body, &rep), KHNET_OK);
    u.id = it_get_int(rep, "id");
    khnet_reply_free(rep);
    assert_int_equal(khnet_call_json(u.ctx, "POST", "/v1/sessions", body, &rep), KHNET_OK);
    const kp_value *tok = it_get(rep, "token");
    assert_true(tok->type == KP_STR && tok->v.s.len < sizeof u.token);
    memcpy(u.token, tok->v.s.ptr, tok->v.s.len);
    u.token[tok->v.s.len] = '\0';
    khnet_reply_free(rep);
    assert_int_equal(khnet_set_token(u.ctx, u.token), KHNET_OK);
    return u;
}

void it_admin_create(const char *email, const char *password, const char *extra_flags)
{
    char cmd[1024], out[512];
    snprintf(cmd, sizeof cmd,
             "'%s' admin create --database-url '%s' --email %s --password '%s' %s 2>&1",
             getenv("KHNETD"), getenv("KHNET_DATABASE_URL"), email, password, extra_flags);
    if (it_run(cmd, out, sizeof out) != 0) fail_msg("admin create: %s", out);
}
