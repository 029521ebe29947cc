/* khnet_int.h — libkhnet internals shared between its files and unit tests.
 *
 * Layers, hiredis-style: url.c (URL parsing), read.c (an I/O-free HTTP
 * response parser fed bytes), request.c (request serialisation), reply.c
 * (response -> khnet_reply), net.c (sockets, poll timeouts), khnet.c (the
 * context and the call loop).  Nothing here is part of the ABI.
 */
#ifndef KHNET_INT_H
#define KHNET_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <llhttp.h>
#include <openssl/ssl.h>

#include "khnet.h"

#define KHNET__ERRSTR_MAX 256
#define KHNET__HOST_MAX 256
#define KHNET__MAX_HEADER_BYTES 65536u  /* 64 KiB: status line + all headers */
#define KHNET__MAX_BODY_BYTES 67108864u /* 64 MiB: one response body */

/* ---- abi.c: sized structs (the ABI promise in khnet.h) ---------------------- */
/* Copies the caller's struct src (its first member the caller's size_t
 * size) into dst, the library's layout of `known` bytes: the bytes the
 * caller's size covers, zeros for the rest, dst's size set to known.
 * 0, or -1 with a reason naming `what` in err when the size is unset or
 * the caller set fields past `known`. */
int khnet__abi_in(void *dst, size_t known, const void *src, const char *what, char *err,
                  size_t errlen);
/* Copies the library's struct src (`known` bytes) into the caller's dst as
 * far as dst's size reaches, zeroing what dst has beyond `known`; dst's
 * size is kept.  -1 (nothing written) when dst's size is unset. */
int khnet__abi_out(void *dst, const void *src, size_t known);

/* ---- url.c ---------------------------------------------------------------- */
typedef struct khnet__url {
    char host[KHNET__HOST_MAX]; /* name or address, without IPv6 brackets */
    char port[6];               /* decimal; absent: "443" with TLS, else "80" */
    bool ipv6;                  /* host was written as [addr] */
    bool tls;                   /* https:// or wss:// */
} khnet__url;

/* Appends ?name=value (or &name=value) to the NUL-terminated path in
 * path[cap], percent-encoding the value; value NULL appends nothing.  One
 * that does not fit empties path (and later ones leave it empty), which
 * khnet_call refuses with KHNET_ERR_ARG. */
void khnet__add_param(char *path, size_t cap, const char *name, const char *value);
/* GET path (of cap bytes) with &after= and &limit= added when given
 * (limit > 0): every typed list call's last step. */
khnet_err khnet__get_paged(khnet_ctx *ctx, char *path, size_t cap, const char *after, int limit,
                           khnet_reply **out);
/* 0 on success, -1 with a reason in err (errlen bytes) otherwise. */
int khnet__url_parse(const char *url, khnet__url *out, char *err, size_t errlen);
/* Host header value: host, [v6] and ":port" unless it is the scheme's default. */
void khnet__url_hostport(const khnet__url *u, char *out, size_t outlen);

/* ---- read.c: response parser ------------------------------------------------ */
typedef enum khnet__rstate {
    KHNET__R_MORE = 0,   /* feed more bytes */
    KHNET__R_DONE = 1,   /* a full response was parsed */
    KHNET__R_ERROR = -1, /* malformed or over a limit; reason in r->err */
    KHNET__R_CLOSED = -2 /* EOF before any response byte (retry candidate) */
} khnet__rstate;

typedef struct khnet__resp {
    llhttp_t parser;            /* llhttp in HTTP_RESPONSE mode */
    llhttp_settings_t settings; /* callbacks below, pointing back at this struct */
    int status;                 /* status code once the status line is parsed */
    kp_buf body;                /* body bytes, de-chunked; moved into the reply */
    kp_buf hname;               /* header name being accumulated (spans may split) */
    kp_buf hvalue;              /* header value being accumulated */
    char content_type[128];     /* Content-Type value, truncated, "" if absent */
    char request_id[72];        /* X-Request-Id value, truncated, "" if absent */
    char ws_accept[40];         /* Sec-WebSocket-Accept value, truncated, "" if absent */
    bool replayed;              /* Idempotent-Replay: true */
    size_t header_bytes;        /* bytes of status line and headers so far */
    size_t max_body;            /* body limit, KHNET__MAX_BODY_BYTES by default */
    size_t received;            /* bytes fed so far */
    size_t trailing;            /* bytes fed after the end of the response */
    size_t last_used;           /* of the last chunk fed, bytes that were the response's
                                   (the rest are a WebSocket's after a 101) */
    bool head;                  /* response to HEAD: headers only */
    bool done;                  /* message complete */
    bool keep_alive;            /* connection reusable after this response */
    char err[160];              /* reason for KHNET__R_ERROR */
} khnet__resp;

