/* resets.c — password reset by e-mailed token: request one (always 202, so
 * the answer never tells whether an account exists), then confirm it with a
 * new password (all sessions revoked).  Tokens are 256-bit random values;
 * only their SHA-256 is stored, they live one hour and work once.  Delivery
 * goes through the worker's mail_sender (mail/mail.h). */
#include <stdio.h>
#include <string.h>

#include "api.h"

enum { PW_MIN = 10, PW_MAX = 200 };

/* ---- POST /v1/password-resets ------------------------------------------------ */
typedef struct reset_req {
    char email[AUTH_EMAIL_MAX + 1]; /* normalised */
    char token[AUTH_TOKEN_LEN + 1]; /* to mail when the account exists */
} reset_req;

static void reset_created(http_req *r, const PGresult *res, void *data)
{
    const reset_req *q = data;
    const mail_sender *m = ((api_ctx *)http_req_app(r))->mailer;
    if (PQntuples(res) > 0 && m->send_reset(m, q->email, q->token) != 0)
        log_event("error", "msg=\"reset mail not accepted\" rid=%s sender=%s", http_req_id(r),
                  m->name);
    http_reply(r, 202); /* the same answer whether or not the account exists */
}

void api_reset_request(http_req *r)
{
    static const char *const allowed[] = {"email", NULL};
    const kp_value *b = api_body(r, allowed);
    const char *s;
    uint32_t n;
    kp_err e = {0};
    if (!b) return;
    if (kp_get_str(b, "email", true, 3, AUTH_EMAIL_MAX, &s, &n, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return;
    }
    reset_req *q = kp_arena_alloc(http_req_arena(r), sizeof *q);
    uint8_t d[AUTH_DIGEST_LEN];
    char hex[AUTH_DIGEST_HEX];
    if (!q) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    if (!auth_email_normalize(s, n, q->email)) {
        http_reply_error(r, 400, "invalid_value", "not an e-mail address", "email");
        return;
    }
    if (api_rate_limit(r, q->email) != 0) return;
    if (auth_token_new(q->token, d) != 0) {
        http_reply_error(r, 500, "internal", "no randomness", NULL);
        return;
    }
    auth_digest_hex(d, hex);
    const char *params[2] = {q->email, hex};
    api_query_with(r, STMT_RESET_CREATE, 2, params, reset_created, q);
}

/* ---- POST /v1/password-resets/confirm -------------------------------------------- */
typedef struct reset_conf {
    char *pw;                     /* new password, NUL-terminated, arena */
    char digest[AUTH_DIGEST_HEX]; /* token hash, bytea hex */
    char hash[AUTH_HASH_MAX];     /* new password hash */
    auth_scrypt prm;              /* for it */
    int ok;                       /* hashing succeeded */
} reset_conf;

static void bad_token(http_req *r)
{
    http_reply_error(r, 400, "invalid_value", "the reset token is unknown, used or expired",
                     "token");
}

static void confirmed(http_req *r, const PGresult *res)
{
    const char *n = api_col(res, "n");
    if (n && strcmp(n, "0") != 0)
        http_reply(r, 204);
    else
        bad_token(r);
}

static void hash_new(void *data)
{
    reset_conf *c = data;
    c->ok = auth_password_hash(c->pw, strlen(c->pw), &c->prm, c->hash) == 0;
}

static void hashed(http_req *r, void *data)
{
    reset_conf *c = data;
    if (!c->ok) {
        http_reply_error(r, 500, "internal", "cannot hash the password", NULL);
        return;
    }
    const char *params[2] = {c->digest, c->hash};
    api_query(r, STMT_RESET_CONFIRM, 2, params, confirmed);
}

void api_reset_confirm(http_req *r)
{
    static const char *const allowed[] = {"token", "new_password", NULL};
    const kp_value *b = api_body(r, allowed);
    const char *tok, *pw;
    uint32_t tn, pn;
    kp_err e = {0};
    if (!b) return;
    if (kp_get_str(b, "token", true, 1, 64, &tok, &tn, &e) < 0 ||
        kp_get_str(b, "new_password", true, PW_MIN, PW_MAX, &pw, &pn, &e) < 0) {
        http_reply_kperr(r, 400, &e);
        return;
    }
    reset_conf *c = kp_arena_alloc(http_req_arena(r), sizeof *c);
    uint8_t d[AUTH_DIGEST_LEN];
    if (!c) {
        http_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    memset(c, 0, sizeof *c);
    if (auth_token_digest(tok, tn, d) != 0) {
        bad_token(r);
        return;
    }
    auth_digest_hex(d, c->digest);
    c->pw = kp_arena_strndup(http_req_arena(r), pw, pn);
    c->prm = ((api_ctx *)http_req_app(r))->scrypt;
    /* scrypt before the lookup: a wrong token costs the caller the same
     * time as a right one, and the token is checked and spent in the one
     * statement that sets the password */
    if (api_rate_limit(r, "reset-confirm") != 0) return;
    api_offload(r, hash_new, hashed, c);
}
