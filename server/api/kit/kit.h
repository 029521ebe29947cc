/* kit.h — the request kit: what every handler shares, so that a handler
 * reads top to bottom (decode → check permission → one query → encode) and
 * none carries its own copy of an id parser, a limit rule, the bearer step,
 * the scrypt dance or the SQL-answer encoder.
 *
 * Conventions.  Every function that can refuse the request replies itself
 * (the right 4xx/5xx, a stable code) and tells the caller by returning NULL
 * or -1: the caller then just returns.  Strings handed back live in the
 * request's arena.  Errors are named by code only: the status comes from the
 * one error table (kp_error_status in proto/errors.c).
 *
 * Files: errors and replies (reply.c), input (input.c), the query bridge
 * (query.c), authentication and roles (auth.c), passwords and the threadpool
 * (password.c), idempotency keys (idempotency.c). */
#ifndef KHNET_API_KIT_H
#define KHNET_API_KIT_H

#include "api/api.h"

/* ---- errors and replies (reply.c) ------------------------------------------ */
/* Replies {error: {code, message, field?}} with the code's status. */
void api_fail(http_req *r, const char *code, const char *message, const char *field);
/* The same for a codec/validator error. */
void api_fail_kperr(http_req *r, const kp_err *e);
/* 500 internal "out of memory". */
void api_oom(http_req *r);

/* Rewrites a cursor key of a SQL document (next_key, prev_key) as the
 * opaque cursor the client sees; writes one msgpack value (the cursor or
 * nil) into b.  `data` is the caller's (e.g. the search's sort). */
typedef void (*api_cursor_fn)(kp_buf *b, const kp_value *key, void *data);
/* The default: a positive integer key as a profile-style cursor, else nil. */
void api_cursor_id(kp_buf *b, const kp_value *key, void *data);
/* The JSON document `json` (from SQL) decoded into the request's arena
 * (`lim` NULL = the request limits); NULL after replying 500 internal (no
 * document, not JSON, out of memory). */
const kp_value *api_json(http_req *r, const char *json, const kp_limits *lim);
/* Writes a decoded document into the reply buffer, cursor keys as below. */
void api_write_doc(http_req *r, const kp_value *doc, api_cursor_fn cursor, void *data);
/* Writes the JSON document `json` (from SQL) into the reply as msgpack; in
 * a top-level map, the keys next_key / prev_key become next / prev through
 * `cursor` (NULL: written as they are).  `lim` NULL = the request limits.
 * 0, or -1 after replying 500 internal (not JSON, out of memory). */
int api_write_json(http_req *r, const char *json, const kp_limits *lim, api_cursor_fn cursor,
                   void *data);
/* Replies `status` with the JSON document as the body (api_write_json). */
void api_reply_json(http_req *r, int status, const char *json, api_cursor_fn cursor, void *data);

/* The one shape of a SQL function's answer: one row (status, field, body).
 * status is "ok" or "created", or an error code of the table; field the
 * request field at fault (or NULL); body a JSON document: the answer, or for
 * an error {message, until?}.  api_reply_row turns it into the reply: "ok"
 * → ok_status (200, or 204 with no body), "created" → 201, an error →
 * {error: {code, message, field, until?}} with the code's status.  Cursor
 * keys in the body go through `cursor` (NULL: api_cursor_id). */
void api_reply_row_with(http_req *r, const PGresult *res, int ok_status, api_cursor_fn cursor,
                        void *data);
/* For a handler that adds to the answer: the row's body (a map, in the
 * arena) when status is "ok" or "created" (*created says which); otherwise
 * replies the error (or 500 internal) and returns NULL. */
const kp_value *api_row_body(http_req *r, const PGresult *res, bool *created);
/* The same with the body decoded under `lim` (NULL: the request limits). */
const kp_value *api_row_body_lim(http_req *r, const PGresult *res, const kp_limits *lim,
                                 bool *created);
/* Starts a map in the reply with the pairs of the map `doc` but the key
 * `skip` (NULL: none), and room for `extra` more pairs the caller writes
 * next (e.g. a token only khnetd knows). */
