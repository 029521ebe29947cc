/* ws.c — WebSocket (RFC 6455) on an upgraded HTTP connection.
 *
 * We do the opening handshake and the I/O; wslay does the framing
 * (masking, fragmentation, control frames, close codes, UTF-8 of text
 * frames).  Input: bytes read from the socket are handed to wslay through
 * its recv callback.  Output: wslay's send callback appends to `out`, which
 * goes to the socket with one write in flight at a time (`inflight`).
 *
 * Memory is bounded per connection: what wslay has queued plus what waits
 * in out/inflight may not pass `max_queue_bytes`; a consumer that slow is
 * sent close 1008 ("slow consumer") and dropped after a short grace, instead
 * of growing the server's memory.  A peer silent for two ping intervals is
 * dropped. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <wslay/wslay.h>

#include "internal.h"

struct http_ws {
    http_conn *conn;             /* the upgraded connection */
    wslay_event_context_ptr ctx; /* framing state */
    const http_ws_ops *ops;      /* the owner's callbacks */
    void *user;                  /* the owner's data */
    http_ws_limits lim;          /* bounds, copied at accept */
    const uint8_t *in;           /* unread input during feed */
    size_t in_len;               /* its length */
    kp_buf out;                  /* frames waiting to be written */
    kp_buf inflight;             /* frames being written */
    uv_write_t wreq;             /* the write in flight */
    uint64_t last_rx_ms;         /* loop time of the last input */
    bool writing;                /* wreq is in flight */
    bool dropping;               /* closing for slowness: accept nothing more */
    bool closed;                 /* on_close was called, or is not owed */
    bool accepting;              /* inside http_ws_accept: the owner has no pointer yet */
};

enum { WS_DROP_GRACE_MS = 5000 }; /* a dropped or closing peer's last chance to read */

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* ---- handshake ------------------------------------------------------------- */

static bool header_has_token(const http_req *r, const char *name, const char *token)
{
    size_t n, tl = strlen(token);
    const char *v = http_req_header(r, name, &n);
    while (v && n >= tl) { /* comma-separated, case-insensitive tokens */
        while (n && (*v == ' ' || *v == '\t' || *v == ',')) {
            v++;
            n--;
        }
        size_t len = 0;
        while (len < n && v[len] != ',')
            len++;
        size_t t = len;
        while (t && (v[t - 1] == ' ' || v[t - 1] == '\t'))
            t--;
        if (t == tl && strncasecmp(v, token, tl) == 0) return true;
        v += len;
        n -= len;
    }
    return false;
}

/* Sec-WebSocket-Accept for a client key (RFC 6455 4.2.2). */
static bool accept_key(const http_req *r, char out[32])
{
    size_t n;
    const char *key = http_req_header(r, "sec-websocket-key", &n);
    unsigned char raw[24];
    if (!key || n != 24 || EVP_DecodeBlock(raw, (const unsigned char *)key, 24) != 18)
        return false; /* 16 bytes, base64-encoded: 24 chars, decodes to 18 with padding */
    char buf[24 + sizeof ws_guid];
    memcpy(buf, key, 24);
    memcpy(buf + 24, ws_guid, sizeof ws_guid - 1);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)buf, 24 + sizeof ws_guid - 1, sha);
    EVP_EncodeBlock((unsigned char *)out, sha, SHA_DIGEST_LENGTH);
    return true;
}

/* ---- output ----------------------------------------------------------------- */

static void ws_flush(http_ws *ws);
static void ws_maybe_close(http_ws *ws);

static void on_ws_write(uv_write_t *w, int status)
{
    http_ws *ws = w->data;
    ws->writing = false;
    kp_buf_reset(&ws->inflight);
    if (!ws->conn) return; /* closed under the write; freed with the connection */
    if (status < 0) {
        http__conn_close(ws->conn);
        return;
    }
    ws_flush(ws);
    ws_maybe_close(ws);
}

