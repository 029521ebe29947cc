/* khnet.h — libkhnet, the C client library for the khnet server.
 *
 * What lives here: the whole public interface — a connection context, one
 * generic request call plus a few conveniences, the reply type, errors and
 * version.  The wire codec (kp_value, kp_json_write, the msgpack writer) is
 * khproto.h, installed beside this header and included by it.
 *
 * TLS: https:// (and wss://) URLs speak TLS 1.2 or 1.3 through OpenSSL,
 * with the server's certificate verified by default against the system's
 * trust store (or the PEM file given to khnet_set_cacert, for private
 * deployments) and against the URL's host (DNS name, also sent as SNI, or
 * IP address).  Sessions are resumed across reconnects.  A failure is
 * KHNET_ERR_TLS with the reason in khnet_errstr (for a refused certificate
 * OpenSSL's verification reason, e.g. "hostname mismatch"); the library
 * never falls back to plain HTTP.
 *
 * Threading: a khnet_ctx is not thread-safe; use one context per thread.
 * Different contexts share nothing and may be used concurrently.
 *
 * Strings: every string passed into the library is copied (the caller may
 * free it as soon as the call returns).  Every function that returns memory
 * says below, in one line, who frees it.
 *
 * ABI promise (from 0.2.0 on; curl's is the model): a program built against
 * libkhnet X.Y keeps working, unchanged and without a rebuild, with any
 * later X.Z (same major version, same soname libkhnet.so.X):
 *   - functions are only added, never removed or changed in signature;
 *     every exported symbol carries a version node (khnet.map: KHNET_0.2
 *     for those of 0.2, later ones in nodes that inherit it), so a program
 *     that needs a newer function fails at load time, not at the call;
 *   - enum values are only appended; a program must expect error codes it
 *     does not know and treat them as failures (khnet_strerror names them);
 *   - structs the caller fills or receives (khnet_request,
 *     khnet_search_query, khnet_profile_filter, struct khnet_stats, struct
 *     khnet_stream_stats) begin with `size_t size`, set by their
 *     KHNET_*_INIT initialiser to the size the program was compiled with.
 *     They only grow at the end.  The library reads and writes only the
 *     bytes that size covers: fields an older program does not know take
 *     their defaults (zero), and counters it has no room for are not
 *     written.  A size larger than the library knows is accepted when the
 *     extra bytes are zero, else refused with KHNET_ERR_ARG (the program
 *     asked for something this older library cannot do).  A size of 0
 *     (initialised without the macro) is refused with KHNET_ERR_ARG;
 *   - khnet_reply and khnet_event are allocated by the library and only
 *     read by the program: they grow at the end, and the program never
 *     learns or depends on their size;
 *   - khnet_ctx and khnet_stream are opaque.
 * Not covered: the wire codec's structs in khproto.h (kp_value, kp_buf,
 * kp_limits) are plain C structs whose layout may change with a major
 * version only; behaviour that PROTOCOL.md leaves to the server.
 * 0.1 programs (before sizes) must be rebuilt: their symbols were version
 * KHNET_0, which 0.2 no longer provides, so they fail to load rather than
 * misread a struct.
 */
#ifndef KHNET_H
#define KHNET_H

#include <stddef.h>
#include <stdint.h>

#include "khproto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KHNET_VERSION_MAJOR 0
#define KHNET_VERSION_MINOR 7
#define KHNET_VERSION_PATCH 0
#define KHNET_VERSION_STRING "0.7.0"

/* Initialiser body for a sized struct T (see the ABI promise above). */
#ifdef __cplusplus
#define KHNET_SIZED_INIT(T)                                                                        \
    {                                                                                              \
        sizeof(T)                                                                                  \
    }
#else
#define KHNET_SIZED_INIT(T)                                                                        \
    {                                                                                              \
        .size = sizeof(T)                                                                          \
    }
#endif

/* "x.y.z" of the library actually linked (static storage). */
const char *khnet_version(void);

/* ---- errors ------------------------------------------------------------ */
typedef enum khnet_err {
    KHNET_OK = 0,
    KHNET_ERR_URL,      /* the URL is not http[s]://host[:port][/] (or ws/wss) */
    KHNET_ERR_CONNECT,  /* name resolution or TCP connect failed */
    KHNET_ERR_IO,       /* send/receive failed or the server closed mid-response */
    KHNET_ERR_TIMEOUT,  /* no progress within the context's timeout */
    KHNET_ERR_PROTOCOL, /* the server sent bad HTTP or an undecodable body */
    KHNET_ERR_HTTP,     /* the server answered with status >= 400; the reply says why */
    KHNET_ERR_NOMEM,    /* out of memory */
    KHNET_ERR_ARG,      /* invalid argument (NULL, bad method or path, ...) */
    KHNET_ERR_CLOSED,   /* the server ended an event stream for good (session ended) */
    KHNET_ERR_TLS       /* TLS setup, handshake or certificate verification failed; the
                           error string says why (e.g. "certificate verification failed:
                           hostname mismatch"); nothing was sent */
} khnet_err;
/* The name the TLS error goes by in the issue tracker and the docs. */
#define KHNET_ETLS KHNET_ERR_TLS

/* Short English description of an error code (static storage, never NULL). */
const char *khnet_strerror(khnet_err err);

