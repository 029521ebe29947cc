/* api.h — the endpoints: one file per domain, each a handler that reads top
 * to bottom (decode → check permission → one query → encode), plus the
 * route table and the statements every worker's pool prepares.
 *
 * Handlers get their context through http_req_app(); it is the worker's
 * api_ctx, so it belongs to the handler's thread. */
#ifndef KHNET_API_H
#define KHNET_API_H

#include "auth/auth.h"
#include "config.h"
#include "db/db.h"
#include "http/http.h"
#include "mail/mail.h"
#include "metrics.h"

/* The enabled partners' browser origins, cached per worker (partners.c):
 * refreshed every cfg->cors_refresh_ms by one query from api_tick, and at
 * once from the result of this worker's own partner writes. */
typedef struct api_cors {
    char *text;        /* malloc: the origins, NUL-separated */
    const char **list; /* malloc: sorted pointers into text */
    int n;             /* entries in list */
    uint64_t next_ms;  /* loop time of the next refresh */
    uint64_t now_ms;   /* loop time of the last tick */
    bool loading;      /* a refresh query is in flight */
} api_cors;
typedef struct stream_hub stream_hub; /* stream.c: this worker's WebSocket streams */

typedef struct api_ctx {
    db_pool *db;                 /* this worker's pool */
    int worker_id;               /* index of this worker */
    metrics *const *all_metrics; /* every worker's counters, for /metrics */
    int nworkers;                /* entries in all_metrics */
    const config *cfg;           /* shared, read-only settings */
    auth_scrypt scrypt;          /* parameters for new password hashes */
    auth_rl *rl_addr;            /* login/sign-up buckets per client address (all workers') */
    auth_rl *rl_email;           /* login/sign-up buckets per e-mail (all workers') */
    api_cors cors;               /* partner origins for the CORS hook */
    const mail_sender *mailer;   /* delivers password reset tokens */
    stream_hub *hub;             /* real-time streams (NULL: not started) */
} api_ctx;

/* The login/sign-up rate limiters, one pair for the whole process (every
 * worker takes from the same buckets); 0 or -1.  Free with auth_rl_free
 * after the workers are gone. */
int api_rate_limiters_new(const config *cfg, auth_rl **by_addr, auth_rl **by_email);
/* Sets up the auth part of ctx (cfg, scrypt, the shared rate limiters).
 * api_ctx_auth_free releases what is the worker's own (safe on a
 * half-built ctx); the limiters stay. */
void api_ctx_auth_init(api_ctx *ctx, const config *cfg, auth_rl *by_addr, auth_rl *by_email);
void api_ctx_auth_free(api_ctx *ctx);

/* ---- CORS (partners.c) ---------------------------------------------------- */
/* The http_server.cors_origin hook: is `origin` an enabled partner's?
 * Answers from the worker's cache (s->app is the api_ctx). */
bool api_cors_allowed(http_server *s, const char *origin, size_t len);
/* Called from the worker's periodic tick with the loop time: refreshes the
 * cache when due (one query, never two in flight). */
void api_tick(api_ctx *ctx, uint64_t now_ms);
/* Frees the cache (api_ctx_auth_free calls it). */
void api_cors_free(api_cors *c);

