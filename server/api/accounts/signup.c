/* signup.c — sign-up (POST /v1/accounts) and login (POST /v1/sessions).
 * scrypt runs on the threadpool (the kit's api_pw_*); everything else is
 * one query per step.  Login needs two steps (fetch the hash, then create
 * the session) because the hash must be checked in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"

/* One sign-up or login, in the request arena. */
typedef struct cred {
    char email[AUTH_EMAIL_MAX + 1]; /* normalised */
    char partner[AUTH_DIGEST_HEX];  /* partner key digest, or "" */
    char token[AUTH_TOKEN_LEN + 1]; /* login: the new session's token */
    api_idem idem;                  /* sign-up: Idempotency-Key parameters */
    api_pw *pw;                     /* the password step */
} cred;

/* {email, password} into a new cred; replies 400 and returns NULL. */
static cred *read_credentials(http_req *r)
{
    static const char *const allowed[] = {"email", "password", NULL};
    const kp_value *b = api_body(r, allowed);
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (!b) return NULL;
    if (kp_get_str(b, "email", true, 3, AUTH_EMAIL_MAX, &s, &n, &e) < 0) {
        api_fail_kperr(r, &e);
        return NULL;
    }
    cred *c = kp_arena_alloc(http_req_arena(r), sizeof *c);
    if (!c) {
        api_oom(r);
        return NULL;
    }
    memset(c, 0, sizeof *c);
    if (!auth_email_normalize(s, n, c->email)) {
        api_fail(r, "invalid_value", "not an e-mail address", "email");
        return NULL;
    }
    if (!(c->pw = api_pw_new(r, c)) || !(c->pw->password = api_password(r, b, "password")))
        return NULL;
    return c;
}

/* ---- POST /v1/accounts ------------------------------------------------------ */
static void register_done(http_req *r, const PGresult *res)
{
    if (api_idem_check(r, api_col(res, "idem")) == 0) api_reply_row(r, res);
}

static void register_hashed(http_req *r, api_pw *pw)
{
    const cred *c = pw->data;
    const char *params[6] = {
        c->email,          pw->hash,          c->partner[0] ? c->partner : NULL,
        c->idem.params[0], c->idem.params[1], c->idem.params[2]};
    api_query(r, ACC_STMT(REGISTER), 6, params, register_done);
}

void api_register(http_req *r)
{
    cred *c = read_credentials(r);
    if (!c) return;
    size_t kn;
    const char *key = http_req_header(r, "x-partner-key", &kn);
    if (key) {
        uint8_t d[AUTH_DIGEST_LEN];
        auth_sha256(key, kn, d);
        auth_digest_hex(d, c->partner);
    }
    if (api_idem_begin(r, 0, &c->idem) != 0) return;
    if (api_rate_limit(r, c->email) != 0) return;
    api_pw_hash(r, c->pw, register_hashed);
}

/* ---- POST /v1/sessions ---------------------------------------------------- */
/* The session's {expires_at, account} and the token: only its hash went to
 * the database. */
static void login_done(http_req *r, const PGresult *res, void *data)
{
    const cred *c = data;
    bool created;
    const kp_value *doc = api_row_body(r, res, &created);
    if (!doc) return;
    api_write_doc_plus(r, doc, NULL, 1);
    kp_w_cstr(http_req_out(r), "token");
    kp_w_cstr(http_req_out(r), c->token);
    http_reply(r, 201);
}

/* Printable ASCII only, cut: the header is the client's, the column text. */
static const char *user_agent(http_req *r)
{
    size_t n;
    const char *ua = http_req_header(r, "user-agent", &n);
    if (!ua) return NULL;
    if (n > 256) n = 256;
    char *s = kp_arena_strndup(http_req_arena(r), ua, n);
    for (char *p = s; p && *p; p++)
        if (*p < ' ' || *p > '~') *p = '?';
    return s;
}

static void login_verified(http_req *r, api_pw *pw)
{
    cred *c = pw->data;
    uint8_t d[AUTH_DIGEST_LEN];
    char hex[AUTH_DIGEST_HEX], ttl[16], addr[64];
    if (pw->ok != 1) { /* wrong, unknown, or an unreadable stored hash */
        api_unauthenticated(r, "wrong e-mail or password"); /* RFC 9110: every 401 names a scheme */
        return;
    }
    if (auth_token_new(c->token, d) != 0) {
        api_fail(r, "internal", "internal error", NULL);
        return;
    }
    auth_digest_hex(d, hex);
    snprintf(ttl, sizeof ttl, "%d", ((api_ctx *)http_req_app(r))->cfg->session_ttl_hours);
    bool have_addr = http_req_peer(r, addr, sizeof addr) == 0;
    const char *params[5] = {pw->account, hex, ttl, user_agent(r), have_addr ? addr : NULL};
    api_query_with(r, ACC_STMT(SESSION_CREATE), 5, params, login_done, c);
}

void api_login(http_req *r)
{
    cred *c = read_credentials(r);
    if (!c || api_rate_limit(r, c->email) != 0) return;
    api_pw_check(r, ACC_STMT(LOGIN_LOOKUP), c->email, c->pw, login_verified);
}