/* ---- context ----------------------------------------------------------- */
typedef struct khnet_ctx khnet_ctx;

/* Makes a context for `url` without connecting: http://host[:port][/] or
 * https://host[:port][/] (ws:// and wss:// are the same two), host a name,
 * IPv4 or [IPv6], port 80 (http) or 443 (https) if absent.  The first call
 * connects, so options (khnet_set_cacert, khnet_set_timeout, ...) set
 * before it apply to the first connection.  *out gets a context even for a
 * bad URL (KHNET_ERR_URL: khnet_errstr() says why, every call repeats it);
 * it is NULL only on KHNET_ERR_NOMEM or KHNET_ERR_ARG.  Caller frees *out
 * with khnet_free() in every case. */
khnet_err khnet_create(const char *url, khnet_ctx **out);

/* khnet_create, then connect at once: resolve with getaddrinfo, open a
 * keep-alive TCP connection and, for https, the TLS handshake with the
 * system's trust store.  *out gets a context even when the connection
 * fails, so khnet_errstr() can explain it and later calls retry the
 * connect; NULL only on KHNET_ERR_NOMEM or KHNET_ERR_ARG.  Caller frees
 * *out with khnet_free() in every case. */
khnet_err khnet_connect(const char *url, khnet_ctx **out);

/* https: trust the CA certificates in pem_file (read now; the path is not
 * kept) instead of the system's store — for private deployments and
 * development CAs; NULL goes back to the system's store.  Closes the
 * current connection and forgets the saved TLS session, so what comes next
 * is verified against the new trust.  KHNET_ERR_TLS (reason in
 * khnet_errstr; the previous trust stays) when the file cannot be read or
 * holds no certificate.  Streams opened later use it too. */
khnet_err khnet_set_cacert(khnet_ctx *ctx, const char *pem_file);

/* Closes the connection and frees the context and its strings; NULL is a no-op. */
void khnet_free(khnet_ctx *ctx);

/* Error of the last call on this context (KHNET_OK after a success). */
khnet_err khnet_errcode(const khnet_ctx *ctx);
/* Human text for the last error, "" after a success; owned by ctx, valid until the next call. */
const char *khnet_errstr(const khnet_ctx *ctx);

/* Longest wait in milliseconds for any single step (connect, each write,
 * each read); default 10000; 0 waits forever. */
khnet_err khnet_set_timeout(khnet_ctx *ctx, int ms);

/* Sends `Authorization: Bearer <bearer>` on every later request; the string is
 * copied; NULL removes it.  Rejects tokens with control characters. */
khnet_err khnet_set_token(khnet_ctx *ctx, const char *bearer);

/* Counters since khnet_connect, for monitoring and tests. */
struct khnet_stats {
    size_t size;             /* sizeof(struct khnet_stats) as compiled: KHNET_STATS_INIT */
    uint64_t connects;       /* TCP connections opened (1 while keep-alive holds) */
    uint64_t retries;        /* requests re-sent after a stale keep-alive connection */
    uint64_t requests;       /* responses received */
    uint64_t bytes_sent;     /* request bytes written (before TLS encryption) */
    uint64_t bytes_received; /* response bytes read (after TLS decryption) */
    uint64_t tls_resumed;    /* TLS connections that resumed the previous session */
};
#define KHNET_STATS_INIT KHNET_SIZED_INIT(struct khnet_stats)
/* Copies the counters into *out (caller-owned, out->size set, e.g.
 * `struct khnet_stats st = KHNET_STATS_INIT;`).  KHNET_ERR_ARG, with
 * nothing written, for a NULL argument or an unset size. */
khnet_err khnet_stats(const khnet_ctx *ctx, struct khnet_stats *out);

/* ---- replies ----------------------------------------------------------- */
/* One HTTP response.  Allocated by the library, read-only for the caller,
 * freed (with everything it points to) by khnet_reply_free(). */
typedef struct khnet_reply {
    int status;               /* HTTP status code, e.g. 200 */
    const uint8_t *body;      /* raw body bytes, followed by a NUL not counted in body_len */
    size_t body_len;          /* bytes in body */
    const char *content_type; /* Content-Type header value, "" if absent */
    const kp_value *root;     /* decoded msgpack/JSON body; NULL if empty or another type */
    const char *code;         /* status >= 400: error.code from the body, else NULL */
    const char *message;      /* status >= 400: error.message from the body, else NULL */
    const char *field;        /* status >= 400: error.field from the body, else NULL */
    const char *request_id;   /* X-Request-Id (names the server's log line), "" if absent */
    /* from 0.5 (appended: the library allocates replies, so older callers
     * are unaffected): Idempotent-Replay: true — the answer of a write
     * that an earlier request with the same Idempotency-Key made. */
    int replayed;
} khnet_reply;

/* Frees a reply and every string and value it points to; NULL is a no-op. */
void khnet_reply_free(khnet_reply *reply);

/* ---- requests ---------------------------------------------------------- */
/* A full request description for khnet_call_ex.  Start from
 * KHNET_REQUEST_INIT (or set .size = sizeof(khnet_request)); unset
 * (NULL/0) fields take their defaults.  Nothing is retained after the call
 * returns. */