static void ws_flush(http_ws *ws)
{
    if (ws->writing || !ws->out.len || !ws->conn || ws->conn->closing) return;
    uv_stream_t *st = (uv_stream_t *)&ws->conn->tcp;
    uv_buf_t b = uv_buf_init((char *)ws->out.data, (unsigned)ws->out.len);
    int n = uv_try_write(st, &b, 1);
    if (n == (int)ws->out.len) {
        kp_buf_reset(&ws->out);
        return;
    }
    if (n < 0 && n != UV_EAGAIN) {
        http__conn_close(ws->conn);
        return;
    }
    size_t done = n > 0 ? (size_t)n : 0;
    kp_buf tmp = ws->inflight; /* swap: out becomes the in-flight buffer */
    ws->inflight = ws->out;
    ws->out = tmp;
    kp_buf_reset(&ws->out);
    b = uv_buf_init((char *)ws->inflight.data + done, (unsigned)(ws->inflight.len - done));
    ws->wreq.data = ws;
    if (uv_write(&ws->wreq, st, &b, 1, on_ws_write) < 0) {
        http__conn_close(ws->conn);
        return;
    }
    ws->writing = true;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    (void)flags;
    http_ws *ws = user;
    kp_buf_append(&ws->out, data, len);
    if (ws->out.oom) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static size_t pending_bytes(const http_ws *ws)
{
    return wslay_event_get_queued_msg_length(ws->ctx) + ws->out.len + ws->inflight.len;
}

/* Runs wslay's sender and our writer; closes when both sides are done. */
static void ws_pump(http_ws *ws)
{
    if (!ws->conn || ws->conn->closing) return;
    if (wslay_event_send(ws->ctx) != 0) {
        http__conn_close(ws->conn);
        return;
    }
    ws_flush(ws);
    ws_maybe_close(ws);
}

static void ws_maybe_close(http_ws *ws)
{
    if (!ws->conn || ws->conn->closing) return;
    if (!wslay_event_want_read(ws->ctx) && !wslay_event_want_write(ws->ctx) && !ws->out.len &&
        !ws->writing)
        http__conn_close(ws->conn);
}

/* ---- input ------------------------------------------------------------------ */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    (void)flags;
    http_ws *ws = user;
    if (!ws->in_len) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < ws->in_len ? len : ws->in_len;
    memcpy(buf, ws->in, n);
    ws->in += n;
    ws->in_len -= n;
    return (ssize_t)n;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user)
{
    (void)ctx;
    http_ws *ws = user;
    if ((arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME) &&
        ws->ops->on_message)
        ws->ops->on_message(ws, arg->msg, arg->msg_length, arg->opcode == WSLAY_BINARY_FRAME);
}

void http__ws_feed(http_ws *ws, const char *data, size_t len)
{
    ws->in = (const uint8_t *)data;
    ws->in_len = len;
    ws->last_rx_ms = uv_now(ws->conn->srv->loop);
    if (wslay_event_recv(ws->ctx) != 0) { /* protocol error: wslay queued a close */
        ws->in_len = 0;
        ws_pump(ws);
        if (ws->conn && !ws->conn->closing) http__conn_close(ws->conn);
        return;
    }
    ws->in_len = 0;
    ws_pump(ws);
}

/* Called by the connection's timer every ping interval. */
void http__ws_tick(http_ws *ws)
{
    uint64_t now = uv_now(ws->conn->srv->loop);
    if (ws->dropping || now - ws->last_rx_ms > 2 * (uint64_t)ws->lim.ping_ms) {
        http__conn_close(ws->conn); /* silent peer, or slow consumer past its grace */
        return;
    }
    struct wslay_event_msg ping = {WSLAY_PING, NULL, 0};
    wslay_event_queue_msg(ws->ctx, &ping);
    ws_pump(ws);
    if (ws->conn && !ws->conn->closing)
        uv_timer_start(&ws->conn->timer, http__conn_on_timer, (uint64_t)ws->lim.ping_ms, 0);
}

/* The connection is closing: tell the owner once.  Closing while accepting
 * (the 101 cannot be written, or frames that came with the request end the
 * connection) is not the owner's: accept answers NULL.  The memory stays
 * until the connection's handles are closed (http__ws_free): the close may
 * come from deep inside a send, a feed or wslay's own callbacks, whose
 * callers go on reading ws and its context after it returns. */
void http__ws_detach(http_ws *ws)
{
    if (!ws->closed) {
        ws->closed = true;
        if (ws->ops->on_close && !ws->accepting) ws->ops->on_close(ws);
    }
    ws->conn = NULL;
}

void http__ws_free(http_ws *ws)
{
    wslay_event_context_free(ws->ctx);
    kp_buf_free(&ws->out);
    kp_buf_free(&ws->inflight);
    free(ws);
}

/* ---- public ------------------------------------------------------------------ */

static int handshake_error(http_req *r)
{
    if (strcmp(http_req_method(r), "GET") != 0) {
        http_reply_error(r, 400, "bad_request", "a WebSocket upgrade is a GET", NULL);
        return -1;
    }
    if (!header_has_token(r, "upgrade", "websocket") ||
        !header_has_token(r, "connection", "upgrade")) {
        http_req_add_header(r, "Upgrade", "websocket");
        http_reply_error(r, 426, "upgrade_required", "this path speaks WebSocket only", NULL);
        return -1;
    }
    size_t n;
    const char *v = http_req_header(r, "sec-websocket-version", &n);
    if (!v || n != 2 || memcmp(v, "13", 2) != 0) {
        http_req_add_header(r, "Sec-WebSocket-Version", "13");
        http_reply_error(r, 426, "upgrade_required", "WebSocket version 13 is required", NULL);
        return -1;
    }
    http_conn *c = r->conn;
    if (c->qhead != r || r->next || c->writing) {
        http_reply_error(r, 400, "bad_request", "pipelined requests before an upgrade", NULL);
        return -1;
    }
    return 0;
}

