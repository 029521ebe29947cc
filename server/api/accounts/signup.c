/* accounts.c — sign-up, login, "me", password change and role changes.
 * scrypt runs on the threadpool (api_offload); everything else is one
 * query per step.  Login needs two steps (fetch the hash, then create the
 * session) because the hash must be checked in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

enum { PW_MIN = 10, PW_MAX = 200 };

/* State of one sign-up, login or password change, in the request arena.
 * The pool thread reads pw/pw2/stored and writes hash/ok only. */
typedef struct cred {
    char email[AUTH_EMAIL_MAX + 1]; /* normalised */
    char *pw;                       /* password (NUL-terminated copy) */
    char *pw2;                      /* new password (change only) */
    char stored[AUTH_HASH_MAX];     /* hash to check against */
    char hash[AUTH_HASH_MAX];       /* new hash */
    char partner[AUTH_DIGEST_HEX];  /* partner key digest, or "" */
    api_idem idem;                  /* sign-up: Idempotency-Key parameters */
    auth_scrypt prm;                /* for new hashes */
    char account[24];               /* account id, text */
    bool known;                     /* login: the e-mail exists */
    int ok;                         /* verify result / hash result */
} cred;

static cred *cred_new(http_req *r)
{
    cred *c = kp_arena_alloc(http_req_arena(r), sizeof *c);
    if (c) {
        memset(c, 0, sizeof *c);
        c->prm = ((api_ctx *)http_req_app(r))->scrypt;
    } else {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
    }
    return c;
}

/* A required password field, copied NUL-terminated into the arena. */
static char *get_password(http_req *r, const kp_value *b, const char *key)
{
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (kp_get_str(b, key, true, PW_MIN, PW_MAX, &s, &n, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return NULL;
    }
    char *copy = kp_arena_strndup(http_req_arena(r), s, n);
    if (!copy) http_reply_error(r, 500, "internal", "out of memory", NULL);
    return copy;
}

/* {email, password} into c; replies 400 and returns -1 when invalid. */
static int read_credentials(http_req *r, cred *c)
{
    static const char *const allowed[] = {"email", "password", NULL};
    const kp_value *b = api_body(r, allowed);
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (!b) return -1;
    if (kp_get_str(b, "email", true, 3, AUTH_EMAIL_MAX, &s, &n, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return -1;
    }
    if (!auth_email_normalize(s, n, c->email)) {
        http_reply_error(r, 400, "invalid_value", "not an e-mail address", "email");
        return -1;
    }
    c->pw = get_password(r, b, "password");
    return c->pw ? 0 : -1;
}

static void write_account(kp_buf *b, const PGresult *res, int extra)
{
    kp_w_map(b, (uint32_t)(3 + extra));
    kp_w_cstr(b, "id");
    kp_w_int(b, strtoll(api_col(res, "id"), NULL, 10));
    kp_w_cstr(b, "email");
    kp_w_cstr(b, api_col(res, "email"));
    kp_w_cstr(b, "role");
    kp_w_cstr(b, api_col(res, "role"));
}

/* ---- POST /v1/accounts ------------------------------------------------------ */
static void hash_pw(void *data)
{
    cred *c = data;
    c->ok = auth_password_hash(c->pw, strlen(c->pw), &c->prm, c->hash) == 0;
}

static void register_done(http_req *r, const PGresult *res)
{
    const char *st = api_col(res, "status");
    if (api_idem_check(r, api_col(res, "idem")) != 0) return;
    if (st && !strcmp(st, "conflict")) {
        http_reply_error(r, 409, "conflict", "an account with this e-mail exists", "email");
    } else if (st && !strcmp(st, "bad_partner")) {
        http_reply_error(r, 400, "invalid_value", "unknown partner key", "X-Partner-Key");
    } else if (st && !strcmp(st, "ok")) {
        write_account(http_req_out(r), res, 0);
        http_reply(r, 201);
    } else {
        http_reply_error(r, 500, "internal", "internal error", NULL);
    }
}

static void register_hashed(http_req *r, void *data)
{
    cred *c = data;
    if (!c->ok) {
        http_reply_error(r, 500, "internal", "cannot hash the password", NULL);
        return;
    }
    const char *params[6] = {
        c->email,          c->hash,           c->partner[0] ? c->partner : NULL,
        c->idem.params[0], c->idem.params[1], c->idem.params[2]};
    api_query(r, STMT_REGISTER, 6, params, register_done);
}

void api_register(http_req *r)
{
    cred *c = cred_new(r);
    if (!c || read_credentials(r, c) != 0) return;
    size_t kn;
    const char *key = http_req_header(r, "x-partner-key", &kn);
    if (key) {
        uint8_t d[AUTH_DIGEST_LEN];
        auth_sha256(key, kn, d);
        auth_digest_hex(d, c->partner);
    }
    if (api_idem_begin(r, 0, &c->idem) != 0) return;
    if (api_rate_limit(r, c->email) != 0) return;
    api_offload(r, hash_pw, register_hashed, c);
}

/* ---- POST /v1/sessions ---------------------------------------------------- */
static void verify_pw(void *data)
{
    cred *c = data;
    int ok = auth_password_verify(c->pw, strlen(c->pw), c->stored) == 1;
    c->ok = ok && c->known;
}

static void login_done(http_req *r, const PGresult *res, void *data)
{
    cred *c = data;
    const char *exp = api_col(res, "expires_at");
    if (!exp) {
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 3);
    kp_w_cstr(b, "token");
    kp_w_cstr(b, c->hash); /* the token (hash[] is reused to hold it) */
    kp_w_cstr(b, "expires_at");
    kp_w_cstr(b, exp);
    kp_w_cstr(b, "account");
    write_account(b, res, 0);
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

static void login_verified(http_req *r, void *data)
{
    cred *c = data;
    uint8_t d[AUTH_DIGEST_LEN];
    char hex[AUTH_DIGEST_HEX], ttl[16], addr[64];
    if (!c->ok) {
        api_unauthenticated(r, "wrong e-mail or password"); /* RFC 9110: every 401 names a scheme */
        return;
    }
    if (auth_token_new(c->hash, d) != 0) {
        http_reply_error(r, 500, "internal", "no randomness", NULL);
        return;
    }
    auth_digest_hex(d, hex);
    snprintf(ttl, sizeof ttl, "%d", ((api_ctx *)http_req_app(r))->cfg->session_ttl_hours);
    bool have_addr = http_req_peer(r, addr, sizeof addr) == 0;
    const char *params[5] = {c->account, hex, ttl, user_agent(r), have_addr ? addr : NULL};
    api_query_with(r, STMT_SESSION_CREATE, 5, params, login_done, c);
}

static void login_found(http_req *r, const PGresult *res, void *data)
{
    cred *c = data;
    const char *id = api_col(res, "id"), *stored = api_col(res, "password_hash");
    c->known = id && stored && strlen(stored) < sizeof c->stored;
    if (c->known) {
        snprintf(c->account, sizeof c->account, "%s", id);
        memcpy(c->stored, stored, strlen(stored) + 1);
    } else if (auth_password_dummy(&c->prm, c->stored) != 0) { /* same work as a miss */
        http_reply_error(r, 500, "internal", "internal error", NULL);
        return;
    }
    api_offload(r, verify_pw, login_verified, c);
}

void api_login(http_req *r)
{
    cred *c = cred_new(r);
    if (!c || read_credentials(r, c) != 0) return;
    if (api_rate_limit(r, c->email) != 0) return;
    const char *params[1] = {c->email};
    api_query_with(r, STMT_LOGIN_LOOKUP, 1, params, login_found, c);
}