typedef struct khnet_request {
    size_t size;                 /* sizeof(khnet_request) as compiled (KHNET_REQUEST_INIT) */
    const char *method;          /* "GET", "POST", ... (required, uppercase token) */
    const char *path;            /* "/v1/..." with optional query (required, starts with '/') */
    const void *body;            /* request body or NULL */
    size_t body_len;             /* bytes in body */
    const char *content_type;    /* default "application/msgpack" when a body is present */
    const char *idempotency_key; /* sent as Idempotency-Key; also makes the request retryable */
    const char *const *headers;  /* extra "Name: value" lines, NULL-terminated array, or NULL */
} khnet_request;
#define KHNET_REQUEST_INIT KHNET_SIZED_INIT(khnet_request)

/* Sends one request on the context's keep-alive connection and reads the
 * whole response (Content-Length, chunked, or until close).  Asks for
 * msgpack (Accept: application/msgpack) and decodes a msgpack or JSON body
 * into the reply.  If a reused idle connection turns out to be closed before
 * any response byte arrived, the request is re-sent once on a new connection
 * — only for GET/HEAD or when an idempotency key is set.
 * Returns KHNET_OK for status < 400, KHNET_ERR_HTTP for status >= 400, other
 * codes when no usable response arrived.  *out is set whenever a response
 * arrived (KHNET_OK, KHNET_ERR_HTTP, and KHNET_ERR_PROTOCOL when the body of
 * a status < 400 could not be decoded), NULL otherwise; caller frees it with
 * khnet_reply_free(). */
khnet_err khnet_call_ex(khnet_ctx *ctx, const khnet_request *req, khnet_reply **out);

/* khnet_call_ex with a msgpack body (may be NULL/0); same ownership of *out. */
khnet_err khnet_call(khnet_ctx *ctx, const char *method, const char *path, const void *msgpack_body,
                     size_t body_len, khnet_reply **out);

/* khnet_call_ex with a JSON text body (NUL-terminated, may be NULL) sent as
 * application/json; the reply is still asked for in msgpack; same ownership of *out. */
khnet_err khnet_call_json(khnet_ctx *ctx, const char *method, const char *path,
                          const char *json_body, khnet_reply **out);

/* GET /healthz; same ownership of *out. */
khnet_err khnet_health(khnet_ctx *ctx, khnet_reply **out);

/* ---- messaging (PROTOCOL.md "Messaging") ------------------------------------
 * Typed wrappers of khnet_call: the same return codes, and *out (the
 * conversation, message, list or error) is freed by the caller with
 * khnet_reply_free().  Cursors are the opaque strings of earlier replies
 * (NULL: none); limit <= 0 takes the server's default.  KHNET_ERR_ARG when a
 * required string is NULL (nothing is sent). */
/* POST /v1/conversations {type: direct}: the pair's one conversation. */
khnet_err khnet_conversation_direct(khnet_ctx *ctx, int64_t member_id, khnet_reply **out);
/* POST /v1/conversations {type: group}: n other members (at most 255). */
khnet_err khnet_conversation_group(khnet_ctx *ctx, const char *title, const int64_t *member_ids,
                                   size_t n, khnet_reply **out);
/* GET /v1/conversations: newest activity first. */
khnet_err khnet_conversations_list(khnet_ctx *ctx, const char *after, int limit, khnet_reply **out);
/* POST /v1/conversations/{id}/messages; client_id makes retries safe (the
 * same client_id returns the first message); reply_to <= 0: none. */
khnet_err khnet_message_send(khnet_ctx *ctx, int64_t conversation_id, const char *client_id,
                             const char *text, int64_t reply_to, khnet_reply **out);
/* GET /v1/conversations/{id}/messages: before or after a cursor (or the newest page). */
khnet_err khnet_messages_history(khnet_ctx *ctx, int64_t conversation_id, const char *before,
                                 const char *after, int limit, khnet_reply **out);
/* PATCH /v1/messages/{id} (sender only). */
khnet_err khnet_message_edit(khnet_ctx *ctx, int64_t message_id, const char *text,
                             khnet_reply **out);
/* DELETE /v1/messages/{id}: the tombstone (sender only). */
khnet_err khnet_message_delete(khnet_ctx *ctx, int64_t message_id, khnet_reply **out);
/* POST /v1/conversations/{id}/read: moves my read cursor forward to up_to. */
khnet_err khnet_conversation_read(khnet_ctx *ctx, int64_t conversation_id, int64_t up_to,
                                  khnet_reply **out);
/* GET /v1/unread: {total, conversations}. */
khnet_err khnet_unread(khnet_ctx *ctx, khnet_reply **out);
/* POST (on != 0) or DELETE /v1/blocks/{account_id}. */
khnet_err khnet_block(khnet_ctx *ctx, int64_t account_id, int on, khnet_reply **out);
/* From 0.7: GET /v1/events: my events after seq `after` (>= 0; 0 from the
 * first), {items: [{seq, kind, payload, at}], next}, limit <= 0 the
 * server's default — the catch-up by cursor that khnet_stream does live. */
khnet_err khnet_events(khnet_ctx *ctx, int64_t after, int limit, khnet_reply **out);