http_ws *http_ws_accept(http_req *r, const http_ws_ops *ops, void *user, const http_ws_limits *lim)
{
    http_conn *c = r->conn;
    if (!c) { /* the client left during authentication */
        http_reply_error(r, 400, "bad_request", "connection gone", NULL);
        return NULL;
    }
    if (handshake_error(r)) return NULL;
    char key[32];
    if (!accept_key(r, key)) {
        http_reply_error(r, 400, "bad_request", "bad Sec-WebSocket-Key", NULL);
        return NULL;
    }
    http_ws *ws = calloc(1, sizeof *ws);
    struct wslay_event_callbacks cbs = {on_recv, on_send, NULL, NULL, NULL, NULL, on_msg};
    if (!ws || wslay_event_context_server_init(&ws->ctx, &cbs, ws) != 0) {
        free(ws);
        http_reply_error(r, 503, "server_busy", "out of memory", NULL);
        return NULL;
    }
    wslay_event_config_set_max_recv_msg_length(ws->ctx, lim->max_msg_bytes);
    ws->conn = c;
    ws->ops = ops;
    ws->user = user;
    ws->lim = *lim;
    kp_buf_init(&ws->out);
    kp_buf_init(&ws->inflight);
    ws->last_rx_ms = uv_now(c->srv->loop);
    kp_buf_appendf(&ws->out,
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nX-Request-Id: %s\r\n",
                   key, r->rid);
    http__security_headers(r, &ws->out);
    kp_buf_append(&ws->out, "\r\n", 2);
    ws->accepting = true;
    http__switch_to_ws(c, r, ws);
    ws_flush(ws);
    if (ws->conn) uv_timer_start(&c->timer, http__conn_on_timer, (uint64_t)lim->ping_ms, 0);
    if (ws->conn && c->upgrade_tail.len) { /* frames that came with the upgrade request */
        kp_buf tail = c->upgrade_tail;
        kp_buf_init(&c->upgrade_tail);
        http__ws_feed(ws, (const char *)tail.data, tail.len);
        kp_buf_free(&tail);
    }
    if (ws->conn && c->srv->draining) /* upgraded after the drain went by */
        http_ws_close(ws, 1001, "server shutting down");
    ws->accepting = false;
    return ws->conn ? ws : NULL; /* gone already: see http__ws_detach */
}

int http_ws_send(http_ws *ws, const void *data, size_t len)
{
    if (!ws->conn || ws->conn->closing || ws->dropping) return -1;
    if (pending_bytes(ws) + len > ws->lim.max_queue_bytes) {
        /* Slow consumer: drop what it has not been handed yet (it catches
         * up by cursor), say why right after what is already on its way,
         * and cut it if it does not read even that within the grace. */
        ws->dropping = true;
        /* operators see who falls behind (and tests wait on it, not a clock) */
        log_event("info", "msg=\"stream: slow consumer dropped\" queued=%zu limit=%zu",
                  pending_bytes(ws) + len, (size_t)ws->lim.max_queue_bytes);
        kp_buf_reset(&ws->out); /* whole frames only: out ends on a frame boundary */
        wslay_event_queue_close(ws->ctx, 1008, (const uint8_t *)"slow consumer", 13);
        ws_pump(ws);
        if (ws->conn && !ws->conn->closing)
            uv_timer_start(&ws->conn->timer, http__conn_on_timer, WS_DROP_GRACE_MS, 0);
        return -1;
    }
    struct wslay_event_msg m = {WSLAY_BINARY_FRAME, data, len};
    if (wslay_event_queue_msg(ws->ctx, &m) != 0) return -1;
    ws_pump(ws);
    return 0;
}

void http_ws_close(http_ws *ws, uint16_t code, const char *reason)
{
    if (!ws->conn || ws->conn->closing) return;
    wslay_event_queue_close(ws->ctx, code, (const uint8_t *)reason, reason ? strlen(reason) : 0);
    ws_pump(ws);
    if (ws->conn && !ws->conn->closing) { /* a peer that never answers the close */
        ws->dropping = true;
        uv_timer_start(&ws->conn->timer, http__conn_on_timer, WS_DROP_GRACE_MS, 0);
    }
}

void *http_ws_user(const http_ws *ws)
{
    return ws->user;
}
