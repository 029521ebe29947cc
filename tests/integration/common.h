/* common.h — what the integration suites (it_*.c) share: reading a reply's
 * fields, running a shell command, and making the accounts, profiles and
 * admins a case needs on the harness's khnetd (KHNET_URL, KHNETD and
 * KHNET_DATABASE_URL come from tests/harness.sh).  Every helper fails the
 * running cmocka test on anything unexpected, so callers check nothing more.
 * What only one suite needs stays in that suite. */
#ifndef KHNET_TESTS_INTEGRATION_COMMON_H
#define KHNET_TESTS_INTEGRATION_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "khnet.h"

#define PW "correct horse battery" /* the password of every member the suites make */

/* A member signed up and logged in through the generic call (khnet_call_json). */
typedef struct it_user {
    khnet_ctx *ctx; /* logged-in context; the caller frees it */
    int64_t id;     /* account id */
    char token[64]; /* bearer token */
} it_user;

/* The value of key in map; fails the test when map is NULL or has no key. */
const kp_value *it_map_get(const kp_value *map, const char *key);

/* The value of key in the reply's top-level map; fails when it has none. */
const kp_value *it_get(const khnet_reply *rep, const char *key);

/* The integer at key in the reply; fails unless there is one. */
int64_t it_get_int(const khnet_reply *rep, const char *key);

/* Asserts that v is the string want. */
void it_assert_str(const kp_value *v, const char *want);

/* Checks the error reply in *rep (rc KHNET_ERR_HTTP, status, code, and field
 * unless NULL), frees it and sets *rep to NULL.  rep is passed by address:
 * the call filling it is the argument beside. */
void it_expect_err(khnet_err rc, khnet_reply **rep, int status, const char *code,
                   const char *field);

/* Checks the success reply in *rep (rc KHNET_OK with that HTTP status; an
 * error reply's code and field are shown), frees it and sets *rep to NULL. */
void it_expect_ok(khnet_err rc, khnet_reply **rep, int status);

/* The number of hits in a search reply (experts or a saved search's new ones). */
uint32_t it_nhits(const khnet_reply *rep);

/* Runs a shell command; returns its exit status, its stdout (cut at cap - 1
 * bytes, NUL-terminated) in out. */
int it_run(const char *cmd, char *out, size_t cap);

/* KHNET_CLI, the `khnet` command; skips the running test when it is not set. */
const char *it_cli(void);

/* A new context on KHNET_URL; the caller frees it with khnet_free. */
khnet_ctx *it_connect(void);

/* A member registered with khnet_register and logged in with khnet_login, in
 * a new context the caller frees; its id in *id and its token in tok unless
 * they are NULL. */
khnet_ctx *it_account(const char *email, int64_t *id, char tok[64]);

/* A member (it_account) who creates a profile from profile_json; returns the
 * account id. */
int64_t it_make_profile(const char *email, const char *profile_json);

/* Signs email up on url with POST /v1/accounts and POST /v1/sessions, and
 * sets the token on u.ctx. */
it_user it_make_user(const char *url, const char *email);

/* `khnetd admin create` for email/password on KHNET_DATABASE_URL, with
 * extra_flags ("" for none) added to the command line. */
void it_admin_create(const char *email, const char *password, const char *extra_flags);

#endif