/* ---- accounts, profiles, data rights (PROTOCOL.md "Accounts and
 * sessions", "Profiles", "Bulk import") -------------------------------------
 * Typed wrappers of khnet_call: the same return codes; *out (the account,
 * profile, report or error) is freed by the caller with khnet_reply_free().
 * Strings are copied; KHNET_ERR_ARG when a required one is NULL (nothing is
 * sent). */
/* POST /v1/accounts: a new member account (201). */
khnet_err khnet_register(khnet_ctx *ctx, const char *email, const char *password,
                         khnet_reply **out);
/* POST /v1/sessions; on success the reply's token becomes the context's
 * bearer token (as khnet_set_token: the context keeps its own copy, freed
 * by khnet_free); the reply still holds it for the caller to store. */
khnet_err khnet_login(khnet_ctx *ctx, const char *email, const char *password, khnet_reply **out);
/* DELETE /v1/sessions/current; on success the context forgets its token. */
khnet_err khnet_logout(khnet_ctx *ctx, khnet_reply **out);
/* GET /v1/account: {id, email, role, created_at}. */
khnet_err khnet_me(khnet_ctx *ctx, khnet_reply **out);
/* GET /v1/profiles/{id} as the caller may see it; id <= 0: /v1/profiles/me. */
khnet_err khnet_profile_get(khnet_ctx *ctx, int64_t id, khnet_reply **out);
/* PATCH /v1/profiles/{id} (id <= 0: me) with json_fields, a JSON object
 * that must carry "version" (NUL-terminated text, sent as application/json). */
khnet_err khnet_profile_patch(khnet_ctx *ctx, int64_t id, const char *json_fields,
                              khnet_reply **out);
/* GET /v1/account/export: everything the service holds about the caller. */
khnet_err khnet_export(khnet_ctx *ctx, khnet_reply **out);
/* DELETE /v1/account {password}: erasure (204); the context forgets its token. */
khnet_err khnet_account_erase(khnet_ctx *ctx, const char *password, khnet_reply **out);
/* POST /v1/profiles/import: format "jsonl" or "csv", data[0..len) the file
 * (UTF-8); *out is the report (200) or the error. */
khnet_err khnet_profiles_import(khnet_ctx *ctx, const char *format, const char *data, size_t len,
                                khnet_reply **out);
/* Directory filters for khnet_profiles_list (PROTOCOL.md "GET
 * /v1/profiles"), from KHNET_PROFILE_FILTER_INIT; a NULL member does not
 * filter.  Strings are copied. */
typedef struct khnet_profile_filter {
    size_t size;           /* sizeof(khnet_profile_filter) as compiled */
    const char *sector;    /* a sector slug, e.g. "aquaculture" */
    const char *country;   /* ISO 3166-1 alpha-2, upper-case */
    const char *degree;    /* bachelor | master | phd | md | engineer | other */
    const char *language;  /* a BCP 47 tag as stored, e.g. "vi" */
    const char *mentoring; /* willing | seeking */
} khnet_profile_filter;
#define KHNET_PROFILE_FILTER_INIT KHNET_SIZED_INIT(khnet_profile_filter)
/* GET /v1/profiles: one page of directory cards, {items, next}, newest
 * first; pass the reply's `next` as `after` for the following page (NULL:
 * the first).  filter may be NULL; limit <= 0 takes the server's default. */
khnet_err khnet_profiles_list(khnet_ctx *ctx, const khnet_profile_filter *filter, const char *after,
                              int limit, khnet_reply **out);

/* ---- real-time events (PROTOCOL.md "Real-time events") ----------------------
 * A stream is its own WebSocket connection to GET /v1/stream, opened with
 * the URL, token, timeout and TLS trust its context had at
 * khnet_stream_open (copied: the context may be used, changed or freed
 * afterwards); an https/wss context makes a wss stream, which reconnects
 * over TLS and resumes its TLS session.  khnet_stream_next
 * hands out events in seq order, each once; when the connection drops
 * (server restart or shutdown 1001, slow consumer 1008, network) it
 * reconnects with backoff (100 ms doubling to 5 s) and resumes after the
 * last seq it handed out, so nothing is lost or repeated.  Only a refused
 * upgrade (4xx other than 408/429) or close 4001 (session ended) stop it.
 *
 * Threading: a khnet_stream is not thread-safe; use it from one thread at a
 * time.  It shares nothing with its context, so a stream and its context
 * may be used from two threads at once. */
typedef struct khnet_stream khnet_stream;

/* One event.  Allocated by the library, read-only, freed with everything it
 * points to (the payload lives in the event's own arena) by khnet_event_free. */
typedef struct khnet_event {
    int64_t seq;             /* the member's event number: the cursor to resume after */
    const char *kind;        /* e.g. "message.new" (NUL-terminated) */
    const kp_value *payload; /* decoded payload (a map), never NULL (nil if absent) */
    const char *at;          /* RFC 3339 UTC time of the event, "" if absent */
} khnet_event;

/* Frees an event; NULL is a no-op. */
void khnet_event_free(khnet_event *ev);

/* Opens a stream and performs its first upgrade.  after_seq >= 0: events
 * after that seq first, then live ones; -1: only events newer than the
 * member's newest at connect time.  *out gets a stream even when the first
 * connection fails, so khnet_stream_errstr() can explain; khnet_stream_next
 * then retries (or repeats a permanent error).  *out is NULL only on
 * KHNET_ERR_NOMEM or KHNET_ERR_ARG.  Caller frees *out with
 * khnet_stream_close() in every case. */
