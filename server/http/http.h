/* http.h — the HTTP layer: connections (llhttp on libuv streams), the
 * router, content negotiation, and replies in msgpack or JSON.
 *
 * An http_server belongs to one worker's loop; nothing here is thread-safe.
 * The layer knows nothing of the database or of what handlers do: it parses,
 * routes, decodes the body into a kp_value tree, calls the handler, and
 * writes the one reply the handler gives — now or later (after a query).
 *
 * Request lifetime: a request lives until it is replied to AND its bytes are
 * written (or its connection died).  A handler that goes asynchronous keeps
 * the http_req pointer and must reply exactly once; if the client vanished in
 * the meantime the reply is simply dropped.  Memory from http_req_arena()
 * lives exactly as long as the request.
 */
#ifndef KHNET_HTTP_H
#define KHNET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "khproto.h"
#include "log.h"
#include "metrics.h"

typedef struct http_req http_req;
typedef struct http_server http_server;
typedef struct http_conn http_conn;

typedef void (*http_handler)(http_req *req);

typedef struct http_route {
    const char *method;  /* "GET", "POST", ... (HEAD is served by GET routes) */
    const char *pattern; /* "/v1/profiles/{id}": literal segments and {params} */
    http_handler handler;
} http_route;

/* ---- router (pure; no I/O) ---------------------------------------------- */
enum { HTTP_MAX_PARAMS = 4, HTTP_MAX_SEGMENTS = 12 };

typedef struct http_param {
    const char *name; /* from the pattern, static */
    char *value;      /* percent-decoded, NUL-terminated, in the request arena */
} http_param;

typedef struct http_router http_router;

/* Compiles `routes` (which must outlive the router).  NULL on a bad pattern
 * (the message goes to the log). Caller frees with http_router_free. */
http_router *http_router_new(const http_route *routes, int n);
void http_router_free(http_router *r);

typedef enum http_match {
    HTTP_MATCH_OK,
    HTTP_MATCH_NOT_FOUND,
    HTTP_MATCH_METHOD,
    HTTP_MATCH_BAD_PATH
} http_match;

/* Matches method + path (no query string).  On OK sets *route_index and
 * fills params (values in arena).  On HTTP_MATCH_METHOD writes the allowed
 * methods, comma-separated, into allow.  HTTP_MATCH_BAD_PATH: invalid
 * percent-encoding or a NUL byte in a parameter. */
http_match http_router_match(const http_router *r, const char *method, const char *path, size_t len,
                             kp_arena *arena, int *route_index, http_param params[HTTP_MAX_PARAMS],
                             char *allow, size_t allow_cap);

/* ---- content negotiation (pure) ----------------------------------------- */
typedef enum http_ctype { HTTP_CT_NONE, HTTP_CT_MSGPACK, HTTP_CT_JSON, HTTP_CT_OTHER } http_ctype;

/* Classifies a Content-Type header value (parameters allowed; JSON with a
 * charset other than utf-8 is OTHER). */
http_ctype http_content_type(const char *v, size_t n);
/* Picks the response type from an Accept header (NULL = absent): returns
 * MSGPACK or JSON, or NONE when Accept admits neither (→ 406).  `fallback`
 * is used without Accept. */
http_ctype http_accept(const char *v, size_t n, http_ctype fallback);

/* ---- server ------------------------------------------------------------- */
typedef struct http_limits {
    size_t max_header_bytes; /* request line + headers */
    size_t max_body_bytes;   /* decoded body */
    int header_timeout_ms;
    int body_timeout_ms;
    int idle_timeout_ms;
    int max_connections; /* open at once on this server */
    int max_pipeline;    /* requests queued per connection */
} http_limits;

