/* it_accounts2.c — libkhnet's typed calls for sessions, passwords, roles,
 * profile creation and partners against a real khnetd (run by
 * tests/harness.sh, which exports KHNET_URL, KHNET_DATABASE_URL, KHNETD,
 * KHNET_SERVER_LOG and KHNET_CLI): each call once with success and once
 * with an error, then each new `khnet` command once.  The admin comes from
 * `khnetd admin create`, reset tokens from the development mailer's log
 * line.  tests/CMakeLists.txt raises the auth rate limits for this suite.
 * The server-side rules in depth are tests/interop/{accounts,partners_cors}.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define PW2 "battery staple horse"
#define ADMIN_PW "admin password 1"

/* A new context logged in as email; its account id in *id when id != NULL. */
static khnet_ctx *login(const char *email, const char *password, int64_t *id)
{
    khnet_ctx *c = it_connect();
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_login(c, email, password, &rep), KHNET_OK);
    if (id) *id = kp_map_get(it_get(rep, "account"), "id")->v.i;
    khnet_reply_free(rep);
    return c;
}

/* A member account (registered here) logged in, in a new context. */
static khnet_ctx *member(const char *email, int64_t *id)
{
    khnet_ctx *c = it_connect();
    khnet_reply *rep = NULL;
    it_expect_ok(khnet_register(c, email, PW, &rep), &rep, 201);
    khnet_free(c);
    return login(email, PW, id);
}

/* The admin made on the command line, logged in (made on the first call). */
static khnet_ctx *admin(void)
{
    static int made;
    if (!made) {
        it_admin_create("root2@example.org", ADMIN_PW, "--scrypt-n 1024");
        made = 1;
    }
    return login("root2@example.org", ADMIN_PW, NULL);
}

/* The newest reset token the development mailer logged for email (waits up to 5 s). */
static void reset_token(const char *email, char tok[44])
{
    char pat[300];
    snprintf(pat, sizeof pat, "to=\"%s\" reset_token=", email);
    for (int tries = 0; tries < 100; tries++) {
        FILE *f = fopen(getenv("KHNET_SERVER_LOG"), "r");
        assert_non_null(f);
        char line[4096];
        tok[0] = '\0';
        while (fgets(line, sizeof line, f)) {
            const char *p = strstr(line, pat);
            if (p && strlen(p + strlen(pat)) >= 43) {
                memcpy(tok, p + strlen(pat), 43);
                tok[43] = '\0';
            }
        }
        fclose(f);
        if (tok[0]) return;
        nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
    }
    fail_msg("no reset token for %s in the server log", email);
}

