/* stream.c — khnet_stream: the member's event stream (GET /v1/stream) over
 * its own blocking WebSocket connection, with transparent resume.
 *
 * The stream remembers the newest seq it handed out (or the one the
 * server's "ready" frame announced) and reconnects with ?after=<that seq>,
 * so the server pushes exactly what the client has not seen; an event whose
 * seq was already handed out is dropped as a second line of defence.
 * Framing is wsframe.c's; the upgrade response is parsed by read.c;
 * connections, plain or TLS (wss, resuming the TLS session on reconnect),
 * come from net.c.  Liveness: the server pings every 30 s by default; a
 * silence of IDLE_PING_MS makes us ping, and IDLE_DEAD_MS of silence counts
 * as a dead connection (a half-open TCP would otherwise wait forever).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "khnet_int.h"

enum {
    BACKOFF_MIN_MS = 100,
    BACKOFF_MAX_MS = 5000,
    IDLE_PING_MS = 15000,
    IDLE_DEAD_MS = 35000,
    CLOSE_WAIT_MS = 500,
    READY_WAIT_MS = 10000, /* for the ready frame when the context waits forever */
    READ_CHUNK = 16384,
};
/* One event frame; the server's are far smaller. */
#define MAX_MSG_BYTES ((size_t)16 * 1024 * 1024)

/* Frame results inside this file: an event is ready, nothing yet, the
 * connection must go (reconnect), the stream stopped for good. */
enum { F_EVENT = 1, F_MORE = 0, F_DROP = -1, F_STOP = -2 };

struct khnet_stream {
    khnet__url url;                     /* server address (copied from the context) */
    char hostport[KHNET__HOST_MAX + 8]; /* Host header value */
    char *token;                        /* bearer token (owned copy) or NULL */
    int step_ms;                        /* per-step timeout of connect and writes, 0 = forever */
    khnet__conn conn;                   /* the connection; fd -1 between connections */
    SSL_CTX *tls;                       /* wss: the context's TLS settings (own reference) */
    SSL_SESSION *session;               /* wss: the newest TLS session, resumed on reconnect */
    bool upgraded;                      /* conn got its 101 (a loss then counts as a drop) */
    bool ready;                         /* the ready frame of this connection arrived */
    kp_buf in;                          /* received bytes; [in_off, len) not yet parsed */
    size_t in_off;                      /* parsed prefix of in */
    kp_buf msg;                         /* fragments of a message being reassembled */
    bool in_msg;                        /* a fragmented message is open */
    uint8_t msg_op;                     /* its opcode */
    kp_buf out;                         /* request head or one outgoing frame */
    khnet_event *held;                  /* an event read while waiting for ready */
    int64_t last_seq;                   /* newest seq handed out or announced, -1 none */
    int backoff_ms;                     /* wait before the next connect after a failure */
    uint64_t retry_at;                  /* monotonic ms of the next connect attempt */
    uint64_t last_rx;                   /* monotonic ms of the last byte received */
    bool pinged;                        /* we pinged during the current silence */
    bool stopped;                       /* permanent error: err/errstr repeat */
    khnet_err err;                      /* last call's result */
    char errstr[KHNET__ERRSTR_MAX];     /* its reason, "" on success */
    struct khnet_stream_stats stats;    /* counters for khnet_stream_stats() */
};

/* An event and the arena its strings and payload live in. */
typedef struct event_mem {
    khnet_event pub; /* what the caller sees; must stay first */
    kp_arena *arena; /* the frame's bytes and the decoded tree */
} event_mem;

static const kp_value nil_value = {.type = KP_NIL};

static const kp_limits event_limits = {.max_depth = 64,
                                       .max_items = 1000000,
                                       .max_str = (uint32_t)MAX_MSG_BYTES,
                                       .max_total = MAX_MSG_BYTES};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static khnet_err set_err(khnet_stream *s, khnet_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static khnet_err set_err(khnet_stream *s, khnet_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errstr, sizeof s->errstr, fmt, ap);
    va_end(ap);
    s->err = code;
    return code;
}

void khnet_event_free(khnet_event *ev)
{
    if (ev) kp_arena_free(((event_mem *)ev)->arena);
}

/* ---- connection ------------------------------------------------------------ */

/* Forgets the connection and schedules the next attempt with jittered,
 * doubling backoff (many clients of a restarted server spread out). */