struct http_server {
    uv_loop_t *loop;                 /* the worker's loop */
    http_limits lim;                 /* copied at init */
    const http_route *routes;        /* the route table */
    int nroutes;                     /* entries in routes */
    http_router *router;             /* compiled routes */
    metrics *metrics;                /* owner-written counters (may be NULL) */
    log_buf *log;                    /* access log buffer (NULL = no access log) */
    void *app;                       /* the layer above's context, for handlers */
    int worker_id;                   /* for request ids and logs */
    int nconns;                      /* open connections */
    http_conn *conns;                /* list of open connections */
    http_req *free_reqs;             /* recycled request objects */
    int nfree_reqs;                  /* length of free_reqs */
    uint64_t next_req;               /* request counter, for ids */
    uint64_t replies;                /* reply calls (101 upgrades and ignored second replies
                                        too), for the api layer's exactly-once check */
    uint32_t rid_prefix;             /* random per server, for ids */
    bool draining;                   /* shutting down: finish, accept nothing */
    void (*drained)(http_server *s); /* called once when draining and nconns hits 0 */
    uint64_t slow_ns;                /* requests slower than this log their stages; 0: off */
    char date[40];                   /* cached "Date: ...\r\n" value */
    uint64_t date_sec;               /* second the cache was made for */
    /* CORS (optional; NULL = no CORS at all).  Called for each request that
     * carries an Origin header, on the loop; must answer from memory.  When
     * it returns true, every reply to that request (errors included) gets
     * Access-Control-Allow-Origin: <that origin> and
     * Access-Control-Expose-Headers: X-Request-Id, Retry-After; either way
     * it gets Vary: Origin (for caches).  A preflight (OPTIONS with
     * Access-Control-Request-Method) is answered here, before routing:
     * allowed origin and known path → 204 with Access-Control-Allow-Methods
     * (the route table's methods for the path), -Allow-Headers and
     * -Max-Age 600; unknown origin → 403 cors_origin_denied; unknown path →
     * 404.  No Allow-Credentials: tokens travel in Authorization, never in
     * cookies. */
    bool (*cors_origin)(http_server *s, const char *origin, size_t len);
    /* Peers whose PROXY v2 header or X-Forwarded-For names the client
     * (PROTOCOL.md "Behind a proxy"); NULL or empty = none.  Must outlive
     * the server; read-only, so workers may share one. */
    const struct net_cidrs *trusted;
};

/* Sets up a server on `loop`; the routes must outlive it.  0 or -1. */
int http_server_init(http_server *s, uv_loop_t *loop, const http_limits *lim,
                     const http_route *routes, int nroutes);
/* Accepts one pending connection from `listener` (call from its
 * connection callback).  Over the connection limit or while draining the
 * client gets a 503 and is closed. */
void http_server_accept(http_server *s, uv_stream_t *listener);
/* The same for a socket another thread accepted (the worker hand-off,
 * server/handoff.c); the server owns fd from here, failure or not. */
void http_server_adopt(http_server *s, uv_os_sock_t fd);
/* Stops taking new requests: idle connections close now, busy ones after
 * their queued replies are written.  Calls `drained` when none is left
 * (maybe before returning). */
void http_server_drain(http_server *s, void (*drained)(http_server *s));
/* Closes every connection at once (after the shutdown grace period). */
void http_server_close_all(http_server *s);
/* Frees the router and recycled requests; connections must be gone. */
void http_server_free(http_server *s);

/* ---- requests, for handlers --------------------------------------------- */
http_server *http_req_server(const http_req *r);
/* The index of the matched route in the server's table, or -1. */
int http_req_route(const http_req *r);
/* Fault-injection builds (proto/fault.c): the request's allocation
 * countdown while none of its steps runs; set from X-Khnet-Fault: N when it
 * is dispatched (the body's decoding counts already). */
long *http_req_fault_left(http_req *r);
/* Between steps: keeps `site`, where a failure was injected in the step
 * that just ran (kp_fault_fired(); NULL: none), so the reply names it in
 * X-Khnet-Fault-Hit. */
void http_req_fault_keep(http_req *r, const char *site);
void *http_req_app(const http_req *r);
kp_arena *http_req_arena(http_req *r);
const char *http_req_method(const http_req *r);
const char *http_req_path(const http_req *r);  /* without the query */
const char *http_req_query(const http_req *r); /* after '?', or "" */
const char *http_req_id(const http_req *r);
/* Counts one database step of the request (db_reply's wait_ns, run_ns) for
 * the slow-request log (http_server.slow_ns). */
void http_req_note_db(http_req *r, uint64_t wait_ns, uint64_t run_ns);
/* The client's address (IP text, no port) into buf: the TCP peer's, or
 * the one a trusted proxy named (PROXY v2 header, X-Forwarded-For).  0, or
 * -1 when it is unknown or does not fit. */
int http_req_peer(const http_req *r, char *buf, size_t cap);
/* The value of the named route parameter, or NULL. */
const char *http_req_param(const http_req *r, const char *name);
/* First header of that name (case-insensitive), or NULL; sets *len. */
const char *http_req_header(const http_req *r, const char *name, size_t *len);
/* The decoded body (a KP_MAP), or NULL when the request had none. */
const kp_value *http_req_body(const http_req *r);
http_ctype http_req_body_type(const http_req *r);

