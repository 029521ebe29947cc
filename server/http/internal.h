/* internal.h — what conn.c and reply.c share about requests and
 * connections.  Not part of the http layer's interface (that is http.h). */
#ifndef KHNET_HTTP_INTERNAL_H
#define KHNET_HTTP_INTERNAL_H

#include <llhttp.h>

#include "http.h"
#include "net/net.h"

enum { HTTP_MAX_HEADERS = 64, HTTP_RID_MAX = 64 };

/* Security headers every response carries (PROTOCOL.md "Transport"). */
#define HTTP__SECURITY_HEADERS "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"

/* Where a connection is with the PROXY protocol (see conn.c read_proxy). */
typedef enum http_px {
    HTTP_PX_PENDING, /* no byte read yet: a PROXY header may come first */
    HTTP_PX_DONE     /* settled; the rest is HTTP */
} http_px;

typedef struct hdr_span {
    uint32_t name_off, name_len; /* into http_req.hbuf */
    uint32_t val_off, val_len;
} hdr_span;

struct http_req {
    http_conn *conn;  /* NULL once the connection is gone */
    http_server *srv; /* owning server */
    http_req *next;   /* queue / free list link */
    kp_arena *arena;  /* request-scoped memory, reset on recycle */
    /* parsing */
    kp_buf url;                      /* request target as received */
    kp_buf hbuf;                     /* header names and values, back to back */
    hdr_span hdrs[HTTP_MAX_HEADERS]; /* spans into hbuf */
    int nhdrs;                       /* headers seen */
    bool in_value;                   /* last span callback was a header value */
    kp_buf body_in;                  /* decoded request body */
    size_t header_bytes;             /* url + header bytes so far, for the limit */
    uint8_t method;                  /* llhttp_method_t */
    bool keep_alive;                 /* connection persists after this reply */
    bool head;                       /* HEAD: send headers only */
    bool http10;                     /* HTTP/1.0 request */
    /* dispatch */
    char *path;                         /* arena: path without query */
    char *query;                        /* arena: after '?', or "" */
    char rid[HTTP_RID_MAX + 1];         /* request id */
    int route;                          /* matched route index, or -1 */
    http_param params[HTTP_MAX_PARAMS]; /* route parameters */
    const kp_value *body;               /* decoded body, or NULL */
    http_ctype body_type;               /* type the body came in */
    http_ctype resp_type;               /* negotiated reply type */
    uint64_t recv_ns;                   /* uv_hrtime at its first byte */
    uint64_t start_ns;                  /* uv_hrtime at dispatch */
    uint32_t db_steps;                  /* database steps (http_req_note_db) */
    uint64_t db_wait_ns;                /* their time queued in the pool */
    uint64_t db_run_ns;                 /* their time sent, until the answer was read */
    char client[NET_ADDR_TEXT];         /* the client's address (proxy-resolved), or "" */
    bool tls;                           /* the client spoke TLS to a trusted proxy */
    const char *origin;                 /* arena: Origin header when the CORS hook allowed it */
    bool vary_origin;                   /* the reply depends on Origin (hook set, header sent) */
    /* reply */
    int status;             /* 0 until replied */
    bool replied;           /* a reply is built */
    long fault_left;        /* fault-injection builds: the countdown between steps */
    const char *fault_site; /* ... and where it fired, for X-Khnet-Fault-Hit */
    kp_buf extra;           /* extra response header lines */
    kp_buf out;             /* handler's msgpack body */
    kp_buf json;            /* JSON transcoding of out, when negotiated */
    kp_buf head_buf;        /* status line + headers */
    const uint8_t *raw;     /* body to send: out, json, or raw bytes */
    size_t raw_len;         /* its length */
    uv_write_t wreq;        /* write in progress (when not tried at once) */
    uv_buf_t wbufs[2];      /* head and body for that write */
};

struct http_conn {
    uv_tcp_t tcp;            /* the client socket */
    uv_timer_t timer;        /* header/body/idle deadline */
    llhttp_t parser;         /* request parser */
    http_server *srv;        /* owning server */
    http_conn *prev, *next;  /* server's connection list */
    http_req *parsing;       /* request being received */
    http_req *qhead, *qtail; /* received requests, answered in order */
    int queued;              /* length of that queue */
    int writing;             /* uv_writes in flight */
    kp_buf stash;            /* received bytes not parsed yet (paused) */
    int handles;             /* open uv handles; freed at 0 */
    int err_status;          /* set by a parser callback that rejects */
    const char *err_code;    /* its error code */
    bool reading;            /* uv_read_start is active */
    bool closing;            /* uv_close called */
    bool no_more;            /* read nothing more: close once answered */
    char line_head[16];      /* first bytes of the current request line */
    size_t line_len;         /* bytes in line_head */
    uint64_t chunk_left;     /* bytes left in the current body chunk */
    int crlf_pending;        /* bytes of a chunk's CRLF not yet checked */
    const char *feed_end;    /* end of the bytes being parsed now */
    http_ws *ws;             /* set once upgraded to WebSocket */
    http_ws *ws_closed;      /* ws after the close: freed with the connection */
    kp_buf upgrade_tail;     /* bytes that followed an upgrade request */
    /* who the client is (PROTOCOL.md "Behind a proxy") */
    char peer[NET_ADDR_TEXT];   /* the TCP peer's address, or "" */
    char client[NET_ADDR_TEXT]; /* the PROXY header's source address, when proxied */
    bool trusted;               /* the peer is a trusted proxy */
    bool proxied;               /* a PROXY header named the client */
    bool proxy_tls;             /* ...and said the client spoke TLS */
    uint8_t px;                 /* http_px */
    kp_buf pxbuf;               /* a PROXY header split across reads */
};

/* query.c: percent-decodes s[0..n) into the arena, NUL-terminated; NULL on
 * a bad escape, an encoded NUL, invalid UTF-8, or (HTTP_PCT_NO_SLASH) an
 * encoded '/'. */
enum { HTTP_PCT_PLUS_SPACE = 1, HTTP_PCT_NO_SLASH = 2 };
char *http__pct_decode(kp_arena *a, const char *s, size_t n, int flags);

/* reply.c */
void http__req_recycle(http_server *s, http_req *r);
http_req *http__req_new(http_server *s, http_conn *c);
void http__build_head(http_req *r);
/* Appends the security header lines r's reply carries to h. */
void http__security_headers(const http_req *r, kp_buf *h);
void http__account(http_req *r);
/* conn.c */
void http__conn_flush(http_conn *c);
void http__conn_close(http_conn *c);
void http__conn_on_timer(uv_timer_t *t);
/* Retires the upgrade request `r` (answered by the 101 in ws's output) and
 * hands the connection's reads to `ws`. */
void http__switch_to_ws(http_conn *c, http_req *r, http_ws *ws);
/* ws.c */
void http__ws_feed(http_ws *ws, const char *data, size_t len);
void http__ws_tick(http_ws *ws);
void http__ws_detach(http_ws *ws); /* the connection is closing */
void http__ws_free(http_ws *ws);   /* its handles are closed */

#endif