static void drop(khnet_stream *s)
{
    khnet__net_close(&s->conn);
    if (s->upgraded) s->stats.drops++;
    s->upgraded = s->ready = s->in_msg = s->pinged = false;
    kp_buf_reset(&s->in);
    kp_buf_reset(&s->msg);
    s->in_off = 0;
    s->retry_at = now_ms() + (uint64_t)s->backoff_ms + (uint64_t)(rand() % (s->backoff_ms / 4 + 1));
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* A permanent error: no socket, no retries; err and errstr stay as set. */
static void halt(khnet_stream *s)
{
    khnet__net_close(&s->conn);
    s->stopped = true;
}

static int send_frame(khnet_stream *s, uint8_t opcode, const void *payload, size_t len)
{
    kp_buf_reset(&s->out);
    if (khnet__ws_frame(&s->out, opcode, payload, len) < 0) {
        set_err(s, KHNET_ERR_NOMEM, "cannot build a WebSocket frame");
        return -1;
    }
    size_t sent = 0;
    return khnet__net_send(&s->conn, s->out.data, s->out.len, NULL, 0, s->step_ms, &sent, s->errstr,
                           sizeof s->errstr) == KHNET_OK
               ? 0
               : -1;
}

/* A refused upgrade: 4xx says the request itself is wrong (token, cursor),
 * which retrying cannot fix; 408, 429 and 5xx may pass. */
static khnet_err refused(khnet_stream *s, khnet__resp *r)
{
    khnet_reply *rep = NULL;
    khnet_err rc = khnet__reply_build(r, &rep, s->errstr, sizeof s->errstr);
    int st = r->status;
    khnet_reply_free(rep);
    if (rc == KHNET_OK) /* a 2xx or 3xx instead of 101 */
        rc = set_err(s, KHNET_ERR_PROTOCOL, "upgrade answered with HTTP %d, not 101", st);
    s->err = rc;
    s->stopped = st >= 400 && st < 500 && st != 408 && st != 429;
    return rc;
}

/* Reads the upgrade response; bytes after it are the first frames. */
static khnet_err read_upgrade(khnet_stream *s, khnet__resp *r, const char *accept)
{
    char buf[READ_CHUNK];
    size_t got = 0;
    for (khnet__rstate st = KHNET__R_MORE; st != KHNET__R_DONE;) {
        khnet_err rc = khnet__net_recv(&s->conn, buf, sizeof buf, s->step_ms, &got, s->errstr,
                                       sizeof s->errstr);
        if (rc != KHNET_OK) return s->err = rc;
        st = got ? khnet__resp_feed(r, buf, got) : khnet__resp_eof(r);
        if (st == KHNET__R_ERROR) return set_err(s, KHNET_ERR_PROTOCOL, "%s", r->err);
        if (st == KHNET__R_CLOSED)
            return set_err(s, KHNET_ERR_IO, "server closed the connection during the upgrade");
    }
    if (r->status != 101) return refused(s, r);
    if (strcmp(r->ws_accept, accept) != 0)
        return set_err(s, KHNET_ERR_PROTOCOL, "wrong Sec-WebSocket-Accept in the upgrade");
    if (got > r->last_used) kp_buf_append(&s->in, buf + r->last_used, got - r->last_used);
    s->upgraded = true;
    s->last_rx = now_ms();
    return s->in.oom ? set_err(s, KHNET_ERR_NOMEM, "out of memory") : KHNET_OK;
}

static khnet_err send_upgrade(khnet_stream *s, const char *key)
{
    kp_buf_reset(&s->out);
    kp_buf_appendf(&s->out, "GET /v1/stream");
    if (s->last_seq >= 0) kp_buf_appendf(&s->out, "?after=%lld", (long long)s->last_seq);
    kp_buf_appendf(&s->out,
                   " HTTP/1.1\r\nHost: %s\r\nUser-Agent: libkhnet/%s\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Key: %s\r\n",
                   s->hostport, KHNET_VERSION_STRING, key);
    if (s->token) kp_buf_appendf(&s->out, "Authorization: Bearer %s\r\n", s->token);
    kp_buf_append(&s->out, "\r\n", 2);
    if (s->out.oom) return set_err(s, KHNET_ERR_NOMEM, "out of memory");
    size_t sent = 0;
    khnet_err rc = khnet__net_send(&s->conn, s->out.data, s->out.len, NULL, 0, s->step_ms, &sent,
                                   s->errstr, sizeof s->errstr);
    return s->err = rc;
}

static int pump(khnet_stream *s, khnet_event **out);
static int read_some(khnet_stream *s, uint64_t deadline);

/* Waits for the ready frame, so the stream's cursor is known from the start. */
static khnet_err await_ready(khnet_stream *s)
{
    uint64_t deadline = now_ms() + (uint64_t)(s->step_ms ? s->step_ms : READY_WAIT_MS);
    while (!s->ready) {
        int r = pump(s, s->held ? NULL : &s->held);
        if (r == F_STOP) return s->err;
        if (r == F_MORE && s->ready) break;
        if (r == F_MORE && now_ms() >= deadline) {
            set_err(s, KHNET_ERR_TIMEOUT, "no ready frame from the server");
            r = F_DROP;
        }
        if (r == F_MORE) r = read_some(s, deadline);
        if (r == F_DROP)
            return s->err != KHNET_OK ? s->err : set_err(s, KHNET_ERR_IO, "connection lost");
    }
    return KHNET_OK;
}

/* TCP, and TLS for wss.  A certificate that fails verification stops the
 * stream (no reconnect can fix it); other failures are retried. */
static khnet_err open_conn(khnet_stream *s)
{
    bool resumed = false;
    khnet_err rc = khnet__net_open(&s->conn, &s->url, s->tls, &s->session, s->step_ms, &resumed,
                                   s->errstr, sizeof s->errstr);
    if (rc == KHNET_ERR_TLS && s->conn.cert_refused) s->stopped = true;
    s->stats.tls_resumed += resumed;
    return s->err = rc;
}

/* One connection attempt: TCP (and TLS), upgrade, ready frame. */
static khnet_err connect_stream(khnet_stream *s)
{
    char key[25], accept[29];
    khnet_err rc = khnet__ws_key(key, accept) < 0
                       ? set_err(s, KHNET_ERR_IO, "no randomness for the WebSocket key")
                       : open_conn(s);
    if (rc == KHNET_OK) rc = send_upgrade(s, key);
    if (rc == KHNET_OK) {
        khnet__resp resp;
        khnet__resp_init(&resp, false);
        rc = read_upgrade(s, &resp, accept);
        khnet__resp_free(&resp);
    }
    if (rc == KHNET_OK) rc = await_ready(s);
    if (rc != KHNET_OK && s->stopped)
        halt(s);
    else if (rc != KHNET_OK)
        drop(s); /* schedules the next attempt */
    return s->err = rc;
}

/* ---- frames and messages ----------------------------------------------------- */

static bool as_int(const kp_value *v, int64_t *out)
{
    if (!v || v->type != KP_INT) return false;
    *out = v->v.i;
    return true;
}

static bool str_is(const kp_value *v, const char *s)
{
    return v && v->type == KP_STR && v->v.s.len == strlen(s) &&
           memcmp(v->v.s.ptr, s, v->v.s.len) == 0;
}

static const char *dup_str(kp_arena *a, const kp_value *v)
{
    if (!v || v->type != KP_STR) return kp_arena_strndup(a, "", 0);
    return kp_arena_strndup(a, v->v.s.ptr, v->v.s.len);
}

/* Fills m->pub from an event frame's root; -1 if malformed or out of memory. */
static int fill_event(event_mem *m, const kp_value *root)
{
    const kp_value *payload = kp_map_get(root, "payload");
    if (!as_int(kp_map_get(root, "seq"), &m->pub.seq)) return -1;
    m->pub.kind = dup_str(m->arena, kp_map_get(root, "kind"));
    m->pub.at = dup_str(m->arena, kp_map_get(root, "at"));
    m->pub.payload = payload ? payload : &nil_value;
    return m->pub.kind && m->pub.at ? 0 : -1;
}

/* A whole binary message: ready (cursor) or event (maybe handed out). */
static int on_message(khnet_stream *s, const uint8_t *data, size_t len, khnet_event **out)
{
    /* One allocation owns it all: the event, the frame's bytes (kp_decode
     * points into them) and the decoded tree. */
    kp_arena *a = kp_arena_new(len + 1024);
    event_mem *m = a ? kp_arena_alloc(a, sizeof *m) : NULL;
    uint8_t *copy = m ? kp_arena_alloc(a, len + 1) : NULL;
    if (!copy) {
        kp_arena_free(a);
        set_err(s, KHNET_ERR_NOMEM, "out of memory");
        return F_DROP;
    }
    memset(m, 0, sizeof *m);
    m->arena = a;
    memcpy(copy, data, len);
    kp_value *root = NULL;
    kp_err e = {0};
    int r = F_MORE;
    if (kp_decode(a, copy, len, &event_limits, &root, &e) < 0 || root->type != KP_MAP) {
        r = F_DROP;
        set_err(s, KHNET_ERR_PROTOCOL, "undecodable frame (%s)", e.code ? e.code : "not a map");
    } else if (str_is(kp_map_get(root, "type"), "ready")) {
        int64_t seq;
        if (s->last_seq < 0 && as_int(kp_map_get(root, "seq"), &seq)) s->last_seq = seq;
        s->ready = true;
        s->backoff_ms = BACKOFF_MIN_MS; /* a healthy connection: next loss retries fast */
        s->stats.connects++;
    } else if (str_is(kp_map_get(root, "type"), "event")) {
        if (fill_event(m, root) < 0) {
            r = F_DROP;
            set_err(s, KHNET_ERR_PROTOCOL, "malformed event frame");
        } else if (m->pub.seq <= s->last_seq) {
            s->stats.duplicates++;
        } else if (!out) { /* a second event before ready: the server broke the protocol */
            r = F_DROP;
            set_err(s, KHNET_ERR_PROTOCOL, "events before the ready frame");
        } else {
            s->last_seq = m->pub.seq;
            s->stats.events++;
            *out = &m->pub;
            return F_EVENT; /* the arena now belongs to the caller */
        }
    } /* other types: newer servers' frames this client does not know */
    kp_arena_free(a);
    return r;
}

/* The server's close: answer it (RFC 6455 5.5.1), then reconnect unless
 * the session ended, which no reconnect can cure. */
static int on_close(khnet_stream *s, const khnet__wsframe *f)
{
    unsigned code = f->len >= 2 ? (unsigned)f->payload[0] << 8 | f->payload[1] : 1005;
    int rlen = f->len > 2 ? (int)f->len - 2 : 0;
    const char *reason = f->len > 2 ? (const char *)f->payload + 2 : "";
    (void)send_frame(s, 8, f->payload, f->len >= 2 ? 2 : 0);
    if (code == 4001) {
        s->stopped = true;
        set_err(s, KHNET_ERR_CLOSED, "server ended the stream: %u %.*s", code, rlen, reason);
        return F_STOP;
    }
    set_err(s, KHNET_ERR_IO, "server closed the stream: %u %.*s", code, rlen, reason);
    return F_DROP;
}

static int protocol_error(khnet_stream *s, const char *why)
{
    static const uint8_t code[2] = {1002 >> 8, 1002 & 0xff};
    set_err(s, KHNET_ERR_PROTOCOL, "WebSocket protocol error: %s", why);
    char keep[KHNET__ERRSTR_MAX];
    memcpy(keep, s->errstr, sizeof keep);
    (void)send_frame(s, 8, code, 2); /* best effort; our reason is the one to report */
    memcpy(s->errstr, keep, sizeof keep);
    return F_DROP;
}

/* Data frames reassembled into messages; control frames answered. */
static int on_frame(khnet_stream *s, const khnet__wsframe *f, khnet_event **out)
{
    if (f->opcode == 8) return on_close(s, f);
    if (f->opcode == 9) return send_frame(s, 10, f->payload, f->len) < 0 ? F_DROP : F_MORE;
    if (f->opcode == 10) return F_MORE;
    if ((f->opcode == 0) != s->in_msg)
        return protocol_error(s, f->opcode ? "new message inside a fragmented one"
                                           : "continuation frame outside a message");
    if (f->fin && !s->in_msg) /* the common case: one frame, no copy */
        return f->opcode == 2 ? on_message(s, f->payload, f->len, out) : F_MORE;
    if (s->msg.len + f->len > MAX_MSG_BYTES)
        return protocol_error(s, "message larger than the client accepts");
    if (!s->in_msg) s->msg_op = f->opcode;
    kp_buf_append(&s->msg, f->payload, f->len);
    s->in_msg = !f->fin;
    if (s->in_msg) return F_MORE;
    int r = s->msg_op == 2 ? on_message(s, s->msg.data, s->msg.len, out) : F_MORE;
    kp_buf_reset(&s->msg);
    return r;
}

/* Handles the buffered frames until one yields an event or more bytes are needed. */
static int pump(khnet_stream *s, khnet_event **out)
{
    while (s->in_off < s->in.len) {
        khnet__wsframe f;
        const char *why = NULL;
        long n =
            khnet__ws_parse(s->in.data + s->in_off, s->in.len - s->in_off, MAX_MSG_BYTES, &f, &why);
        if (n == 0) break;
        if (n < 0) return protocol_error(s, why);
        s->in_off += (size_t)n;
        int r = on_frame(s, &f, out);
        if (r != F_MORE) return r;
    }
    return F_MORE;
}

/* Waits for bytes until deadline, keeping the connection's liveness in
 * check; F_MORE after bytes or a timeout, F_DROP when the connection is dead. */
static int read_some(khnet_stream *s, uint64_t deadline)
{
    uint64_t now = now_ms(), idle = now - s->last_rx;
    if (idle >= IDLE_DEAD_MS) {
        set_err(s, KHNET_ERR_IO, "nothing from the server for %llu ms", (unsigned long long)idle);
        return F_DROP;
    }
    if (idle >= IDLE_PING_MS && !s->pinged) {
        if (send_frame(s, 9, NULL, 0) < 0) return F_DROP;
        s->pinged = true;
    }
    uint64_t wake = s->last_rx + (s->pinged ? IDLE_DEAD_MS : IDLE_PING_MS);
    wake = wake < deadline ? wake : deadline;
    struct pollfd p = {.fd = s->conn.fd, .events = khnet__net_events(&s->conn)};
    /* TLS may hold decrypted bytes already read off the socket: no wait then. */
    int n = khnet__net_pending(&s->conn)
                ? 1
                : poll(&p, 1, wake > now ? (int)(wake - now > INT_MAX ? INT_MAX : wake - now) : 0);
    if (n <= 0) return F_MORE; /* timeout, or EINTR: the caller re-checks its deadline */
    if (s->in_off) {           /* keep only the unparsed tail */
        memmove(s->in.data, s->in.data + s->in_off, s->in.len - s->in_off);
        s->in.len -= s->in_off;
        s->in_off = 0;
    }
    if (kp_buf_reserve(&s->in, READ_CHUNK) < 0) {
        set_err(s, KHNET_ERR_NOMEM, "out of memory");
        return F_DROP;
    }
    size_t got = 0;
    int r = khnet__net_try_recv(&s->conn, s->in.data + s->in.len, READ_CHUNK, &got, s->errstr,
                                sizeof s->errstr);
    if (r > 0) {
        s->in.len += got;
        s->last_rx = now_ms();
        s->pinged = false;
        return F_MORE;
    }
    if (r == 0) return F_MORE;
    if (r == -1) set_err(s, KHNET_ERR_IO, "server closed the connection");
    s->err = KHNET_ERR_IO;
    return F_DROP;
}

/* ---- public -------------------------------------------------------------------- */

/* Takes references to the context's TLS settings and session; -1 (the
 * stream stopped with the context's reason) when it has no settings. */
static int share_tls(khnet_stream *s, khnet_ctx *ctx)
{
    SSL_CTX *tls;
    SSL_SESSION *session;
    char *why;
    khnet__ctx_tls(ctx, &tls, &session, &why);
    if (!tls) {
        s->stopped = true;
        set_err(s, KHNET_ERR_TLS, "%s", why);
        return -1;
    }
    if (SSL_CTX_up_ref(tls) != 1 || (session && SSL_SESSION_up_ref(session) != 1)) {
        set_err(s, KHNET_ERR_NOMEM, "out of memory");
        s->stopped = true;
        return -1;
    }
    s->tls = tls;
    s->session = session;
    return 0;
}

khnet_err khnet_stream_open(khnet_ctx *ctx, int64_t after_seq, khnet_stream **out)
{
    if (!out) return KHNET_ERR_ARG;
    *out = NULL;
    if (!ctx || after_seq < -1) return KHNET_ERR_ARG;
    khnet_stream *s = calloc(1, sizeof *s);
    if (!s) return KHNET_ERR_NOMEM;
    s->conn.fd = -1;
    s->stats.size = sizeof s->stats;
    s->last_seq = after_seq;
    s->backoff_ms = BACKOFF_MIN_MS;
    kp_buf_init(&s->in);
    kp_buf_init(&s->msg);
    kp_buf_init(&s->out);
    const khnet__url *url;
    const char *hostport, *token, *url_err;
    khnet__ctx_conf(ctx, &url, &hostport, &token, &s->step_ms, &url_err);
    if (token && !(s->token = strdup(token))) {
        free(s);
        return KHNET_ERR_NOMEM;
    }
    *out = s;
    if (!url) {
        s->stopped = true;
        return set_err(s, KHNET_ERR_URL, "%s", url_err);
    }
    s->url = *url;
    snprintf(s->hostport, sizeof s->hostport, "%s", hostport);
    if (url->tls && share_tls(s, ctx) < 0) return s->err;
    return connect_stream(s);
}

khnet_err khnet_stream_next(khnet_stream *s, int timeout_ms, khnet_event **out)
{
    if (!s) return KHNET_ERR_ARG;
    if (!out) return set_err(s, KHNET_ERR_ARG, "NULL event pointer");
    *out = NULL;
    if (s->stopped) return s->err;
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (s->held) {
            *out = s->held;
            s->held = NULL;
            return set_err(s, KHNET_OK, "%s", "");
        }
        int r = s->conn.fd >= 0 ? pump(s, out) : F_MORE;
        if (r == F_EVENT) return set_err(s, KHNET_OK, "%s", "");
        if (r == F_STOP) {
            halt(s);
            return s->err;
        }
        if (r == F_DROP) {
            drop(s);
            continue;
        }
        uint64_t now = now_ms();
        if (s->conn.fd < 0 && now < s->retry_at) {
            if (now >= deadline)
                return set_err(s, KHNET_ERR_TIMEOUT, "reconnecting: %.200s", s->errstr);
            uint64_t until = s->retry_at < deadline ? s->retry_at : deadline;
            (void)poll(NULL, 0, (int)(until - now));
        } else if (s->conn.fd < 0) {
            if (connect_stream(s) != KHNET_OK && s->stopped) return s->err;
        } else if (now >= deadline) {
            return set_err(s, KHNET_ERR_TIMEOUT, "no event within %d ms", timeout_ms);
        } else if (read_some(s, deadline) == F_DROP) {
            drop(s);
        }
    }
}