/* Statement ids: indexes into api_stmts. */
enum api_stmt {
    STMT_INFO,
    STMT_REGISTER,
    STMT_LOGIN_LOOKUP,
    STMT_SESSION_CREATE,
    STMT_SESSION_AUTH,
    STMT_SESSIONS_LIST,
    STMT_SESSIONS_REVOKE,
    STMT_ACCOUNT_GET,
    STMT_PASSWORD_SET,
    STMT_ROLE_SET,
    STMT_PROFILE_GET,
    STMT_PROFILE_LIST,
    STMT_CORS_ORIGINS,
    STMT_PARTNERS_LIST,
    STMT_PARTNER_CREATE,
    STMT_PARTNER_UPDATE,
    STMT_PARTNER_REKEY,
    STMT_RESET_CREATE,
    STMT_RESET_CONFIRM,
    STMT_PROFILE_PATCH,
    STMT_PROFILE_CREATE,
    STMT_CONV_CREATE,
    STMT_CONV_LIST,
    STMT_CONV_GET,
    STMT_CONV_TITLE,
    STMT_CONV_MEMBER_ADD,
    STMT_CONV_MEMBER_REMOVE,
    STMT_CONV_READ,
    STMT_UNREAD,
    STMT_MSG_SEND,
    STMT_MSG_HISTORY,
    STMT_MSG_CHANGE,
    STMT_BLOCK_SET,
    STMT_BLOCKS_LIST,
    STMT_REPORT_MESSAGE,
    STMT_REPORTS_LIST,
    STMT_REPORT_RESOLVE,
    STMT_SILENCE,
    STMT_SEARCH_EXPERTS,
    STMT_SEARCH_FIT,
    STMT_SEARCH_SIMILAR,
    STMT_SEARCH_SUGGEST,
    STMT_EVENTS_AFTER,
    STMT_EVENTS_LATEST,
    STMT_SESSIONS_DEAD,
    STMT_ACCOUNT_EXPORT,
    STMT_ACCOUNT_ERASE,
    STMT_PROFILES_IMPORT,
    STMT_SAVED_CREATE,
    STMT_SAVED_LIST,
    STMT_SAVED_DELETE,
    STMT_SAVED_NEW,
    STMT_PROFILE_GET_BY_TOKEN,
    API_NSTMTS
};
extern const db_stmt api_stmts[API_NSTMTS];

extern const http_route api_routes[];
extern const int api_nroutes;

/* Handlers (one file each domain). */
void api_healthz(http_req *r);
void api_metrics(http_req *r);
void api_info(http_req *r);
void api_echo(http_req *r);
void api_profile_get(http_req *r); /* profiles.c */
void api_profile_list(http_req *r);
void api_profile_me(http_req *r); /* profiles_edit.c */
void api_profile_create(http_req *r);
void api_profile_patch(http_req *r);
void api_profiles_import(http_req *r); /* import.c */
void api_account_export(http_req *r);  /* data_rights.c */
void api_account_erase(http_req *r);
void api_register(http_req *r);
void api_login(http_req *r);
void api_me(http_req *r);
void api_password_change(http_req *r);
void api_role_set(http_req *r);
void api_sessions_list(http_req *r);
void api_logout(http_req *r);
void api_logout_all(http_req *r);
void api_session_revoke(http_req *r);
void api_partners_list(http_req *r); /* partners.c */
void api_partner_create(http_req *r);
void api_partner_update(http_req *r);
void api_partner_rekey(http_req *r);
void api_reset_request(http_req *r); /* resets.c */
void api_reset_confirm(http_req *r);
void api_search_experts(http_req *r); /* search.c */
void api_search_fit(http_req *r);
void api_search_similar(http_req *r);
void api_suggest(http_req *r);
void api_saved_create(http_req *r); /* saved_searches.c */
void api_saved_list(http_req *r);
void api_saved_delete(http_req *r);
void api_saved_new(http_req *r);
void api_conv_create(http_req *r); /* conversations.c */
void api_conv_list(http_req *r);
void api_conv_get(http_req *r);
void api_conv_title(http_req *r);
void api_conv_member_add(http_req *r);
void api_conv_member_remove(http_req *r);
void api_conv_read(http_req *r);
void api_unread(http_req *r);
void api_msg_send(http_req *r); /* messages.c */
void api_msg_history(http_req *r);
void api_msg_edit(http_req *r);
void api_msg_delete(http_req *r);
void api_block(http_req *r); /* moderation.c */
void api_unblock(http_req *r);
void api_blocks_list(http_req *r);
void api_report_message(http_req *r);
void api_reports_list(http_req *r);
void api_report_resolve(http_req *r);
void api_silence(http_req *r);
void api_stream(http_req *r); /* stream.c */
void api_events(http_req *r);

/* ---- expert search (search.c), shared with saved searches ----------------- */
/* Validates `query` (a map) exactly as POST /v1/search/experts validates its
 * body and fills p[2..13], khnet_search_experts' parameters after the
 * viewer's two (p[10] is the sort it will run with); strings live in the
 * request's arena.  0, or -1 with e naming the field as the search does. */
int api_search_parse(http_req *r, const kp_value *query, const char **p, kp_err *e);
/* Replies with khnet_search_experts' JSON answer as the search does (its
 * next_key as the opaque cursor for the answer's sort; an {error} as 400). */
void api_search_answer(http_req *r, const PGresult *res);