/* Prepares r for one response; head_request for a reply to HEAD. */
void khnet__resp_init(khnet__resp *r, bool head_request);
/* Frees r's buffers (the body too, unless it was moved out). */
void khnet__resp_free(khnet__resp *r);
/* Feeds n bytes.  Bytes after a complete response are counted in
 * r->trailing and make the connection non-reusable. */
khnet__rstate khnet__resp_feed(khnet__resp *r, const char *p, size_t n);
/* The peer closed the connection: completes a read-until-close body or
 * reports KHNET__R_CLOSED / KHNET__R_ERROR. */
khnet__rstate khnet__resp_eof(khnet__resp *r);

/* ---- request.c ------------------------------------------------------------ */
/* Appends the request head (request line and headers, ending in CRLFCRLF) to
 * out.  Returns 0, -1 with a reason in err when req is invalid, -2 when out
 * of memory. */
int khnet__req_head(kp_buf *out, const khnet_request *req, const char *hostport, const char *token,
                    char *err, size_t errlen);
/* GET/HEAD, or an idempotency key: safe to send twice. */
bool khnet__req_retryable(const khnet_request *req);

/* ---- reply.c -------------------------------------------------------------- */
/* Builds a reply from a complete response, taking r's body.  Returns
 * KHNET_OK, KHNET_ERR_HTTP (status >= 400), KHNET_ERR_PROTOCOL (body not
 * decodable; *out still set) or KHNET_ERR_NOMEM (*out NULL).  err explains. */
khnet_err khnet__reply_build(khnet__resp *r, khnet_reply **out, char *err, size_t errlen);

/* ---- net.c: connections, plain or TLS ----------------------------------------- */
/* One connection: a socket, with TLS on it for https/wss. */
typedef struct khnet__conn {
    int fd;            /* connected socket, -1 if none */
    SSL *ssl;          /* TLS on fd, NULL for plain http */
    bool want_write;   /* TLS: the last read waits for the socket to be writable */
    bool cert_refused; /* TLS: the last handshake failed certificate verification */
} khnet__conn;

/* Each returns KHNET_OK or an error code with a reason in err.  timeout_ms 0
 * waits forever. */
khnet_err khnet__net_connect(const khnet__url *u, int timeout_ms, int *fd_out, char *err,
                             size_t errlen);
/* Waits for events (POLLIN/POLLOUT) on fd; `what` names the step in a timeout's reason. */
khnet_err khnet__net_wait(int fd, short events, int timeout_ms, const char *what, char *err,
                          size_t errlen);
/* TCP connect to u, then for a TLS URL the handshake with tls (resuming
 * *session when set; new sessions land there) — KHNET_ERR_TLS when it
 * fails, never a plain-text fallback.  *resumed tells whether the session
 * was resumed.  On failure c is closed (fd -1). */
khnet_err khnet__net_open(khnet__conn *c, const khnet__url *u, SSL_CTX *tls, SSL_SESSION **session,
                          int timeout_ms, bool *resumed, char *err, size_t errlen);
/* Closes c (TLS close_notify first, best effort); fd becomes -1. */
void khnet__net_close(khnet__conn *c);
/* Ends our sending side (TLS close_notify, then a TCP half-close). */
void khnet__net_close_write(khnet__conn *c);
/* Writes all of head then body; *sent counts bytes written (even on error). */
khnet_err khnet__net_send(khnet__conn *c, const void *head, size_t head_len, const void *body,
                          size_t body_len, int timeout_ms, size_t *sent, char *err, size_t errlen);
/* Reads once, waiting: *got > 0 bytes, or 0 at EOF. */
khnet_err khnet__net_recv(khnet__conn *c, void *buf, size_t cap, int timeout_ms, size_t *got,
                          char *err, size_t errlen);
/* Reads once without waiting: 1 (*got bytes), 0 (nothing yet: poll for
 * khnet__net_events), -1 (EOF), -2 (error, reason in err). */
int khnet__net_try_recv(khnet__conn *c, void *buf, size_t cap, size_t *got, char *err,
                        size_t errlen);
/* The poll events the next read needs. */
short khnet__net_events(const khnet__conn *c);
/* Decrypted bytes already buffered (a poll would not see them). */
bool khnet__net_pending(const khnet__conn *c);
/* An idle keep-alive connection that the peer has closed (or that has
 * unread bytes, which also makes it unusable)? */
