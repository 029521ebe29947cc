/* it_accounts.c — libkhnet's typed account, profile and data-rights calls
 * against a real khnetd (run by tests/harness.sh, which exports KHNET_URL
 * and KHNET_CLI): register, login storing the token, me, profile get and
 * patch, export, logout, erasure; and the `khnet` commands built on them.
 * The server-side rules in depth are tests/interop/{accounts,data_rights}.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void test_library(void **state)
{
    (void)state;
    khnet_ctx *c = it_connect();
    khnet_reply *rep = NULL;

    assert_int_equal(khnet_register(c, "it.acc@example.org", PW, &rep), KHNET_OK);
    assert_int_equal(rep->status, 201);
    int64_t id = it_get_int(rep, "id");
    khnet_reply_free(rep);
    assert_int_equal(khnet_register(c, "it.acc@example.org", PW, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 409);
    khnet_reply_free(rep);
    assert_int_equal(khnet_register(c, NULL, PW, &rep), KHNET_ERR_ARG);

    /* no token yet (logins here stay within the per-e-mail rate limit: 5) */
    assert_int_equal(khnet_me(c, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 401);
    khnet_reply_free(rep);

    /* login stores the token in the context */
    assert_int_equal(khnet_login(c, "it.acc@example.org", PW, &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "token")->v.s.len, 43);
    khnet_reply_free(rep);
    assert_int_equal(khnet_me(c, &rep), KHNET_OK);
    assert_int_equal(it_get_int(rep, "id"), id);
    it_assert_str(it_get(rep, "role"), "member");
    khnet_reply_free(rep);

    /* my profile: create (generic call), get, patch */
    assert_int_equal(khnet_call_json(c, "POST", "/v1/profiles",
                                     "{\"full_name\":\"Võ Thị Sáu\",\"country\":\"VN\"}", &rep),
                     KHNET_OK);
    khnet_reply_free(rep);
    assert_int_equal(khnet_profile_get(c, id, &rep), KHNET_OK);
    it_assert_str(it_get(rep, "full_name"), "Võ Thị Sáu");
    assert_int_equal(it_get_int(rep, "version"), 1);
    khnet_reply_free(rep);
    assert_int_equal(khnet_profile_patch(c, 0, "{\"version\":1,\"city\":\"Nha Trang\"}", &rep),
                     KHNET_OK);
    assert_int_equal(it_get_int(rep, "version"), 2);
    it_assert_str(it_get(rep, "city"), "Nha Trang");
    khnet_reply_free(rep);
    assert_int_equal(khnet_profile_patch(c, id, "{\"version\":1,\"city\":\"Huế\"}", &rep),
                     KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 409);
    assert_string_equal(rep->field, "version");
    khnet_reply_free(rep);
    assert_int_equal(khnet_profile_patch(c, 0, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_profile_get(c, 0, &rep), KHNET_OK); /* /me */
    assert_int_equal(it_get_int(rep, "id"), id);
    khnet_reply_free(rep);

    /* export */
    assert_int_equal(khnet_export(c, &rep), KHNET_OK);
    it_assert_str(it_get(rep, "format"), "khnet-export/1");
    it_assert_str(kp_map_get(it_get(rep, "account"), "email"), "it.acc@example.org");
    it_assert_str(kp_map_get(it_get(rep, "profile"), "city"), "Nha Trang");
    khnet_reply_free(rep);

    /* a member may not import */
    const char *row = "{\"external_id\":\"it-1\",\"full_name\":\"X\"}\n";
    assert_int_equal(khnet_profiles_import(c, "jsonl", row, strlen(row), &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 403);
    khnet_reply_free(rep);

    /* logout forgets the token; a second login, then erasure */
    assert_int_equal(khnet_logout(c, &rep), KHNET_OK);
    assert_int_equal(rep->status, 204);
    khnet_reply_free(rep);
    assert_int_equal(khnet_me(c, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 401);
    khnet_reply_free(rep);
    assert_int_equal(khnet_login(c, "it.acc@example.org", PW, &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_int_equal(khnet_account_erase(c, "not my password", &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 403);
    assert_string_equal(rep->field, "password");
    khnet_reply_free(rep);
    assert_int_equal(khnet_account_erase(c, PW, &rep), KHNET_OK);
    assert_int_equal(rep->status, 204);
    khnet_reply_free(rep);
    assert_int_equal(khnet_login(c, "it.acc@example.org", PW, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 401);
    khnet_reply_free(rep);
    assert_int_equal(khnet_profile_get(c, id, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 404);
    khnet_reply_free(rep);
    khnet_free(c);
}

static void test_cli(void **state)
{
    (void)state;
    const char *cli = it_cli();
    char cmd[1024], out[8192], tok[128];
    snprintf(cmd, sizeof cmd, "%s register it.cli@example.org '" PW "'", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"email\":\"it.cli@example.org\""));
    /* the password from stdin; login prints the bare token */
    snprintf(cmd, sizeof cmd, "echo '" PW "' | %s login it.cli@example.org -", cli);
    assert_int_equal(it_run(cmd, tok, sizeof tok), 0);
    tok[strcspn(tok, "\n")] = '\0';
    assert_int_equal(strlen(tok), 43);
    snprintf(cmd, sizeof cmd, "KHNET_TOKEN=%s %s whoami", tok, cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"role\":\"member\""));
    snprintf(cmd, sizeof cmd,
             "%s --token %s call POST /v1/profiles '{\"full_name\":\"Đặng Thùy Trâm\"}' "
             ">/dev/null && %s --token %s profile get me",
             cli, tok, cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"full_name\":\"Đặng Thùy Trâm\""));
    snprintf(cmd, sizeof cmd, "%s profile get 999999", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    snprintf(cmd, sizeof cmd, "%s profile get x", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s --token %s export", cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"format\":\"khnet-export/1\""));
    assert_non_null(strstr(out, "Đặng Thùy Trâm"));
    snprintf(cmd, sizeof cmd, "%s --token %s logout && %s --token %s whoami 2>&1", cli, tok, cli,
             tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "unauthenticated"));
    snprintf(cmd, sizeof cmd, "%s whoami 2>/dev/null", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_library), cmocka_unit_test(test_cli)};
    return cmocka_run_group_tests_name("it_accounts", tests, NULL, NULL);
}