static void test_sessions(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    khnet_ctx *a = member("s.one@example.org", NULL);
    khnet_ctx *b = login("s.one@example.org", PW, NULL);

    /* both sessions listed, newest first: b's, then a's (current) */
    assert_int_equal(khnet_sessions_list(a, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->type, KP_ARRAY);
    assert_int_equal(items->v.arr.n, 2);
    int64_t b_sid = kp_map_get(&items->v.arr.items[0], "id")->v.i;
    assert_false(kp_map_get(&items->v.arr.items[0], "current")->v.b);
    assert_true(kp_map_get(&items->v.arr.items[1], "current")->v.b);
    khnet_reply_free(rep);

    /* revoke b's session from a: b is out; a second revoke is 404 */
    it_expect_ok(khnet_session_revoke(a, b_sid, &rep), &rep, 204);
    it_expect_err(khnet_me(b, &rep), &rep, 401, "unauthenticated", NULL);
    it_expect_err(khnet_session_revoke(a, b_sid, &rep), &rep, 404, "not_found", NULL);
    assert_int_equal(khnet_session_revoke(a, 0, &rep), KHNET_ERR_ARG);
    it_expect_err(khnet_sessions_list(b, &rep), &rep, 401, "unauthenticated", NULL);

    /* log out everywhere: a forgets its token, a third login's token is dead too */
    khnet_ctx *c = login("s.one@example.org", PW, NULL);
    it_expect_ok(khnet_logout_all(a, &rep), &rep, 204);
    it_expect_err(khnet_me(a, &rep), &rep, 401, "unauthenticated", NULL); /* no token sent */
    it_expect_err(khnet_me(c, &rep), &rep, 401, "unauthenticated", NULL);
    it_expect_err(khnet_logout_all(c, &rep), &rep, 401, "unauthenticated", NULL);
    khnet_free(a);
    khnet_free(b);
    khnet_free(c);
}

static void test_passwords(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    khnet_ctx *a = member("p.one@example.org", NULL);
    khnet_ctx *b = login("p.one@example.org", PW, NULL);

    /* change: wrong current is 403 on current_password; a short new one 400 */
    it_expect_err(khnet_password_change(a, "not my password", PW2, &rep), &rep, 403, "forbidden",
                  "current_password");
    it_expect_err(khnet_password_change(a, PW, "short", &rep), &rep, 400, "too_short",
                  "new_password");
    assert_int_equal(khnet_password_change(a, PW, NULL, &rep), KHNET_ERR_ARG);
    it_expect_ok(khnet_password_change(a, PW, PW2, &rep), &rep, 204);
    it_expect_ok(khnet_me(a, &rep), &rep, 200);                           /* this session stays */
    it_expect_err(khnet_me(b, &rep), &rep, 401, "unauthenticated", NULL); /* the other ended */
    khnet_free(b);
    b = login("p.one@example.org", PW2, NULL);

    /* reset: request (202 also for an unknown address), confirm, old sessions end */
    khnet_ctx *anon = it_connect();
    it_expect_ok(khnet_password_reset_request(anon, "nobody@example.org", &rep), &rep, 202);
    it_expect_err(khnet_password_reset_request(anon, "not an address", &rep), &rep, 400,
                  "invalid_value", "email");
    it_expect_ok(khnet_password_reset_request(anon, "p.one@example.org", &rep), &rep, 202);
    char tok[44];
    reset_token("p.one@example.org", tok);
    it_expect_err(
        khnet_password_reset_confirm(anon, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", PW, &rep),
        &rep, 400, "invalid_value", "token");
    it_expect_ok(khnet_password_reset_confirm(anon, tok, PW, &rep), &rep, 204);
    it_expect_err(khnet_password_reset_confirm(anon, tok, PW, &rep), &rep, 400, "invalid_value",
                  "token"); /* spent */
    it_expect_err(khnet_me(a, &rep), &rep, 401, "unauthenticated", NULL);
    it_expect_err(khnet_me(b, &rep), &rep, 401, "unauthenticated", NULL);
    it_expect_err(khnet_login(anon, "p.one@example.org", PW2, &rep), &rep, 401, "unauthenticated",
                  NULL);
    khnet_free(login("p.one@example.org", PW, NULL));
    khnet_free(a);
    khnet_free(b);
    khnet_free(anon);
}

static void test_roles_and_profile(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    int64_t id = 0;
    khnet_ctx *m = member("r.one@example.org", &id);
    khnet_ctx *adm = admin();

    it_expect_err(khnet_role_set(m, id, "admin", &rep), &rep, 403, "forbidden", NULL);
    it_expect_err(khnet_role_set(adm, id, "emperor", &rep), &rep, 400, "invalid_value", "role");
    it_expect_err(khnet_role_set(adm, 999999, "liaison", &rep), &rep, 404, "not_found", NULL);
    assert_int_equal(khnet_role_set(adm, id, NULL, &rep), KHNET_ERR_ARG);
    assert_int_equal(khnet_role_set(adm, id, "liaison", &rep), KHNET_OK);
    assert_int_equal(it_get_int(rep, "id"), id);
    it_assert_str(it_get(rep, "role"), "liaison");
    it_assert_str(it_get(rep, "previous_role"), "member");
    khnet_reply_free(rep);
    assert_int_equal(khnet_me(m, &rep), KHNET_OK);
    it_assert_str(it_get(rep, "role"), "liaison");
    khnet_reply_free(rep);

    /* profile create: 400 without full_name, 201, then 409; 401 without a token */
    it_expect_err(khnet_profile_create(m, "{\"country\":\"VN\"}", &rep), &rep, 400, "missing_field",
                  "full_name");
    assert_int_equal(khnet_profile_create(m, "{\"full_name\":\"Trần Đại Nghĩa\"}", &rep), KHNET_OK);
    assert_int_equal(rep->status, 201);
    assert_int_equal(it_get_int(rep, "version"), 1);
    it_assert_str(it_get(rep, "full_name"), "Trần Đại Nghĩa");
    khnet_reply_free(rep);
    it_expect_err(khnet_profile_create(m, "{\"full_name\":\"X\"}", &rep), &rep, 409, "conflict",
                  NULL);
    assert_int_equal(khnet_profile_create(m, NULL, &rep), KHNET_ERR_ARG);
    khnet_ctx *anon = it_connect();
    it_expect_err(khnet_profile_create(anon, "{\"full_name\":\"X\"}", &rep), &rep, 401,
                  "unauthenticated", NULL);
    khnet_free(anon);
    khnet_free(m);
    khnet_free(adm);
}

static void test_partners(void **state)
{
    (void)state;
    khnet_reply *rep = NULL;
    khnet_ctx *m = member("pt.one@example.org", NULL);
    khnet_ctx *adm = admin();
    const char *origins[] = {"https://ntu.edu.vn", "HTTPS://Www.NTU.edu.vn:443"};
    const char *bad[] = {"https://ntu.edu.vn/path"};

    it_expect_err(khnet_partners_list(m, &rep), &rep, 403, "forbidden", NULL);
    it_expect_err(khnet_partner_create(m, "Uni", origins, 1, &rep), &rep, 403, "forbidden", NULL);
    it_expect_err(khnet_partner_create(adm, "Uni", bad, 1, &rep), &rep, 400, "invalid_value",
                  "origins.0");
    assert_int_equal(khnet_partner_create(adm, NULL, origins, 1, &rep), KHNET_ERR_ARG);

    assert_int_equal(khnet_partner_create(adm, "Trường Đại học Nha Trang", origins, 2, &rep),
                     KHNET_OK);
    assert_int_equal(rep->status, 201);
    int64_t pid = it_get_int(rep, "id");
    assert_int_equal(it_get(rep, "key")->v.s.len, 43);
    char key[44];
    memcpy(key, it_get(rep, "key")->v.s.ptr, 43);
    key[43] = '\0';
    const kp_value *o = it_get(rep, "origins");
    assert_int_equal(o->v.arr.n, 2);
    it_assert_str(&o->v.arr.items[1], "https://www.ntu.edu.vn"); /* lower-cased, port dropped */
    khnet_reply_free(rep);
    it_expect_err(khnet_partner_create(adm, "Trường Đại học Nha Trang", origins, 1, &rep), &rep,
                  409, "conflict", "name");

    assert_int_equal(khnet_partners_list(adm, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    it_assert_str(kp_map_get(&items->v.arr.items[0], "name"), "Trường Đại học Nha Trang");
    assert_null(kp_map_get(&items->v.arr.items[0], "key"));
    khnet_reply_free(rep);

    /* a sign-up through the partner records it */
    khnet_ctx *anon = it_connect();
    it_expect_ok(khnet_register_partner(anon, "pt.two@example.org", PW, key, &rep), &rep, 201);
    it_expect_err(khnet_register_partner(anon, "pt.three@example.org", PW, "no-such-key", &rep),
                  &rep, 400, "invalid_value", "X-Partner-Key");
    khnet_ctx *two = login("pt.two@example.org", PW, NULL);
    assert_int_equal(khnet_export(two, &rep), KHNET_OK);
    assert_int_equal(kp_map_get(kp_map_get(it_get(rep, "account"), "partner"), "id")->v.i, pid);
    khnet_reply_free(rep);
    khnet_free(two);

    /* update: origins replaced, disable keeps them; 404 and member 403 */
    assert_int_equal(khnet_partner_update(adm, pid, origins, 1, 1, &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "origins")->v.arr.n, 1);
    assert_true(it_get(rep, "disabled")->v.b);
    khnet_reply_free(rep);
    assert_int_equal(khnet_partner_update(adm, pid, NULL, 0, 0, &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "origins")->v.arr.n, 1);
    assert_false(it_get(rep, "disabled")->v.b);
    khnet_reply_free(rep);
    it_expect_err(khnet_partner_update(adm, pid, bad, 1, -1, &rep), &rep, 400, "invalid_value",
                  "origins.0");
    it_expect_err(khnet_partner_update(adm, 999999, NULL, 0, 1, &rep), &rep, 404, "not_found",
                  NULL);
    it_expect_err(khnet_partner_update(m, pid, NULL, 0, 1, &rep), &rep, 403, "forbidden", NULL);

    /* rekey: a new key, the old one refused */
    assert_int_equal(khnet_partner_rekey(adm, pid, &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "key")->v.s.len, 43);
    assert_memory_not_equal(it_get(rep, "key")->v.s.ptr, key, 43);
    khnet_reply_free(rep);
    it_expect_err(khnet_register_partner(anon, "pt.four@example.org", PW, key, &rep), &rep, 400,
                  "invalid_value", "X-Partner-Key");
    it_expect_err(khnet_partner_rekey(adm, 999999, &rep), &rep, 404, "not_found", NULL);
    it_expect_err(khnet_partner_rekey(m, pid, &rep), &rep, 403, "forbidden", NULL);
    assert_int_equal(khnet_partner_rekey(adm, 0, &rep), KHNET_ERR_ARG);
    khnet_free(anon);
    khnet_free(m);
    khnet_free(adm);
}

/* The token `khnet login` prints for email, into tok[128]. */
static void cli_login(const char *cli, const char *email, const char *pw, char *tok)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s login %s '%s'", cli, email, pw);
    assert_int_equal(it_run(cmd, tok, 128), 0);
    tok[strcspn(tok, "\n")] = '\0';
    assert_int_equal(strlen(tok), 43);
}

static void test_cli(void **state)
{
    (void)state;
    const char *cli = it_cli();
    char cmd[2048], out[8192], tok[128], tok2[128], adm[128];
    khnet_ctx *a = admin();
    khnet_free(a);
    cli_login(cli, "root2@example.org", ADMIN_PW, adm);

    /* partners: create prints the key; list, update, rekey; a member gets 403 (exit 1) */
    snprintf(cmd, sizeof cmd,
             "%s --token %s partners create 'Đại học Khánh Hòa' https://ukh.edu.vn", cli, adm);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"key\":\""));
    assert_non_null(strstr(out, "\"origins\":[\"https://ukh.edu.vn\"]"));
    char *idp = strstr(out, "\"id\":");
    assert_non_null(idp);
    long pid = strtol(idp + 5, NULL, 10);
    char key[44];
    char *kp = strstr(out, "\"key\":\"") + 7;
    memcpy(key, kp, 43);
    key[43] = '\0';
    snprintf(cmd, sizeof cmd, "%s --token %s partners", cli, adm);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "Đại học Khánh Hòa"));
    snprintf(cmd, sizeof cmd,
             "%s --token %s partners update %ld --disable https://a.example https://b.example", cli,
             adm, pid);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"disabled\":true"));
    assert_non_null(strstr(out, "\"https://b.example\""));
    snprintf(cmd, sizeof cmd, "%s --token %s partners update %ld --enable", cli, adm, pid);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"disabled\":false"));
    snprintf(cmd, sizeof cmd, "%s --token %s partners update %ld --bogus", cli, adm, pid);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s register cli.p@example.org '" PW "' %s", cli, key);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    snprintf(cmd, sizeof cmd, "%s --token %s partners rekey %ld", cli, adm, pid);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_null(strstr(out, key));
    snprintf(cmd, sizeof cmd, "%s register cli.q@example.org '" PW "' %s 2>&1", cli, key);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "X-Partner-Key"));

    /* profile create (stdin) and patch; a member's partners list is 403 */
    cli_login(cli, "cli.p@example.org", PW, tok);
    snprintf(cmd, sizeof cmd,
             "echo '{\"full_name\":\"Lê Thị Riêng\"}' | %s --token %s profile create - && "
             "%s --token %s profile patch me '{\"version\":1,\"city\":\"Cam Ranh\"}'",
             cli, tok, cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"full_name\":\"Lê Thị Riêng\""));
    assert_non_null(strstr(out, "\"city\":\"Cam Ranh\""));
    snprintf(cmd, sizeof cmd, "%s --token %s partners list 2>&1", cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "HTTP 403 forbidden"));

    /* role (admin) then import as the new liaison */
    snprintf(cmd, sizeof cmd, "%s --token %s whoami", cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    long me = strtol(strstr(out, "\"id\":") + 5, NULL, 10);
    snprintf(cmd, sizeof cmd, "%s --token %s role %ld liaison", cli, adm, me);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"previous_role\":\"member\""));
    snprintf(cmd, sizeof cmd, "%s --token %s role %ld king 2>&1", cli, adm, me);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "(field role)"));
    snprintf(cmd, sizeof cmd,
             "printf '{\"external_id\":\"cli-1\",\"full_name\":\"Phạm Văn Đồng\"}\\n' | "
             "%s --token %s import jsonl -",
             cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"imported\":true"));
    assert_non_null(strstr(out, "\"created\":1"));
    snprintf(cmd, sizeof cmd, "%s --token %s import jsonl /nonexistent/file", cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);

    /* sessions: list, revoke the other one, logout-all */
    cli_login(cli, "cli.p@example.org", PW, tok2);
    snprintf(cmd, sizeof cmd, "%s --token %s sessions", cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"current\":true"));
    long sid = strtol(strstr(out, "\"id\":") + 5, NULL, 10); /* newest: tok2's */
    snprintf(cmd, sizeof cmd,
             "%s --token %s sessions revoke %ld && %s --token %s whoami 2>/dev/null", cli, tok, sid,
             cli, tok2);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    snprintf(cmd, sizeof cmd, "%s --token %s sessions revoke x", cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);

    /* password change (stdin), then logout-all */
    snprintf(cmd, sizeof cmd,
             "printf '%%s\\n%%s\\n' '" PW "' '" PW2 "' | %s --token %s password change - -", cli,
             tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    snprintf(cmd, sizeof cmd, "%s --token %s password change wrong-password '" PW2 "' 2>&1", cli,
             tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "(field current_password)"));
    snprintf(cmd, sizeof cmd,
             "%s --token %s sessions logout-all && %s --token %s whoami 2>/dev/null", cli, tok, cli,
             tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);

    /* password reset and confirm */
    snprintf(cmd, sizeof cmd, "%s password reset cli.p@example.org", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    assert_string_equal(out, "");
    char rtok[44];
    reset_token("cli.p@example.org", rtok);
    snprintf(cmd, sizeof cmd, "%s password reset-confirm %s '" PW "'", cli, rtok);
    assert_int_equal(it_run(cmd, out, sizeof out), 0);
    snprintf(cmd, sizeof cmd, "%s password reset-confirm %s '" PW "' 2>&1", cli, rtok);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "(field token)"));
    snprintf(cmd, sizeof cmd, "%s password 2>/dev/null", cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 2);

    /* erase: wrong password 403, then the account is gone */
    cli_login(cli, "cli.p@example.org", PW, tok);
    snprintf(cmd, sizeof cmd, "%s --token %s erase 'not my password' 2>&1", cli, tok);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "(field password)"));
    snprintf(cmd, sizeof cmd,
             "echo '" PW "' | %s --token %s erase - && %s login cli.p@example.org '" PW
             "' 2>/dev/null",
             cli, tok, cli);
    assert_int_equal(it_run(cmd, out, sizeof out), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sessions),
                                       cmocka_unit_test(test_passwords),
                                       cmocka_unit_test(test_roles_and_profile),
                                       cmocka_unit_test(test_partners), cmocka_unit_test(test_cli)};
    return cmocka_run_group_tests_name("it_accounts2", tests, NULL, NULL);
}