khnet_err khnet_stream_open(khnet_ctx *ctx, int64_t after_seq, khnet_stream **out);

/* Waits up to timeout_ms (< 0: forever; 0: no waiting) for the next event.
 * KHNET_OK: *out is an event the caller frees with khnet_event_free().
 * KHNET_ERR_TIMEOUT: none yet (reconnecting counts as waiting; *out NULL).
 * Any other code (KHNET_ERR_HTTP, KHNET_ERR_CLOSED, KHNET_ERR_URL, and
 * KHNET_ERR_TLS for a certificate that fails verification): the stream
 * stopped for good; every later call returns the same.  A reconnect in progress may
 * overrun timeout_ms by up to the context's timeout. */
khnet_err khnet_stream_next(khnet_stream *s, int timeout_ms, khnet_event **out);

/* The newest seq handed out (or announced by the server as the start), -1
 * before any: persist it and pass it to khnet_stream_open to resume later. */
int64_t khnet_stream_seq(const khnet_stream *s);

/* Error of the last call on this stream, and its text ("" after a success;
 * owned by s, valid until the next call). */
khnet_err khnet_stream_errcode(const khnet_stream *s);
const char *khnet_stream_errstr(const khnet_stream *s);

/* Counters since khnet_stream_open. */
struct khnet_stream_stats {
    size_t size;          /* sizeof(struct khnet_stream_stats) as compiled */
    uint64_t connects;    /* upgrades that succeeded (1 + reconnects) */
    uint64_t drops;       /* connections lost or closed by the server */
    uint64_t events;      /* events handed out */
    uint64_t duplicates;  /* events dropped because their seq was already handed out */
    uint64_t tls_resumed; /* wss: connections that resumed the previous TLS session */
};
#define KHNET_STREAM_STATS_INIT KHNET_SIZED_INIT(struct khnet_stream_stats)
/* Copies the counters into *out (caller-owned, from KHNET_STREAM_STATS_INIT);
 * KHNET_ERR_ARG, with nothing written, for a NULL argument or an unset size. */
khnet_err khnet_stream_stats(const khnet_stream *s, struct khnet_stream_stats *out);

/* Sends a close frame (1000), waits briefly for the server's, closes the
 * socket and frees the stream; NULL is a no-op. */
void khnet_stream_close(khnet_stream *s);

/* ---- search (PROTOCOL.md "Search") -------------------------------------------
 * KHNET_SEARCH_QUERY_INIT searches everything, sorted by the server's
 * default.  Nothing in it is retained after the call; strings are copied. */
typedef struct khnet_search_query {
    size_t size;                      /* sizeof(khnet_search_query) as compiled */
    const char *q;                    /* free text (0-500 characters), or NULL */
    const char *const *sectors;       /* NULL-terminated sector slugs, or NULL */
    const char *const *countries;     /* NULL-terminated ISO 3166-1 alpha-2 codes ("JP"), or NULL */
    const char *const *degree_levels; /* NULL-terminated degree levels ("phd"), or NULL */
    const char *const *languages;     /* NULL-terminated BCP 47 tags ("vi"), or NULL */
    int willing_to_mentor;            /* 1: willing only, -1: not willing only, 0: no filter */
    int min_years;                    /* minimum years of experience; 0: no filter */
    const char *updated_since;        /* RFC 3339 timestamp, or NULL */
    const char *sort;                 /* "relevance", "experience", "recent", or NULL (default) */
    int limit;                        /* hits per page, 1-50; 0: the server's default (20) */
    const char *after;                /* the previous reply's "next" cursor, or NULL */
} khnet_search_query;
#define KHNET_SEARCH_QUERY_INIT KHNET_SIZED_INIT(khnet_search_query)
/* POST /v1/search/experts.  query NULL is KHNET_SEARCH_QUERY_INIT.  *out is the
 * result ({hits, total, total_exact, facets, next, did_you_mean, corrected,
 * sort}: read it through (*out)->root with kp_map_get) or the error, freed
 * by the caller with khnet_reply_free(); strings read from it live until
 * then.  KHNET_ERR_ARG (nothing sent) for a negative limit or min_years, or
 * a size the library cannot honour (see the ABI promise). */
khnet_err khnet_search_experts(khnet_ctx *ctx, const khnet_search_query *query, khnet_reply **out);

/* ---- saved searches (PROTOCOL.md "Saved searches"; liaison or admin) ---------
 * Typed wrappers of khnet_call: the same return codes; *out (the saved
 * search, list, result or error) is freed by the caller with
 * khnet_reply_free(); strings read from it live until then.  Arguments are
 * copied; KHNET_ERR_ARG, with nothing sent, for a NULL name or query, an
 * id < 1, or a query with `after` set. */
/* POST /v1/saved-searches {name, query}: 201 {id, name, query, created_at,
 * last_seen_at}.  query as for khnet_search_experts (after must be NULL). */
khnet_err khnet_saved_search_create(khnet_ctx *ctx, const char *name,
                                    const khnet_search_query *query, khnet_reply **out);
/* The same with the query as JSON object text (NUL-terminated); a text
 * that is not one JSON object is KHNET_ERR_ARG. */
