/* khnet.c — the context: connection lifecycle, errors, and the call loop.
 *
 * One context holds one keep-alive TCP connection, opened eagerly by
 * khnet_connect() and reopened lazily when it was closed.  A request that
 * meets a keep-alive connection the server has already dropped (its idle
 * timeout raced our send) is re-sent once on a fresh connection — but only
 * when sending twice is harmless: GET/HEAD or an Idempotency-Key, and only
 * when no response byte arrived.  Parsing lives in read.c, sockets in net.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khnet_int.h"

#define DEFAULT_TIMEOUT_MS 10000
#define READ_CHUNK 16384

struct khnet_ctx {
    khnet__url url;                     /* parsed server address */
    bool url_ok;                        /* url parsed; else url_err says why */
    char url_err[KHNET__ERRSTR_MAX];    /* reason the URL was refused */
    char hostport[KHNET__HOST_MAX + 8]; /* Host header value */
    khnet__conn conn;                   /* the connection (fd -1 if none) */
    bool fresh;                         /* conn not yet used by a request */
    SSL_CTX *tls;                       /* https: trust and verification settings, else NULL */
    SSL_SESSION *session;               /* https: the newest session, resumed on reconnect */
    int timeout_ms;                     /* per-step wait, 0 = forever */
    char *token;                        /* bearer token (owned copy) or NULL */
    kp_buf head;                        /* request head, reused across calls */
    khnet_err err;                      /* last call's result */
    char errstr[KHNET__ERRSTR_MAX];     /* last call's reason, "" on success */
    struct khnet_stats stats;           /* counters for khnet_stats() */
};

const char *khnet_version(void)
{
    return KHNET_VERSION_STRING;
}

const char *khnet_strerror(khnet_err err)
{
    switch (err) {
    case KHNET_OK:
        return "success";
    case KHNET_ERR_URL:
        return "invalid URL";
    case KHNET_ERR_CONNECT:
        return "cannot connect to server";
    case KHNET_ERR_IO:
        return "network I/O error";
    case KHNET_ERR_TIMEOUT:
        return "timed out";
    case KHNET_ERR_PROTOCOL:
        return "malformed response from server";
    case KHNET_ERR_HTTP:
        return "server returned an error status";
    case KHNET_ERR_NOMEM:
        return "out of memory";
    case KHNET_ERR_ARG:
        return "invalid argument";
    case KHNET_ERR_CLOSED:
        return "the server ended the stream";
    case KHNET_ERR_TLS:
        return "TLS failed (handshake or certificate verification)";
    }
    return "unknown error";
}

khnet_err khnet__set_err(khnet_ctx *ctx, khnet_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errstr, sizeof ctx->errstr, fmt, ap);
    va_end(ap);
    ctx->err = code;
    return code;
}

/* For failures whose reason a helper already wrote into ctx->errstr. */
static khnet_err keep_err(khnet_ctx *ctx, khnet_err code)
{
    ctx->err = code;
    return code;
}

static void drop_conn(khnet_ctx *ctx)
{
    khnet__net_close(&ctx->conn);
}

/* For an https URL, the TLS settings (the system's CAs unless
 * khnet_set_cacert chose others), made on first use. */
static khnet_err tls_ready(khnet_ctx *ctx)
{
    if (!ctx->url.tls || ctx->tls) return KHNET_OK;
    ctx->tls = khnet__tls_new(NULL, ctx->errstr, sizeof ctx->errstr);
    return ctx->tls ? KHNET_OK : keep_err(ctx, KHNET_ERR_TLS);
}

/* Makes sure a usable connection exists, replacing one the server closed
 * while it sat idle (the cheap, race-free half of stale detection). */
static khnet_err ensure_conn(khnet_ctx *ctx)
{
    if (!ctx->url_ok) return khnet__set_err(ctx, KHNET_ERR_URL, "%s", ctx->url_err);
    if (ctx->conn.fd >= 0 && khnet__net_stale(&ctx->conn)) drop_conn(ctx);
    if (ctx->conn.fd >= 0) return KHNET_OK;
    khnet_err rc = tls_ready(ctx);
    bool resumed = false;
    if (rc == KHNET_OK)
        rc = khnet__net_open(&ctx->conn, &ctx->url, ctx->tls, &ctx->session, ctx->timeout_ms,
                             &resumed, ctx->errstr, sizeof ctx->errstr);
    if (rc != KHNET_OK) return keep_err(ctx, rc);
    ctx->stats.connects++;
    ctx->stats.tls_resumed += resumed;
    ctx->fresh = true;
    return KHNET_OK;
}