/* The buffer a handler writes its msgpack reply body into (empty on entry). */
kp_buf *http_req_out(http_req *r);
/* Adds a response header line ("Name", "value"), before replying. */
void http_req_add_header(http_req *r, const char *name, const char *value);

/* Exactly one of these per request.  http_reply sends http_req_out() as
 * msgpack or transcoded to JSON, as negotiated. */
void http_reply(http_req *r, int status);
void http_reply_error(http_req *r, int status, const char *code, const char *message,
                      const char *field);
/* e's code with the status the error table gives it (kp_error_status);
 * `status` only for a code outside the table. */
void http_reply_kperr(http_req *r, int status, const kp_err *e);
/* A body sent as is with its own content type (e.g. /metrics). */
void http_reply_raw(http_req *r, int status, const char *content_type, const void *body,
                    size_t len);

const char *http_status_text(int status);

/* ---- WebSocket ------------------------------------------------------------
 * A handler for an upgrade path (after its own checks, e.g. authentication)
 * calls http_ws_accept instead of replying.  On success the connection
 * speaks RFC 6455 from then on and `ops` get its messages; on failure the
 * request was answered (400/426/503) and NULL is returned.  NULL too when
 * the connection ended during the upgrade itself (the 101 could not be
 * written, or frames sent with the request closed it): on_close is then
 * never called.  An upgrade accepted while the server drains is sent close
 * 1001 at once.
 *
 * on_close can run inside http_ws_send and http_ws_close (a write that
 * fails, a closing handshake that completes), so a caller that goes on
 * using its own data after them must keep it alive across the call. */
typedef struct http_ws http_ws;

typedef struct http_ws_ops {
    /* a complete text or binary message from the client */
    void (*on_message)(http_ws *ws, const uint8_t *data, size_t len, bool binary);
    /* the connection is gone (either side); ws is invalid after this returns */
    void (*on_close)(http_ws *ws);
} http_ws_ops;

typedef struct http_ws_limits {
    size_t max_queue_bytes; /* unsent bytes before a slow consumer is dropped */
    size_t max_msg_bytes;   /* largest message accepted from the client */
    int ping_ms;            /* ping interval; silent for two → dropped */
} http_ws_limits;

http_ws *http_ws_accept(http_req *r, const http_ws_ops *ops, void *user, const http_ws_limits *lim);
/* Queues one binary message (copied).  -1 when closing, or when the queue
 * would pass max_queue_bytes: the client is then sent close 1008 "slow
 * consumer" and dropped. */
int http_ws_send(http_ws *ws, const void *data, size_t len);
/* Starts the closing handshake with `code` (e.g. 1001 going away). */
void http_ws_close(http_ws *ws, uint16_t code, const char *reason);
void *http_ws_user(const http_ws *ws);

/* The first query parameter `name` of `query` ("a=1&b=x%20y", no '?'),
 * percent-decoded ('+' = space) into the arena: 1 and *out, 0 when absent,
 * -1 when its value is badly encoded, holds NUL or is not UTF-8, -2 when
 * the arena is out of memory.  A name without '=' has the value "".  Names
 * are compared undecoded. */
int http_query_param(const char *query, const char *name, kp_arena *a, const char **out);
/* The same on the request's query string and arena. */
int http_req_query_param(http_req *r, const char *name, const char **out);

/* ---- PROXY protocol v2 (proxy.c; pure) -------------------------------------
 * A trusted proxy's header before the HTTP bytes: the client's address
 * and whether it spoke TLS to the proxy. */
enum {
    HTTP_PROXY_MAX = 1024,   /* header bytes accepted, TLVs included */
    HTTP_PROXY_ABSENT = -1,  /* the bytes do not start a PROXY header */
    HTTP_PROXY_INVALID = -2, /* a v2 header, malformed or unsupported */
    HTTP_PROXY_V1 = -3       /* a text (v1) header: not accepted */
};

typedef struct http_proxy_hdr {
    bool local;                  /* LOCAL command: the proxy's own connection (health check) */
    struct sockaddr_storage src; /* client address; ss_family 0 when not carried */
    bool ssl;                    /* SSL TLV with the client-SSL flag */
} http_proxy_hdr;

/* Reads the header at p[0..n): its length (> 0) and *out; 0 when the bytes
 * so far begin a header but do not complete it; else HTTP_PROXY_ABSENT,
 * _INVALID or _V1. */
int http_proxy_parse(const uint8_t *p, size_t n, http_proxy_hdr *out);

#endif