khnet_err khnet_saved_search_create_json(khnet_ctx *ctx, const char *name, const char *query_json,
                                         khnet_reply **out);
/* GET /v1/saved-searches: one page of mine, {items, next}, newest first;
 * after NULL for the first page, limit <= 0 for the server's default. */
khnet_err khnet_saved_searches_list(khnet_ctx *ctx, const char *after, int limit,
                                    khnet_reply **out);
/* DELETE /v1/saved-searches/{id}: 204 (no root). */
khnet_err khnet_saved_search_delete(khnet_ctx *ctx, int64_t id, khnet_reply **out);
/* GET /v1/saved-searches/{id}/new: the experts new since my last look (a
 * search result plus `since`); moves the mark unless peek is nonzero.
 * after: the previous page's `next` of the same look, or NULL. */
khnet_err khnet_saved_search_new(khnet_ctx *ctx, int64_t id, int peek, const char *after,
                                 khnet_reply **out);

/* ---- sessions, passwords, roles (PROTOCOL.md "Accounts and sessions") ------
 * Typed wrappers of khnet_call as above: the same return codes; *out is
 * freed by the caller with khnet_reply_free() (a 202/204 reply has no
 * root).  String arguments are only read during the call (the caller may
 * free them when it returns); KHNET_ERR_ARG, with nothing sent, when a
 * required one is NULL or an id is < 1. */
/* POST /v1/accounts with X-Partner-Key: a sign-up attributed to a partner
 * (the key from khnet_partner_create or khnet_partner_rekey). */
khnet_err khnet_register_partner(khnet_ctx *ctx, const char *email, const char *password,
                                 const char *partner_key, khnet_reply **out);
/* GET /v1/sessions: {items: [session...]}, live ones, newest first. */
khnet_err khnet_sessions_list(khnet_ctx *ctx, khnet_reply **out);
/* DELETE /v1/sessions/{id}: revokes one of my sessions (204; 404 if not mine). */
khnet_err khnet_session_revoke(khnet_ctx *ctx, int64_t session_id, khnet_reply **out);
/* DELETE /v1/sessions: revokes all my sessions (204); the context forgets its token. */
khnet_err khnet_logout_all(khnet_ctx *ctx, khnet_reply **out);
/* POST /v1/account/password (204): my other sessions are revoked, this one stays. */
khnet_err khnet_password_change(khnet_ctx *ctx, const char *current_password,
                                const char *new_password, khnet_reply **out);
/* POST /v1/password-resets (202, whether or not the account exists): the
 * server mails a reset token to `email`. */
khnet_err khnet_password_reset_request(khnet_ctx *ctx, const char *email, khnet_reply **out);
/* POST /v1/password-resets/confirm (204): sets the password with the mailed
 * token; every session of the account is revoked.  Needs no bearer token. */
khnet_err khnet_password_reset_confirm(khnet_ctx *ctx, const char *reset_token,
                                       const char *new_password, khnet_reply **out);
/* PUT /v1/accounts/{id}/role (admin): role is member, moderator, liaison or
 * admin; *out is {id, email, role, previous_role}. */
khnet_err khnet_role_set(khnet_ctx *ctx, int64_t account_id, const char *role, khnet_reply **out);
/* POST /v1/profiles: creates my profile (201, the owner view, version 1)
 * from json_fields, a JSON object with at least "full_name" (NUL-terminated
 * text, sent as application/json). */
khnet_err khnet_profile_create(khnet_ctx *ctx, const char *json_fields, khnet_reply **out);

/* ---- partner frontends (PROTOCOL.md "Partners", admin only) ----------------
 * Same return codes and ownership of *out as above; strings and the origins
 * array are only read during the call.  origins: n strings such as
 * "https://ntu.edu.vn" (at most 20, checked by the server). */
/* GET /v1/partners: {items: [partner...]} by id (keys are never listed). */
khnet_err khnet_partners_list(khnet_ctx *ctx, khnet_reply **out);
/* POST /v1/partners (201): the partner plus `key`, shown this once. */
khnet_err khnet_partner_create(khnet_ctx *ctx, const char *name, const char *const *origins,
                               size_t n, khnet_reply **out);
/* PATCH /v1/partners/{id}: origins NULL keeps them (else the n given replace
 * them); disabled < 0 keeps the flag, 0 enables, > 0 disables. */
khnet_err khnet_partner_update(khnet_ctx *ctx, int64_t partner_id, const char *const *origins,
                               size_t n, int disabled, khnet_reply **out);
/* POST /v1/partners/{id}/key: a new key (in *out); the old one stops working. */
khnet_err khnet_partner_rekey(khnet_ctx *ctx, int64_t partner_id, khnet_reply **out);

/* ---- mentoring (PROTOCOL.md "Mentoring"; from 0.3) ------------------------
 * Typed wrappers of khnet_call: the same return codes; *out is freed by the
 * caller with khnet_reply_free().  Strings are only read during the call;
 * KHNET_ERR_ARG, with nothing sent, when a required one is NULL or an id is
 * < 1.  Field values (limits, enums, time zones) are checked by the server. */