void api_write_doc_plus(http_req *r, const kp_value *doc, const char *skip, uint32_t extra);
/* Query callbacks: the row with ok_status 200 / 204. */
void api_reply_row(http_req *r, const PGresult *res);
void api_reply_row_empty(http_req *r, const PGresult *res);

/* ---- input (input.c) ------------------------------------------------------- */
/* Decimal text of a number, by value: no allocation, so nothing can fail
 * (query parameters are copied when sent, so a local is enough). */
typedef struct api_dec {
    char s[24]; /* NUL-terminated */
} api_dec;
api_dec api_dec_of(int64_t v);
/* Route parameter `name` when it is a positive decimal id (no sign, no
 * leading zero, at most 18 digits); otherwise replies 400 invalid_value
 * naming it and returns NULL. */
const char *api_path_id(http_req *r, const char *name);
/* Query parameter `name`: 1 and *out (decoded, in the arena), 0 when
 * absent, or -1 after replying (400 invalid_value naming it when badly
 * encoded, 500 internal when out of memory). */
int api_query_param(http_req *r, const char *name, const char **out);
/* ?limit= as 1..max (default def when absent).  The one rule for every
 * endpoint: not a decimal number → 400 invalid_value, a number outside
 * 1..max → 400 out_of_range, both with field "limit".  0 or -1. */
int api_limit(http_req *r, int def, int max, int *out);
/* A page: the id cursor query parameter `cursor` (NULL: none read) as
 * decimal text in *key (NULL when absent), and api_limit(def, 100) as text
 * in *limit.  Replies 400 and returns -1 on a bad one. */
int api_page(http_req *r, const char *cursor, int def, const char **key, const char **limit);
/* The request body as a map holding only `allowed` keys (NULL-terminated);
 * replies 400 (missing_field "body", or the codec's error) and returns NULL. */
const kp_value *api_body(http_req *r, const char *const *allowed);
/* A required string field of 1..max_chars code points and at most max_bytes
 * bytes, NUL-terminated in the arena; replies 400 and returns NULL. */
const char *api_str(http_req *r, const kp_value *b, const char *key, uint32_t max_chars,
                    size_t max_bytes);
/* An integer field `key` of the body map b in min..max: 1 with *out set, 0
 * when absent (only when not required; *out untouched), or -1 after
 * replying 400 (missing_field, invalid_type or out_of_range naming key). */
int api_int(http_req *r, const kp_value *b, const char *key, bool required, int64_t min,
            int64_t max, int64_t *out);
/* An array of account ids `arr` (the value of body field `key`) as a
 * PostgreSQL array literal "{1,2}" in the arena.  Each item is a positive
 * integer: another type is 400 invalid_type, zero, negative or past int64 is
 * 400 invalid_value, both naming `key.N`.  With `unique`, a repeated id is
 * 400 invalid_value too; without, repeats pass on (for SQL to fold).  NULL
 * after replying. */
const char *api_id_array(http_req *r, const kp_value *arr, const char *key, bool unique);
/* Is s[0..n) one of the NULL-terminated `set`? */
bool api_one_of(const char *s, size_t n, const char *const *set);
/* Does s[0..n) consist of min..max characters of `chars`? */
bool api_chars(const char *s, size_t n, const char *chars, size_t min, size_t max);
/* Degree levels (PROTOCOL.md "Profiles"), NULL-terminated. */
extern const char *const api_degree_levels[];
/* Text of column `name` of row 0, or NULL when NULL or absent. */
const char *api_col(const PGresult *res, const char *name);

/* ---- the query bridge (query.c) ------------------------------------------- */
/* Sends statement `stmt` (an element of a domain's stmts) for `r`; `done`
 * gets the result.  On any database failure the client gets the documented
 * 503/500 and `done` is not called. */
typedef void (*api_done)(http_req *r, const PGresult *res);
void api_query(http_req *r, const db_stmt *stmt, int nparams, const char *const *values,
               api_done done);
