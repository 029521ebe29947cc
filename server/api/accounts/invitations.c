/* invitations.c — imported people claim their account.  A liaison officer
 * or an admin invites accounts made by an import (one, a list, or every
 * uninvited one); each gets a single-use link token by mail (only its
 * SHA-256 is stored; the mail is queued by the same statement and sent by
 * the mail pump); the person claims the account with it, choosing a
 * password and accepting the terms.  SQL: repeatable/85_invitations.sql. */
#include <string.h>

#include "accounts.h"
#include "mail/mail.h"

enum { INVITE_MAX = 500 }; /* ids per request, and accounts per `all` call */

static bool officer(http_req *r, const api_principal *who)
{
    return api_allow(r, who, API_ROLE_BIT(ROLE_LIAISON) | API_ROLE_BIT(ROLE_ADMIN),
                     "only a liaison officer or an admin invites");
}

/* ---- POST /v1/invitations ------------------------------------------------------ */
/* n fresh tokens and their SHA-256 (hex, no \x) as two array literals. */
static int make_tokens(http_req *r, uint32_t n, const char **tokens, const char **hashes)
{
    char *t = kp_arena_alloc(http_req_arena(r), 2 + (size_t)n * ((size_t)AUTH_TOKEN_LEN + 1));
    char *h = kp_arena_alloc(http_req_arena(r), 2 + (size_t)n * (2 * (size_t)AUTH_DIGEST_LEN + 1));
    if (!t || !h) {
        api_oom(r);
        return -1;
    }
    size_t tk = 0, hk = 0;
    t[tk++] = h[hk++] = '{';
    for (uint32_t i = 0; i < n; i++) {
        char tok[AUTH_TOKEN_LEN + 1], hex[AUTH_DIGEST_HEX];
        uint8_t d[AUTH_DIGEST_LEN];
        if (auth_token_new(tok, d) != 0) {
            api_fail(r, "internal", "no randomness", NULL);
            return -1;
        }
        auth_digest_hex(d, hex);
        if (i) t[tk++] = h[hk++] = ',';
        memcpy(t + tk, tok, AUTH_TOKEN_LEN);
        tk += AUTH_TOKEN_LEN;
        memcpy(h + hk, hex + 2, 2 * (size_t)AUTH_DIGEST_LEN); /* without the \x */
        hk += 2 * (size_t)AUTH_DIGEST_LEN;
    }
    t[tk++] = h[hk++] = '}';
    t[tk] = h[hk] = '\0';
    *tokens = t;
    *hashes = h;
    return 0;
}

static void invited(http_req *r, const PGresult *res)
{
    mail_pump_poke(); /* the mails were queued by the statement */
    api_reply_row(r, res);
}

static void invite_authed(http_req *r, const api_principal *who)
{
    static const char *const allowed[] = {"account_ids", "all", NULL};
    if (!officer(r, who)) return;
    const kp_value *b = api_body(r, allowed), *arr = NULL;
    bool all = false;
    kp_err e = {0};
    if (!b) return;
    int has_ids = kp_get_array(b, "account_ids", false, INVITE_MAX, &arr, &e);
    int has_all = has_ids < 0 ? 0 : kp_get_bool(b, "all", false, &all, &e);
    if (has_ids < 0 || has_all < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    if ((has_ids > 0) == (has_all > 0 && all) || (has_all > 0 && !all)) {
        api_fail(r, "invalid_value", "give either account_ids or all: true", "all");
        return;
    }
    uint32_t n = INVITE_MAX;
    const char *ids = NULL, *tokens, *hashes;
    if (has_ids > 0 && arr->v.arr.n == 0) {
        api_fail(r, "too_short", "at least one account id", "account_ids");
        return;
    }
    if (has_ids > 0) {
        if (!(ids = api_id_array(r, arr, "account_ids", true))) return;
        n = arr->v.arr.n;
    }
    if (make_tokens(r, n, &tokens, &hashes) != 0) return;
    api_dec me = api_dec_of(who->account_id);
    const char *p[4] = {me.s, ids, tokens, hashes};
    api_query(r, ACC_STMT(INVITE), 4, p, invited);
}

void api_invite(http_req *r)
{
    api_authenticate(r, invite_authed);
}

/* ---- GET /v1/invitations ------------------------------------------------------ */
static void list_authed(http_req *r, const api_principal *who)
{
    const char *key, *limit;
    if (!officer(r, who) || api_page(r, "cursor", 50, &key, &limit) != 0) return;
    const char *p[2] = {key, limit};
    api_query(r, ACC_STMT(INVITATIONS_LIST), 2, p, api_reply_row);
}

void api_invitations_list(http_req *r)
{
    api_authenticate(r, list_authed);
}

/* ---- POST /v1/invitations/claim ----------------------------------------------- */
static void hashed(http_req *r, api_pw *pw)
{
    const char *p[2] = {pw->data, pw->hash}; /* token digest, new hash */
    api_query(r, ACC_STMT(INVITATION_CLAIM), 2, p, api_reply_row_empty);
}

void api_invitation_claim(http_req *r)
{
    static const char *const allowed[] = {"token", "new_password", "accept_terms", NULL};
    const kp_value *b = api_body(r, allowed);
    bool terms = false;
    kp_err e = {0};
    if (!b) return;
    if (kp_get_bool(b, "accept_terms", true, &terms, &e) < 0) {
        api_fail_kperr(r, &e);
        return;
    }
    if (!terms) {
        api_fail(r, "invalid_value", "the terms must be accepted", "accept_terms");
        return;
    }
    api_pw *pw = acc_token_password(r, b, "the invitation is unknown, used or expired");
    /* scrypt before the lookup, as for a reset: a wrong token costs what a
     * right one does; the token is checked and spent with the password */
    if (!pw || api_rate_limit(r, "invitation-claim") != 0) return;
    api_pw_hash(r, pw, hashed);
}