int64_t khnet_stream_seq(const khnet_stream *s)
{
    return s ? s->last_seq : -1;
}

khnet_err khnet_stream_errcode(const khnet_stream *s)
{
    return s ? s->err : KHNET_ERR_ARG;
}

const char *khnet_stream_errstr(const khnet_stream *s)
{
    return s ? s->errstr : "NULL stream";
}

khnet_err khnet_stream_stats(const khnet_stream *s, struct khnet_stream_stats *out)
{
    if (!s || !out) return KHNET_ERR_ARG;
    return khnet__abi_out(out, &s->stats, sizeof s->stats) == 0 ? KHNET_OK : KHNET_ERR_ARG;
}

int khnet__stream_fd(const khnet_stream *s)
{
    return s->conn.fd;
}

/* Our close, then the server's answer (or EOF) for a short while: a clean
 * closing handshake lets the server log a normal close, not a lost peer. */
void khnet_stream_close(khnet_stream *s)
{
    if (!s) return;
    if (s->conn.fd >= 0 && s->upgraded) {
        static const uint8_t normal[2] = {1000 >> 8, 1000 & 0xff};
        if (send_frame(s, 8, normal, 2) == 0) {
            khnet__net_close_write(&s->conn);
            uint64_t deadline = now_ms() + CLOSE_WAIT_MS;
            char sink[4096];
            for (uint64_t now; (now = now_ms()) < deadline;) {
                size_t got;
                int r = khnet__net_try_recv(&s->conn, sink, sizeof sink, &got, s->errstr,
                                            sizeof s->errstr);
                struct pollfd p = {.fd = s->conn.fd, .events = khnet__net_events(&s->conn)};
                if (r < 0 || (r == 0 && poll(&p, 1, (int)(deadline - now)) <= 0)) break;
            }
        }
    }
    khnet__net_close(&s->conn);
    SSL_SESSION_free(s->session);
    SSL_CTX_free(s->tls);
    khnet_event_free(s->held);
    kp_buf_free(&s->in);
    kp_buf_free(&s->msg);
    kp_buf_free(&s->out);
    free(s->token);
    free(s);
}