/* The same, handing `data` (e.g. arena state) to the callback. */
typedef void (*api_done_with)(http_req *r, const PGresult *res, void *data);
void api_query_with(http_req *r, const db_stmt *stmt, int nparams, const char *const *values,
                    api_done_with done, void *data);
/* For code outside a request (the stream hub, the CORS cache): db_query by
 * statement; 0 or -1 as db_query. */
int api_db_query(db_pool *db, const db_stmt *stmt, int nparams, const char *const *values, db_cb cb,
                 void *data);

/* ---- authentication and roles (auth.c) ------------------------------------- */
typedef enum api_role { ROLE_MEMBER, ROLE_MODERATOR, ROLE_LIAISON, ROLE_ADMIN } api_role;
enum { API_NROLES = 4 };

typedef struct api_principal {
    int64_t account_id; /* who is calling */
    int64_t session_id; /* through which session */
    api_role role;      /* with what rights */
} api_principal;

/* The role's name as in khnet_accounts.role ("member", ...). */
const char *api_role_name(api_role role);
/* A role from its name s[0..n); false when none. */
bool api_role_parse(const char *s, size_t n, api_role *out);
/* A bit per role, for api_allow. */
#define API_ROLE_BIT(role) (1u << (role))
/* Is who's role in `roles` (API_ROLE_BIT mask)?  Replies 403 forbidden
 * with `message` when not. */
bool api_allow(http_req *r, const api_principal *who, unsigned roles, const char *message);

/* Continues a request once its caller is known (NULL: anonymous, only from
 * api_authenticate_optional); `who` lives in the request's arena. */
typedef void (*api_authed)(http_req *r, const api_principal *who);
/* Reads `Authorization: Bearer`, looks the session up (one query) and calls
 * next, or replies 401 unauthenticated with WWW-Authenticate: Bearer. */
void api_authenticate(http_req *r, api_authed next);
/* Without Authorization: next(r, NULL) at once.  With one, as
 * api_authenticate (a bad token is 401, never a silent anonymous). */
void api_authenticate_optional(http_req *r, api_authed next);
/* The same for a token taken from elsewhere (e.g. ?access_token= on a
 * WebSocket upgrade, where browsers cannot set headers). */
void api_authenticate_token(http_req *r, const char *token, size_t len, api_authed next);
/* Replies 401 unauthenticated with WWW-Authenticate: Bearer. */
void api_unauthenticated(http_req *r, const char *msg);
/* For handlers whose own statement checks the token: one round trip for
 * the request instead of the session check's and the statement's.  Such a
 * statement calls a *_by_token SQL function taking this hash first, which
 * finds its caller with khnet_session_auth (NULL hash: anonymous) and, when
 * the token names no live session, answers khnet_unauthenticated()'s row,
 * the 401 of api_reply_row (khnet_profile_view_by_token,
 * khnet_forum_posts_by_token).  *hex = the bearer token's SHA-256 as bytea
 * hex text in the request's arena, or NULL when no Authorization was sent;
 * a malformed header or token is replied 401 here and gives -1. */
int api_bearer_hex(http_req *r, const char **hex);
/* The caller as SQL's viewer parameters: p[0] account id text (in *id),
 * p[1] role name; both NULL for anonymous (who NULL). */
void api_viewer(const api_principal *who, api_dec *id, const char **p);
/* The commonest step (query.c): `stmt` with the caller's account id as its
 * one parameter (e.g. "my account", "my unread count"). */
void api_query_caller(http_req *r, const api_principal *who, const db_stmt *stmt, api_done done);
/* Takes a login/sign-up token for the client address and `email`; on
 * refusal replies 429 rate_limited with Retry-After and returns -1. */
int api_rate_limit(http_req *r, const char *email);

/* ---- passwords and the threadpool (password.c) ---------------------------- */
enum { API_PW_MIN = AUTH_PW_MIN, API_PW_MAX = AUTH_PW_MAX }; /* code points */

/* Runs fn(data) on the libuv threadpool (for scrypt), then after(r, data)
 * back on the loop.  Replies itself when the work cannot be queued. */
void api_offload(http_req *r, void (*fn)(void *data), void (*after)(http_req *r, void *data),
                 void *data);