/* GET /v1/mentoring/offer: my offer, prefilled from my profile until saved. */
khnet_err khnet_mentor_offer_get(khnet_ctx *ctx, khnet_reply **out);
/* PUT /v1/mentoring/offer: capacity < 0 keeps it; topics NULL keeps them
 * (else the n_topics given replace them); paused < 0 keeps the flag, 0
 * resumes, > 0 pauses (open requests are then declined politely). */
khnet_err khnet_mentor_offer_set(khnet_ctx *ctx, int capacity, const char *const *topics,
                                 size_t n_topics, int paused, khnet_reply **out);
/* PUT /v1/mentoring/offer with any of its fields as a JSON object. */
khnet_err khnet_mentor_offer_set_json(khnet_ctx *ctx, const char *fields_json, khnet_reply **out);
/* GET / PUT /v1/mentoring/request: what I look for as a mentee. */
khnet_err khnet_mentee_request_get(khnet_ctx *ctx, khnet_reply **out);
khnet_err khnet_mentee_request_set_json(khnet_ctx *ctx, const char *fields_json, khnet_reply **out);
/* GET /v1/mentoring/suggestions: {request, items: [{mentor, score,
 * explanation}]}, best first; limit <= 0: the server's default (10). */
khnet_err khnet_mentor_suggest(khnet_ctx *ctx, int limit, khnet_reply **out);
/* POST /v1/mentoring/mentorships (201): asks a mentor; message may be NULL. */
khnet_err khnet_mentor_request(khnet_ctx *ctx, int64_t mentor_id, const char *message,
                               khnet_reply **out);
/* GET /v1/mentoring/mentorships: {items, next}, newest first; status NULL:
 * all; after: a previous page's `next`, or NULL; limit <= 0: default. */
khnet_err khnet_mentorships_list(khnet_ctx *ctx, const char *status, const char *after, int limit,
                                 khnet_reply **out);
/* POST .../{id}/accept, /decline, /withdraw, /end: the mentorship.  reason
 * may be NULL; end's rating 0 gives no feedback (else 1-5, with an optional
 * comment; a comment needs a rating). */
khnet_err khnet_mentorship_accept(khnet_ctx *ctx, int64_t id, khnet_reply **out);
khnet_err khnet_mentorship_decline(khnet_ctx *ctx, int64_t id, const char *reason,
                                   khnet_reply **out);
khnet_err khnet_mentorship_withdraw(khnet_ctx *ctx, int64_t id, const char *reason,
                                    khnet_reply **out);
khnet_err khnet_mentorship_end(khnet_ctx *ctx, int64_t id, const char *reason, int rating,
                               const char *comment, khnet_reply **out);
/* From 0.7: POST .../{id}/feedback (201 {mentorship_id, rating}): my rating
 * (1-5, checked by the server) of the other side after an end, with an
 * optional comment; GET /v1/mentoring/feedback (liaison, admin): every
 * feedback, {items, next}, newest first, after a previous page's `next` or
 * NULL, limit <= 0 the default; GET /v1/mentoring/feedback/summary: what
 * mentees said of me as a mentor, anonymous and aggregated. */
khnet_err khnet_mentorship_feedback(khnet_ctx *ctx, int64_t id, int rating, const char *comment,
                                    khnet_reply **out);
khnet_err khnet_mentoring_feedback_list(khnet_ctx *ctx, const char *after, int limit,
                                        khnet_reply **out);
khnet_err khnet_mentoring_feedback_summary(khnet_ctx *ctx, khnet_reply **out);
/* GET /v1/mentoring/stats (liaison, admin): the province's figures. */
khnet_err khnet_mentoring_stats(khnet_ctx *ctx, khnet_reply **out);
/* Programme rounds: open (liaison, admin; deadline RFC 3339, sector NULL
 * for none), read, join (side "mentor" with capacity 1-20, or "mentee" with
 * capacity 0), run, pin/forbid/clear a pair (rule "pin" | "forbid" |
 * "none"), publish. */
khnet_err khnet_round_open(khnet_ctx *ctx, const char *name, const char *deadline,
                           const char *sector, khnet_reply **out);
khnet_err khnet_round_get(khnet_ctx *ctx, int64_t id, khnet_reply **out);
khnet_err khnet_round_join(khnet_ctx *ctx, int64_t id, const char *side, int capacity,
                           khnet_reply **out);
khnet_err khnet_round_run(khnet_ctx *ctx, int64_t id, khnet_reply **out);
khnet_err khnet_round_rule(khnet_ctx *ctx, int64_t id, int64_t mentee_id, int64_t mentor_id,
                           const char *rule, khnet_reply **out);
khnet_err khnet_round_publish(khnet_ctx *ctx, int64_t id, khnet_reply **out);

/* ---- forums and their moderation (PROTOCOL.md "Forums", "Moderation"; from 0.4)
 * Typed wrappers of khnet_call as for mentoring: the same return codes, *out
 * freed with khnet_reply_free(), strings only read during the call,
 * KHNET_ERR_ARG (nothing sent) for a NULL required string or an id < 1.
 * after NULL / limit <= 0: the first page / the server's default size. */
/* GET /v1/forum/categories: {items: [category]}. */
khnet_err khnet_forum_categories(khnet_ctx *ctx, khnet_reply **out);
/* GET /v1/forum/categories/{id}/threads: {items: [thread], next}, pinned first. */
khnet_err khnet_forum_threads(khnet_ctx *ctx, int64_t category_id, const char *after, int limit,
                              khnet_reply **out);