/* ---- real-time streams (stream.c) ---------------------------------------- */
/* Starts the worker's LISTEN connection and stream registry; NULL on failure. */
stream_hub *stream_hub_new(uv_loop_t *loop, api_ctx *ctx);
/* Closes the hub's own handles (streams are closed by the HTTP drain), then
 * done(data). */
void stream_hub_close(stream_hub *h, void (*done)(void *), void *data);
size_t stream_hub_clients(const stream_hub *h);

/* ---- authentication (auth.c) ------------------------------------------- */
typedef enum api_role { ROLE_MEMBER, ROLE_MODERATOR, ROLE_LIAISON, ROLE_ADMIN } api_role;

typedef struct api_principal {
    int64_t account_id; /* who is calling */
    int64_t session_id; /* through which session */
    api_role role;      /* with what rights */
} api_principal;

/* Continues a request once its caller is known; `who` lives in the
 * request's arena. */
typedef void (*api_authed)(http_req *r, const api_principal *who);
/* Reads `Authorization: Bearer`, looks the session up (one query) and calls
 * next, or replies 401 unauthenticated with WWW-Authenticate: Bearer. */
void api_authenticate(http_req *r, api_authed next);
/* The same for a token taken from elsewhere (e.g. ?access_token= on a
 * WebSocket upgrade, where browsers cannot set headers). */
void api_authenticate_token(http_req *r, const char *token, size_t len, api_authed next);
/* Replies 401 unauthenticated with WWW-Authenticate: Bearer. */
void api_unauthenticated(http_req *r, const char *msg);
/* For handlers whose own statement checks the token (one round trip, e.g.
 * khnet_profile_view_by_token): *hex = the bearer token's SHA-256 as bytea
 * hex text in the request's arena, or NULL when no Authorization was sent;
 * a malformed header or token is replied 401 here and gives -1. */
int api_bearer_hex(http_req *r, const char **hex);
/* Takes a login/sign-up token for the client address and `email`; on
 * refusal replies 429 rate_limited with Retry-After and returns -1. */
int api_rate_limit(http_req *r, const char *email);
/* Runs fn(data) on the libuv threadpool (for scrypt), then after(r, data)
 * back on the loop.  Replies 500 itself when the work cannot be queued. */
void api_offload(http_req *r, void (*fn)(void *data), void (*after)(http_req *r, void *data),
                 void *data);

/* ---- idempotency keys (idempotency.c) -------------------------------------
 * For writes that take an Idempotency-Key: the claim, the write and the
 * stored result are one SQL function call (see khnet_idem_claim in
 * migrations/0002), so this side only supplies its three parameters and
 * reads the verdict. */
typedef struct api_idem {
    const char *params[3]; /* scope, key, fingerprint (bytea hex); all NULL without a key */
} api_idem;
/* Reads Idempotency-Key; fills `out` (params NULL without the header).
 * The scope is the caller (account id, or client address when anonymous)
 * plus the method and path; the fingerprint is the SHA-256 of method, path
 * and the body re-encoded as msgpack (so a JSON and a msgpack retry are the
 * same request).  On a malformed key replies 400 invalid_value (field
 * Idempotency-Key) and returns -1. */
int api_idem_begin(http_req *r, int64_t account_id, api_idem *out);
/* After the write's statement: `idem` is its idem column.  "mismatch" →
 * replies 422 idempotency_mismatch and returns -1; "replay" → adds
 * Idempotent-Replay: true and returns 0 (encode the row as usual). */
int api_idem_check(http_req *r, const char *idem);

/* Sends a query for `r` whose result `done` encodes; on any database
 * failure the client gets the documented 503/500 and `done` is not called.
 * Replies 503 db_unavailable itself when the pool refuses the query. */
typedef void (*api_done)(http_req *r, const PGresult *res);
void api_query(http_req *r, int stmt, int nparams, const char *const *values, api_done done);
/* The same, handing `data` (e.g. arena state) to the callback. */
typedef void (*api_done_with)(http_req *r, const PGresult *res, void *data);
void api_query_with(http_req *r, int stmt, int nparams, const char *const *values,
                    api_done_with done, void *data);

/* The request body as a map holding only `allowed` keys (NULL-terminated);
 * replies 400 (missing_field "body", or the codec's error naming the field)
 * and returns NULL otherwise. */
const kp_value *api_body(http_req *r, const char *const *allowed);

/* Text of a column of row 0, or NULL when NULL. */
const char *api_col(const PGresult *res, const char *name);

#endif
