/* resets.c — password reset by e-mailed token: request one (always 202, so
 * the answer never tells whether an account exists), then confirm it with a
 * new password (all sessions revoked).  Tokens are 256-bit random values;
 * only their SHA-256 is stored, they live one hour and work once.  The
 * mail is queued by the statement that makes the token and delivered by the
 * mail pump (mail/mail.h). */
#include <string.h>

#include "accounts.h"
#include "log.h"

/* ---- POST /v1/password-resets ------------------------------------------------ */
typedef struct reset_req {
    char email[AUTH_EMAIL_MAX + 1]; /* normalised */
    char token[AUTH_TOKEN_LEN + 1]; /* to mail when the account exists */
} reset_req;

/* The token's mail is queued by the same statement; the pump sends it. */
static void reset_created(http_req *r, const PGresult *res)
{
    bool created;
    const kp_value *doc = api_row_body(r, res, &created);
    if (!doc) return;
    const kp_value *queued = kp_map_get(doc, "queued");
    if (queued && queued->type == KP_BOOL && queued->v.b) mail_pump_poke();
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
        api_fail_kperr(r, &e);
        return;
    }
    reset_req *q = kp_arena_alloc(http_req_arena(r), sizeof *q);
    uint8_t d[AUTH_DIGEST_LEN];
    char hex[AUTH_DIGEST_HEX];
    if (!q) {
        api_oom(r);
        return;
    }
    if (!auth_email_normalize(s, n, q->email)) {
        api_fail(r, "invalid_value", "not an e-mail address", "email");
        return;
    }
    if (api_rate_limit(r, q->email) != 0) return;
    if (auth_token_new(q->token, d) != 0) {
        api_fail(r, "internal", "no randomness", NULL);
        return;
    }
    auth_digest_hex(d, hex);
    const char *params[3] = {q->email, hex, q->token};
    api_query(r, ACC_STMT(RESET_CREATE), 3, params, reset_created);
}

/* ---- POST /v1/password-resets/confirm -------------------------------------------- */
#define RESET_UNKNOWN "the reset token is unknown, used or expired"

static void hashed(http_req *r, api_pw *pw)
{
    const char *params[2] = {pw->data, pw->hash}; /* token digest, new hash */
    api_query(r, ACC_STMT(RESET_CONFIRM), 2, params, api_reply_row_empty);
}

/* The token and new_password fields of b, for a link token that sets a
 * password (a reset, an invitation): a ready api_pw whose data is the
 * token's SHA-256 as bytea hex, or NULL after replying (400 per field;
 * `unknown` as invalid_value token for a token that cannot be one). */
api_pw *acc_token_password(http_req *r, const kp_value *b, const char *unknown)
{
    const char *tok;
    uint32_t tn;
    kp_err e = {0};
    if (kp_get_str(b, "token", true, 1, 64, &tok, &tn, &e) < 0) {
        api_fail_kperr(r, &e);
        return NULL;
    }
    char *digest = kp_arena_alloc(http_req_arena(r), AUTH_DIGEST_HEX);
    api_pw *pw = digest ? api_pw_new(r, digest) : (api_oom(r), NULL);
    if (!pw || !(pw->password = api_password(r, b, "new_password"))) return NULL;
    uint8_t d[AUTH_DIGEST_LEN];
    if (auth_token_digest(tok, tn, d) != 0) {
        api_fail(r, "invalid_value", unknown, "token");
        return NULL;
    }
    auth_digest_hex(d, digest);
    return pw;
}

void api_reset_confirm(http_req *r)
{
    static const char *const allowed[] = {"token", "new_password", NULL};
    const kp_value *b = api_body(r, allowed);
    api_pw *pw = b ? acc_token_password(r, b, RESET_UNKNOWN) : NULL;
    if (!pw) return;
    /* scrypt before the lookup: a wrong token costs the caller the same
     * time as a right one, and the token is checked and spent in the one
     * statement that sets the password */
    if (api_rate_limit(r, "reset-confirm") != 0) return;
    api_pw_hash(r, pw, hashed);
}