/* POST /v1/forum/categories/{id}/threads (201): {thread, post}; n_tags <= 5. */
khnet_err khnet_forum_thread_start(khnet_ctx *ctx, int64_t category_id, const char *title,
                                   const char *markdown, const char *const *tags, size_t n_tags,
                                   khnet_reply **out);
/* khnet_forum_thread_start with an Idempotency-Key (from 0.5; PROTOCOL.md
 * "Retrying a post"): after a lost answer (a transport error, 502, 503)
 * call again with the same key and arguments; a replay is 201 with the
 * same post.  idempotency_key NULL: none; else 1-128 of [A-Za-z0-9._:-]
 * (another key is refused by the server, 400 invalid_value). */
khnet_err khnet_forum_thread_start_idem(khnet_ctx *ctx, int64_t category_id, const char *title,
                                        const char *markdown, const char *const *tags,
                                        size_t n_tags, const char *idempotency_key,
                                        khnet_reply **out);
/* GET /v1/forum/threads/{id}: the thread. */
khnet_err khnet_forum_thread_get(khnet_ctx *ctx, int64_t thread_id, khnet_reply **out);
/* GET /v1/forum/threads/{id}/posts: {items: [post], next} in seq order. */
khnet_err khnet_forum_posts(khnet_ctx *ctx, int64_t thread_id, const char *after, int limit,
                            khnet_reply **out);
/* POST /v1/forum/threads/{id}/posts (201): the post; reply_to / quote_of 0: none. */
khnet_err khnet_forum_reply(khnet_ctx *ctx, int64_t thread_id, const char *markdown,
                            int64_t reply_to, int64_t quote_of, khnet_reply **out);
/* khnet_forum_reply with an Idempotency-Key (from 0.5), as
 * khnet_forum_thread_start_idem: retry a lost answer with the same key. */
khnet_err khnet_forum_reply_idem(khnet_ctx *ctx, int64_t thread_id, const char *markdown,
                                 int64_t reply_to, int64_t quote_of, const char *idempotency_key,
                                 khnet_reply **out);
/* POST /v1/forum/threads/{id}/read: {thread_id, read_seq, unread}. */
khnet_err khnet_forum_thread_read(khnet_ctx *ctx, int64_t thread_id, int up_to_seq,
                                  khnet_reply **out);
/* POST /v1/forum/search: {items: [{thread, post, snippet, rank}], next};
 * category_id 0 and tag NULL: no filter. */
khnet_err khnet_forum_search(khnet_ctx *ctx, const char *q, int64_t category_id, const char *tag,
                             const char *after, int limit, khnet_reply **out);
/* POST /v1/forum/posts/{id}/report (201, or 200 with my earlier report). */
khnet_err khnet_forum_post_report(khnet_ctx *ctx, int64_t post_id, const char *reason,
                                  khnet_reply **out);
/* GET /v1/mod/queue: {items: [item], next}; status NULL: open; category_id 0: all mine. */
khnet_err khnet_mod_queue(khnet_ctx *ctx, const char *status, int64_t category_id,
                          const char *after, int limit, khnet_reply **out);
/* POST /v1/mod/queue/{id}/assign: assignee_id 0 = me, -1 = nobody. */
khnet_err khnet_mod_queue_assign(khnet_ctx *ctx, int64_t item_id, int64_t assignee_id,
                                 khnet_reply **out);
/* POST /v1/mod/queue/resolve: n (1-100) items at once; action dismiss | hide |
 * silence (minutes > 0 with silence, else 0). */
khnet_err khnet_mod_queue_resolve(khnet_ctx *ctx, const int64_t *items, size_t n,
                                  const char *action, const char *reason, int minutes,
                                  khnet_reply **out);
/* PATCH /v1/mod/threads/{id}: locked / pinned < 0 keep, 0 off, > 0 on;
 * category_id 0 keeps it (else moves); reason may be NULL. */
khnet_err khnet_mod_thread(khnet_ctx *ctx, int64_t thread_id, int locked, int pinned,
                           int64_t category_id, const char *reason, khnet_reply **out);
/* POST /v1/mod/posts/{id}/hide (reason required) or /unhide (hide 0). */
khnet_err khnet_mod_post_hide(khnet_ctx *ctx, int64_t post_id, int hide, const char *reason,
                              khnet_reply **out);
/* DELETE /v1/forum/threads/{id} (from 0.6): the whole thread becomes
 * tombstones; the thread (with deleted_at).  Its category's moderators, or
 * its author while no one else's post stands in it (else 409 conflict);
 * reason NULL: none, else 1-1000 characters (at most 4000 bytes here). */
khnet_err khnet_forum_thread_delete(khnet_ctx *ctx, int64_t thread_id, const char *reason,
                                    khnet_reply **out);
/* GET /v1/mod/log: {items: [entry], next}, newest first; action NULL and
 * category_id 0: no filter. */
khnet_err khnet_mod_log(khnet_ctx *ctx, const char *action, int64_t category_id, const char *after,
                        int limit, khnet_reply **out);

#ifdef __cplusplus
}
#endif
#endif