khnet_err khnet_create(const char *url, khnet_ctx **out)
{
    if (!out) return KHNET_ERR_ARG;
    *out = NULL;
    if (!url) return KHNET_ERR_ARG;
    khnet_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return KHNET_ERR_NOMEM;
    ctx->conn.fd = -1;
    ctx->timeout_ms = DEFAULT_TIMEOUT_MS;
    ctx->stats.size = sizeof ctx->stats;
    kp_buf_init(&ctx->head);
    *out = ctx;
    ctx->url_ok = khnet__url_parse(url, &ctx->url, ctx->url_err, sizeof ctx->url_err) == 0;
    if (!ctx->url_ok) return khnet__set_err(ctx, KHNET_ERR_URL, "%s", ctx->url_err);
    khnet__url_hostport(&ctx->url, ctx->hostport, sizeof ctx->hostport);
    return KHNET_OK;
}

khnet_err khnet_connect(const char *url, khnet_ctx **out)
{
    khnet_err rc = khnet_create(url, out);
    if (rc == KHNET_OK) rc = ensure_conn(*out);
    return rc;
}

khnet_err khnet_set_cacert(khnet_ctx *ctx, const char *pem_file)
{
    if (!ctx) return KHNET_ERR_ARG;
    SSL_CTX *tls = NULL;
    if (pem_file && !(tls = khnet__tls_new(pem_file, ctx->errstr, sizeof ctx->errstr)))
        return keep_err(ctx, KHNET_ERR_TLS);
    /* What was verified against the old trust must not outlive it. */
    drop_conn(ctx);
    SSL_SESSION_free(ctx->session);
    ctx->session = NULL;
    SSL_CTX_free(ctx->tls);
    ctx->tls = tls;
    return KHNET_OK;
}

void khnet__ctx_tls(khnet_ctx *ctx, SSL_CTX **tls, SSL_SESSION **session, char **err)
{
    *tls = tls_ready(ctx) == KHNET_OK ? ctx->tls : NULL;
    *session = ctx->session;
    *err = ctx->errstr;
}

void khnet_free(khnet_ctx *ctx)
{
    if (!ctx) return;
    drop_conn(ctx);
    SSL_SESSION_free(ctx->session);
    SSL_CTX_free(ctx->tls);
    free(ctx->token);
    kp_buf_free(&ctx->head);
    free(ctx);
}

khnet_err khnet_errcode(const khnet_ctx *ctx)
{
    return ctx ? ctx->err : KHNET_ERR_ARG;
}

const char *khnet_errstr(const khnet_ctx *ctx)
{
    return ctx ? ctx->errstr : "NULL context";
}

khnet_err khnet_set_timeout(khnet_ctx *ctx, int ms)
{
    if (!ctx) return KHNET_ERR_ARG;
    if (ms < 0) return khnet__set_err(ctx, KHNET_ERR_ARG, "timeout must be >= 0 ms");
    ctx->timeout_ms = ms;
    return KHNET_OK;
}

khnet_err khnet_set_token(khnet_ctx *ctx, const char *bearer)
{
    if (!ctx) return KHNET_ERR_ARG;
    char *copy = NULL;
    if (bearer) {
        /* Visible ASCII only: the token goes verbatim into a header line. */
        for (const unsigned char *p = (const unsigned char *)bearer; *p; p++)
            if (*p <= 0x20 || *p >= 0x7f)
                return khnet__set_err(ctx, KHNET_ERR_ARG, "token holds a space or control byte");
        if (!*bearer) return khnet__set_err(ctx, KHNET_ERR_ARG, "empty token");
        if (!(copy = strdup(bearer))) return khnet__set_err(ctx, KHNET_ERR_NOMEM, "out of memory");
    }
    free(ctx->token);
    ctx->token = copy;
    return KHNET_OK;
}

khnet_err khnet_stats(const khnet_ctx *ctx, struct khnet_stats *out)
{
    if (!ctx || !out) return KHNET_ERR_ARG;
    return khnet__abi_out(out, &ctx->stats, sizeof ctx->stats) == 0 ? KHNET_OK : KHNET_ERR_ARG;
}

int khnet__ctx_fd(const khnet_ctx *ctx)
{
    return ctx->conn.fd;
}

void khnet__ctx_conf(const khnet_ctx *ctx, const khnet__url **url, const char **hostport,
                     const char **token, int *timeout_ms, const char **url_err)
{
    *url = ctx->url_ok ? &ctx->url : NULL;
    *hostport = ctx->hostport;
    *token = ctx->token;
    *timeout_ms = ctx->timeout_ms;
    *url_err = ctx->url_err;
}

/* Reads until the parser has a whole response.  *closed_early is set when the
 * connection died before any response byte: the retry condition. */