bool khnet__net_stale(khnet__conn *c);

/* ---- tls.c: OpenSSL (only net.c calls these) --------------------------------- */
/* A client configuration: TLS 1.2+, peer verification on, trusting the CA
 * certificates in cafile (PEM) or, when NULL, the system's store.  NULL with
 * a reason in err on failure.  Freed with SSL_CTX_free. */
SSL_CTX *khnet__tls_new(const char *cafile, char *err, size_t errlen);
/* The handshake on c->fd, checking the certificate against host (a name:
 * also sent as SNI; an IP literal: against the IP SANs). */
khnet_err khnet__tls_handshake(khnet__conn *c, SSL_CTX *tls, const char *host,
                               SSL_SESSION **session, int timeout_ms, bool *resumed, char *err,
                               size_t errlen);
khnet_err khnet__tls_send(khnet__conn *c, const void *p, size_t n, int timeout_ms, size_t *sent,
                          char *err, size_t errlen);
int khnet__tls_try_recv(khnet__conn *c, void *buf, size_t cap, size_t *got, char *err,
                        size_t errlen);
bool khnet__tls_pending(const khnet__conn *c);
bool khnet__tls_stale(khnet__conn *c);
void khnet__tls_close_notify(khnet__conn *c);
void khnet__tls_close(khnet__conn *c);

/* ---- account.c (typed calls) ------------------------------------------------- */
/* Sends the msgpack body b (freed here, also on failure) to method path
 * through khnet_call; KHNET_ERR_NOMEM when b ran out of memory. */
khnet_err khnet__send_body(khnet_ctx *ctx, const char *method, const char *path, kp_buf *b,
                           khnet_reply **out);

/* ---- search.c ------------------------------------------------------------------ */
/* Appends the POST /v1/search/experts body for s (a map) to b. */
void khnet__search_body(kp_buf *b, const khnet_search_query *s);
/* Copies the caller's query (NULL: the empty query) into *copy by its size;
 * -1 after setting ctx's error (KHNET_ERR_ARG) when its size is refused. */
int khnet__search_query_in(khnet_ctx *ctx, const khnet_search_query *query,
                           khnet_search_query *copy);

/* ---- khnet.c -------------------------------------------------------------- */
/* Sets the context's error code and text (printf-style); returns code. */
khnet_err khnet__set_err(khnet_ctx *ctx, khnet_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The socket of the current connection, -1 if none (tests only). */
int khnet__ctx_fd(const khnet_ctx *ctx);
/* What a stream copies from its context: address, Host value, token (NULL
 * if none) and step timeout.  Pointers are ctx's, valid until it changes. */
void khnet__ctx_conf(const khnet_ctx *ctx, const khnet__url **url, const char **hostport,
                     const char **token, int *timeout_ms, const char **url_err);
/* What a stream shares with its context for https: the TLS settings (NULL
 * for http, or when they could not be made: then *err says why) and the
 * newest session, both for the stream to take its own references to. */
void khnet__ctx_tls(khnet_ctx *ctx, SSL_CTX **tls, SSL_SESSION **session, char **err);

/* ---- wsframe.c: I/O-free WebSocket framing (client side) -------------------- */
typedef struct khnet__wsframe {
    bool fin;               /* last fragment of its message */
    uint8_t opcode;         /* 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong */
    const uint8_t *payload; /* points into the parsed buffer */
    size_t len;             /* payload bytes */
} khnet__wsframe;

/* Parses one server frame at buf[0..n).  Returns the bytes it spans (> 0,
 * *f set), 0 when more bytes are needed, -1 when it breaks RFC 6455 for a
 * client (masked, reserved bits or opcodes, bad control frame, payload over
 * max_len); *why then names the violation. */
long khnet__ws_parse(const uint8_t *buf, size_t n, size_t max_len, khnet__wsframe *f,
                     const char **why);
/* Appends one final, masked client frame; -1 when no random mask could be
 * drawn or out is out of memory. */
int khnet__ws_frame(kp_buf *out, uint8_t opcode, const void *payload, size_t len);
/* Fills key (25 bytes: 24 base64 chars + NUL) with a fresh random
 * Sec-WebSocket-Key, and accept (29 bytes) with the answer the server
 * must give to it.  -1 if no randomness was available. */
int khnet__ws_key(char key[25], char accept[29]);

/* ---- stream.c ---------------------------------------------------------------- */
/* The socket of the stream's current connection, -1 if none (tests only). */
int khnet__stream_fd(const khnet_stream *s);

#endif