/* A required password field of API_PW_MIN..API_PW_MAX code points,
 * NUL-terminated in the arena; replies 400 and returns NULL. */
char *api_password(http_req *r, const kp_value *b, const char *key);

/* One password step: "load the hash, scrypt on the threadpool, then act".
 * The pool thread reads password/new_password/stored, writes hash/ok. */
typedef struct api_pw {
    const char *password;       /* to check (or, for api_pw_hash, to hash) */
    const char *new_password;   /* api_pw_check: hashed too when the check passes; or NULL */
    char stored[AUTH_HASH_MAX]; /* the hash loaded */
    char hash[AUTH_HASH_MAX];   /* the new hash */
    char account[24];           /* the loaded row's id, decimal ("" when unknown) */
    auth_scrypt prm;            /* for new hashes (the worker's) */
    bool known;                 /* the lookup found a password hash */
    int ok;                     /* 1 checked (and hashed), 0 wrong password, -1 failure */
    void (*next)(http_req *r, struct api_pw *pw); /* what to do with the verdict */
    void *data;                                   /* the caller's */
} api_pw;
/* A zeroed api_pw in the arena with the worker's scrypt parameters; NULL
 * after replying 500. */
api_pw *api_pw_new(http_req *r, void *data);
/* Sends `lookup` with its one parameter `key` (a statement answering
 * id, password_hash), checks pw->password against the hash on the
 * threadpool — against a dummy hash of the same cost when there is none, so
 * a miss takes as long as a hit — and calls next(r, pw): pw->known says
 * whether a hash was found, pw->ok the verdict (0 when unknown). */
void api_pw_check(http_req *r, const db_stmt *lookup, const char *key, api_pw *pw,
                  void (*next)(http_req *r, api_pw *pw));
/* Hashes pw->password into pw->hash on the threadpool, then next(r, pw)
 * with pw->ok 1; a hashing failure is replied 500 here. */
void api_pw_hash(http_req *r, api_pw *pw, void (*next)(http_req *r, api_pw *pw));

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

/* ---- the exactly-once check (guard.c) -------------------------------------
 * In debug builds (no NDEBUG) and fault-injection builds, every handler and
 * every continuation the kit runs (query callbacks, threadpool "after"s) is
 * checked when it returns: it replied exactly once, or it started exactly
 * one asynchronous step (api_query*, api_offload) that will go on.  A
 * violation is logged and aborts: a request never replied holds its
 * connection forever, and a second reply could reach a recycled request.
 * In other builds these cost nothing. */
#if !defined(NDEBUG) || defined(KHNET_FAULT_INJECTION)
#define API_CHECK_REPLIES 1
typedef struct api_guard {
    struct api_guard *up; /* the enclosing check on this thread (pipelined dispatch) */
    http_server *srv;     /* whose reply counter */
    uint64_t replies;     /* srv->replies at the start */
    uint64_t nested;      /* replies made inside enclosed checks */
    int started;          /* asynchronous steps started */
    http_req *req;        /* whose step (alive at the end when a step was started) */
    long outer;           /* fault-injection builds: the enclosing step's countdown */
} api_guard;
void api__guard_begin(api_guard *g, http_req *r);
void api__guard_end(api_guard *g, const char *where);
void api__step_started(void);
/* The route handler installed for every route in these builds: checks the
 * real handler.  Every check also runs its step under the request's fault
 * countdown (KHNET_FAULT_INJECTION: X-Khnet-Fault: N fails the request's Nth
 * allocation — arena, reply buffers, query queue; proto/fault.c). */
void api__checked_handler(http_req *r);
#else
typedef struct api_guard {
    int unused;
} api_guard;
static inline void api__guard_begin(api_guard *g, http_req *r)
{
    (void)g, (void)r;
}
static inline void api__guard_end(api_guard *g, const char *where)
{
    (void)g, (void)where;
}
static inline void api__step_started(void) {}
#endif
/* The real handler of route `i` of api_tables() (domains.c). */
http_handler api__route_handler(int i);

#endif