static khnet_err read_response(khnet_ctx *ctx, khnet__resp *resp, bool *closed_early)
{
    char buf[READ_CHUNK];
    for (;;) {
        size_t got = 0;
        khnet_err rc = khnet__net_recv(&ctx->conn, buf, sizeof buf, ctx->timeout_ms, &got,
                                       ctx->errstr, sizeof ctx->errstr);
        if (rc != KHNET_OK) {
            *closed_early = rc == KHNET_ERR_IO && resp->received == 0;
            return keep_err(ctx, rc);
        }
        ctx->stats.bytes_received += got;
        khnet__rstate st = got ? khnet__resp_feed(resp, buf, got) : khnet__resp_eof(resp);
        if (st == KHNET__R_DONE) return KHNET_OK;
        if (st == KHNET__R_ERROR) return khnet__set_err(ctx, KHNET_ERR_PROTOCOL, "%s", resp->err);
        if (st == KHNET__R_CLOSED) {
            *closed_early = true;
            return khnet__set_err(ctx, KHNET_ERR_IO,
                                  "server closed the connection before responding");
        }
    }
}

/* One attempt: send on the current connection and read the response. */
static khnet_err exchange(khnet_ctx *ctx, const khnet_request *req, khnet__resp *resp,
                          bool *closed_early)
{
    size_t sent = 0;
    khnet_err rc =
        khnet__net_send(&ctx->conn, ctx->head.data, ctx->head.len, req->body, req->body_len,
                        ctx->timeout_ms, &sent, ctx->errstr, sizeof ctx->errstr);
    ctx->stats.bytes_sent += sent;
    if (rc != KHNET_OK) {
        /* EPIPE/ECONNRESET on send: the peer is gone and cannot have answered. */
        *closed_early = rc == KHNET_ERR_IO;
        return keep_err(ctx, rc);
    }
    return read_response(ctx, resp, closed_early);
}

static khnet_err finish(khnet_ctx *ctx, khnet__resp *resp, khnet_reply **out)
{
    ctx->stats.requests++;
    if (!resp->keep_alive) /* Connection: close, HTTP/1.0, or a read-until-close body */
        drop_conn(ctx);
    ctx->err = khnet__reply_build(resp, out, ctx->errstr, sizeof ctx->errstr);
    return ctx->err;
}

khnet_err khnet_call_ex(khnet_ctx *ctx, const khnet_request *caller_req, khnet_reply **out)
{
    if (!ctx) return KHNET_ERR_ARG;
    if (!out || !caller_req)
        return khnet__set_err(ctx, KHNET_ERR_ARG, "NULL request or reply pointer");
    *out = NULL;
    khnet_request copy;
    const khnet_request *req = &copy;
    if (khnet__abi_in(&copy, sizeof copy, caller_req, "khnet_request", ctx->errstr,
                      sizeof ctx->errstr) < 0)
        return keep_err(ctx, KHNET_ERR_ARG);
    kp_buf_reset(&ctx->head);
    int hr = khnet__req_head(&ctx->head, req, ctx->hostport, ctx->token, ctx->errstr,
                             sizeof ctx->errstr);
    if (hr < 0) return keep_err(ctx, hr == -2 ? KHNET_ERR_NOMEM : KHNET_ERR_ARG);
    bool retryable = khnet__req_retryable(req);
    bool head_req = strcmp(req->method, "HEAD") == 0;
    for (int attempt = 0;; attempt++) {
        khnet_err rc = ensure_conn(ctx);
        if (rc != KHNET_OK) return rc;
        bool reused = !ctx->fresh;
        ctx->fresh = false;
        khnet__resp resp;
        khnet__resp_init(&resp, head_req);
        bool closed_early = false;
        rc = exchange(ctx, req, &resp, &closed_early);
        if (rc == KHNET_OK)
            rc = finish(ctx, &resp, out);
        else
            drop_conn(ctx); /* after any failure the stream position is unknown */
        khnet__resp_free(&resp);
        if (rc == KHNET_OK || *out || !(closed_early && reused && retryable && attempt == 0))
            return rc;
        ctx->stats.retries++;
    }
}

khnet_err khnet_call(khnet_ctx *ctx, const char *method, const char *path, const void *msgpack_body,
                     size_t body_len, khnet_reply **out)
{
    khnet_request req = KHNET_REQUEST_INIT;
    req.method = method;
    req.path = path;
    req.body = msgpack_body;
    req.body_len = body_len;
    return khnet_call_ex(ctx, &req, out);
}

khnet_err khnet_call_json(khnet_ctx *ctx, const char *method, const char *path,
                          const char *json_body, khnet_reply **out)
{
    khnet_request req = KHNET_REQUEST_INIT;
    req.method = method;
    req.path = path;
    req.body = json_body;
    req.body_len = json_body ? strlen(json_body) : 0;
    req.content_type = "application/json";
    return khnet_call_ex(ctx, &req, out);
}

khnet_err khnet_health(khnet_ctx *ctx, khnet_reply **out)
{
    return khnet_call(ctx, "GET", "/healthz", NULL, 0, out);
}
