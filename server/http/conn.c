/* conn.c — HTTP/1.1 connections: reading, llhttp parsing, limits and
 * timeouts, dispatch to the router, and writing replies in request order.
 *
 * Pipelining: the parser pauses after each complete request, so requests
 * are dispatched one at a time; up to max_pipeline wait for their replies.
 * Beyond that, unparsed bytes are stashed and reading stops until the queue
 * drains.  Replies are written from the head of the queue only, so they go
 * out in order whatever order handlers finish in.
 *
 * Lifetime: a connection is freed after both its handles are closed.  A
 * request still waiting for an asynchronous handler when its connection
 * dies is orphaned (conn = NULL) and freed by its reply. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

static const llhttp_settings_t *parser_settings(void);
static void feed(http_conn *c, const char *data, size_t len);

/* One read buffer per thread: data is parsed (and copied where kept) before
 * the next read, so connections need no buffer of their own. */
static _Thread_local char read_buf[64 * 1024];

/* ---- closing ------------------------------------------------------------- */

static void free_conn(http_conn *c)
{
    http_server *s = c->srv;
    kp_buf_free(&c->stash);
    kp_buf_free(&c->upgrade_tail);
    kp_buf_free(&c->pxbuf);
    if (c->ws_closed) http__ws_free(c->ws_closed);
    free(c);
    if (s->draining && s->nconns == 0 && s->drained) {
        void (*cb)(http_server *) = s->drained;
        s->drained = NULL;
        cb(s);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    http_conn *c = h->data;
    if (--c->handles == 0) free_conn(c);
}

static void conn_close(http_conn *c)
{
    if (c->closing) return;
    c->closing = true;
    http_server *s = c->srv;
    /* unlink now, so drain/close_all never see a closing connection */
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    if (s->metrics) metrics_conn_closed(s->metrics);
    if (c->ws) {
        c->ws_closed = c->ws;
        c->ws = NULL;
        http__ws_detach(c->ws_closed);
    }
    if (c->parsing) {
        http__req_recycle(s, c->parsing);
        c->parsing = NULL;
    }
    for (http_req *r = c->qhead, *next; r; r = next) {
        next = r->next;
        r->next = NULL;
        if (r->replied)
            http__req_recycle(s, r);
        else
            r->conn = NULL; /* orphan: its handler still holds it */
    }
    c->qhead = c->qtail = NULL;
    c->queued = 0;
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

void http__conn_close(http_conn *c)
{
    conn_close(c);
}

/* ---- timers -------------------------------------------------------------- */

static void arm(http_conn *c, int ms)
{
    if (!c->closing) uv_timer_start(&c->timer, http__conn_on_timer, (uint64_t)ms, 0);
}

/* Chooses the deadline for the connection's current state. */
static void rearm(http_conn *c)
{
    if (c->closing) return;
    if (c->parsing) return; /* header/body timer set when it began */
    if (c->queued || c->writing)
        uv_timer_stop(&c->timer); /* handlers are bounded */
    else
        arm(c, c->srv->lim.idle_timeout_ms);
}

static void reply_now(http_conn *c, http_req *r, int status, const char *code, const char *msg);
static void set_request_id(http_req *r);

void http__conn_on_timer(uv_timer_t *t)
{
    http_conn *c = t->data;
    if (c->ws) {
        http__ws_tick(c->ws);
        return;
    }
    if (c->parsing) { /* a request started and stalled: tell the client */
        http_req *r = c->parsing;
        c->parsing = NULL;
        reply_now(c, r, 408, "request_timeout", "request not received in time");
        return;
    }
    if (!c->queued && !c->writing) conn_close(c); /* idle keep-alive */
}

/* ---- reading ------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void stop_reading(http_conn *c)
{
    if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
}

/* Answers 400 before any request was read, and closes. */
static void refuse_proxy(http_conn *c, const char *msg)
{
    http_req *r = http__req_new(c->srv, c);
    if (!r) {
        conn_close(c);
        return;
    }
    c->px = HTTP_PX_DONE;
    reply_now(c, r, 400, "bad_request", msg);
}

/* The first bytes of a connection.  From a trusted proxy a PROXY v2 header
 * may come first (optional: a proxy may also speak plain HTTP with
 * X-Forwarded-For); from anyone else a PROXY header of either version is
 * refused.  A header split across reads waits in pxbuf, under the header
 * timeout armed at accept. */
static void read_proxy(http_conn *c, const char *data, size_t len)
{
    kp_buf *b = &c->pxbuf;
    const uint8_t *p = (const uint8_t *)data;
    size_t n = len;
    if (b->len) {
        kp_buf_append(b, data, len);
        if (b->oom) {
            conn_close(c);
            return;
        }
        p = b->data;
        n = b->len;
    }
    http_proxy_hdr h;
    int rc = http_proxy_parse(p, n, &h);
    if (rc == 0) { /* a beginning: wait for the rest */
        if (!b->len) kp_buf_append(b, data, len);
        if (b->oom) conn_close(c);
        return;
    }
    if (rc != HTTP_PROXY_ABSENT && !c->trusted)
        refuse_proxy(c, "PROXY protocol header from a peer that is not a trusted proxy");
    else if (rc == HTTP_PROXY_V1)
        refuse_proxy(c, "only the binary PROXY protocol (v2) is accepted");
    else if (rc < 0 && rc != HTTP_PROXY_ABSENT)
        refuse_proxy(c, "malformed PROXY protocol header");
    else {
        size_t used = rc > 0 ? (size_t)rc : 0;
        c->px = HTTP_PX_DONE;
        if (rc > 0 && !h.local && h.src.ss_family &&
            net_addr_name((const struct sockaddr *)&h.src, c->client, sizeof c->client) == 0)
            c->proxied = true;
        c->proxy_tls = rc > 0 && h.ssl;
        if (n > used) feed(c, (const char *)p + used, n - used);
    }
    kp_buf_free(b); /* feed copied what it keeps */
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    http_conn *c = st->data;
    if (c->ws) {
        if (nread < 0)
            conn_close(c);
        else if (nread > 0)
            http__ws_feed(c->ws, buf->base, (size_t)nread);
        return;
    }
    if (nread < 0) { /* EOF or error: answer what was asked, then close */
        stop_reading(c);
        c->no_more = true;
        if (c->parsing) {
            http__req_recycle(c->srv, c->parsing);
            c->parsing = NULL;
        }
        if (nread != UV_EOF || (!c->queued && !c->writing)) conn_close(c);
        return;
    }
    if (nread > 0 && c->px == HTTP_PX_PENDING)
        read_proxy(c, buf->base, (size_t)nread);
    else if (nread > 0)
        feed(c, buf->base, (size_t)nread);
}

static void start_reading(http_conn *c)
{
    if (c->reading || c->closing || c->no_more) return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
    else
        conn_close(c);
}

/* ---- queue and dispatch --------------------------------------------------- */

static void enqueue(http_conn *c, http_req *r)
{
    r->next = NULL;
    if (c->qtail)
        c->qtail->next = r;
    else
        c->qhead = r;
    c->qtail = r;
    c->queued++;
}

/* Queues `r` and answers it with an error at once; the connection reads
 * nothing more and closes after the queue is written. */
static void reply_now(http_conn *c, http_req *r, int status, const char *code, const char *msg)
{
    c->no_more = true;
    stop_reading(c);
    r->keep_alive = false;
    if (r->resp_type == HTTP_CT_NONE) r->resp_type = HTTP_CT_JSON;
    if (!r->rid[0]) set_request_id(r);
    enqueue(c, r);
    http_reply_error(r, status, code, msg, NULL);
}

static void split_target(http_req *r)
{
    const char *u = (const char *)r->url.data;
    size_t n = r->url.len;
    const char *q = memchr(u, '?', n);
    size_t pl = q ? (size_t)(q - u) : n;
    r->path = kp_arena_strndup(r->arena, u, pl);
    r->query = q ? kp_arena_strndup(r->arena, q + 1, n - pl - 1) : "";
}

static bool valid_rid(const char *v, size_t n)
{
    if (n == 0 || n > HTTP_RID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* A fresh id "<random prefix>-<worker>-<counter>", all hex; by hand, since
 * it runs per request. `out` holds at least 32 bytes. */
static void make_rid(http_server *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int sh = 28; sh >= 0; sh -= 4)
        *p++ = hex[(s->rid_prefix >> sh) & 15];
    *p++ = '-';
    for (int sh = 4; sh >= 0; sh -= 4)
        *p++ = hex[((unsigned)s->worker_id >> sh) & 15];
    *p++ = '-';
    uint64_t seq = s->next_req++;
    int sh = 60;
    while (sh > 0 && !((seq >> sh) & 15))
        sh -= 4;
    for (; sh >= 0; sh -= 4)
        *p++ = hex[(seq >> sh) & 15];
    *p = '\0';
}

static void set_request_id(http_req *r)
{
    size_t n;
    const char *v = http_req_header(r, "x-request-id", &n);
    if (v && valid_rid(v, n)) {
        memcpy(r->rid, v, n);
        r->rid[n] = '\0';
    } else {
        make_rid(r->srv, r->rid);
    }
}

/* Decodes the body as its Content-Type says; replies and returns -1 on error. */
static int decode_body(http_req *r)
{
    if (r->body_in.len == 0) return 0;
    kp_err e = {0};
    kp_value *v = NULL;
    int rc;
    if (r->body_type == HTTP_CT_MSGPACK)
        rc = kp_decode(r->arena, r->body_in.data, r->body_in.len, &kp_default_limits, &v, &e);
    else
        rc = kp_json_decode(r->arena, (const char *)r->body_in.data, r->body_in.len,
                            &kp_default_limits, &v, &e);
    if (rc) {
        http_reply_kperr(r, 400, &e);
        return -1;
    }
    if (v->type != KP_MAP) {
        http_reply_error(r, 400, "invalid_body", "the body must be a map", NULL);
        return -1;
    }
    r->body = v;
    return 0;
}

#ifdef KHNET_FAULT_INJECTION
/* X-Khnet-Fault: N — fail this request's Nth allocation (proto/fault.c),
 * counting from its body's decoding; 0 when absent. */
static long fault_header(http_req *r)
{
    size_t n = 0;
    const char *v = http_req_header(r, "x-khnet-fault", &n);
    long at = 0;
    for (size_t i = 0; v && i < n && i < 9 && v[i] >= '0' && v[i] <= '9'; i++)
        at = at * 10 + (v[i] - '0');
    return at;
}
#endif

/* CORS: remembers whether the request's Origin may read the reply. */
static void check_origin(http_server *s, http_req *r)
{
    size_t n;
    const char *o = s->cors_origin ? http_req_header(r, "origin", &n) : NULL;
    if (!o) return;
    r->vary_origin = true;
    if (s->cors_origin(s, o, n)) r->origin = kp_arena_strndup(r->arena, o, n);
}

/* A CORS preflight, answered without a handler; false when `r` is not one. */
static bool preflight(http_server *s, http_req *r)
{
    size_t n;
    if (!s->cors_origin || r->method != HTTP_OPTIONS || !http_req_header(r, "origin", &n) ||
        !http_req_header(r, "access-control-request-method", &n))
        return false;
    if (r->resp_type == HTTP_CT_NONE) r->resp_type = HTTP_CT_JSON;
    if (!r->origin) {
        http_reply_error(r, 403, "cors_origin_denied", "this origin is not a registered partner's",
                         NULL);
        return true;
    }
    char allow[128];
    int route;
    http_param params[HTTP_MAX_PARAMS];
    http_match m = http_router_match(s->router, "OPTIONS", r->path, strlen(r->path), r->arena,
                                     &route, params, allow, sizeof allow);
    if (m != HTTP_MATCH_METHOD) { /* OPTIONS is never a route: METHOD means "path known" */
        http_reply_error(r, 404, "not_found", "no such path", NULL);
        return true;
    }
    http_req_add_header(r, "Access-Control-Allow-Methods", allow);
    http_req_add_header(
        r, "Access-Control-Allow-Headers",
        "Authorization, Content-Type, Idempotency-Key, X-Partner-Key, X-Request-Id");
    http_req_add_header(r, "Access-Control-Max-Age", "600");
    http_reply(r, 204);
    return true;
}

static bool hdr_is(const http_req *r, const hdr_span *h, const char *name, size_t nl)
{
    return h->name_len == nl && !strncasecmp((const char *)r->hbuf.data + h->name_off, name, nl);
}

/* The last comma-separated element of v[0..*n), trimmed; *n shrinks to
 * what lies before it (its comma excluded). */
static const char *last_element(const char *v, size_t *n, size_t *el)
{
    size_t k = *n;
    while (k > 0 && v[k - 1] != ',')
        k--;
    const char *e = v + k;
    size_t l = *n - k;
    while (l && (*e == ' ' || *e == '\t'))
        e++, l--;
    while (l && (e[l - 1] == ' ' || e[l - 1] == '\t'))
        l--;
    *n = k ? k - 1 : 0;
    *el = l;
    return e;
}

/* X-Forwarded-For from a trusted proxy, when no PROXY header named the
 * client: the rightmost hop that is not itself a trusted proxy.  An entry
 * that is not a bare address ends the walk: what lies left of it is not
 * believed.  Headers are walked last to first, each right to left. */
static void client_from_xff(http_conn *c, http_req *r)
{
    for (int i = r->nhdrs - 1; i >= 0; i--) {
        const hdr_span *h = &r->hdrs[i];
        if (!hdr_is(r, h, "x-forwarded-for", 15)) continue;
        const char *v = (const char *)r->hbuf.data + h->val_off;
        size_t n = h->val_len;
        while (n > 0) {
            size_t el;
            const char *e = last_element(v, &n, &el);
            struct sockaddr_storage ss;
            if (net_addr_parse(e, el, &ss) != 0) return;
            if (net_addr_name((struct sockaddr *)&ss, r->client, sizeof r->client) != 0) return;
            if (!net_cidrs_contains(c->srv->trusted, (struct sockaddr *)&ss)) return;
        }
    }
}

/* A request from a trusted proxy: who the client is, and whether it spoke
 * TLS to the proxy (X-Forwarded-Proto's last value). */
static void from_trusted_proxy(http_conn *c, http_req *r)
{
    if (!c->proxied) client_from_xff(c, r);
    for (int i = r->nhdrs - 1; i >= 0; i--) {
        const hdr_span *h = &r->hdrs[i];
        if (!hdr_is(r, h, "x-forwarded-proto", 17)) continue;
        size_t n = h->val_len, el;
        const char *e = last_element((const char *)r->hbuf.data + h->val_off, &n, &el);
        if (el == 5 && !strncasecmp(e, "https", 5)) r->tls = true;
        break;
    }
}

/* Routing comes first (404, then 405), content checks after: a request to
 * a path that does not exist is told so, whatever its body or Accept. */
static void dispatch(http_conn *c, http_req *r)
{
    http_server *s = c->srv;
    r->start_ns = uv_hrtime();
    set_request_id(r);
    split_target(r);
    if (c->trusted) from_trusted_proxy(c, r);
    size_t n;
    const char *ct = http_req_header(r, "content-type", &n);
    r->body_type = http_content_type(ct, ct ? n : 0);
    const char *acc = http_req_header(r, "accept", &n);
    http_ctype accepted = http_accept(acc, acc ? n : 0, r->body_type);
    r->resp_type = accepted == HTTP_CT_NONE ? HTTP_CT_JSON : accepted; /* errors fall back */
    check_origin(s, r);
    if (preflight(s, r)) return;
    char allow[128];
    const char *method = llhttp_method_name((llhttp_method_t)r->method);
    http_match m = http_router_match(s->router, method, r->path, strlen(r->path), r->arena,
                                     &r->route, r->params, allow, sizeof allow);
    if (m == HTTP_MATCH_NOT_FOUND || m == HTTP_MATCH_BAD_PATH) {
        r->route = -1;
        if (m == HTTP_MATCH_BAD_PATH)
            http_reply_error(r, 400, "bad_request", "malformed path parameter", NULL);
        else
            http_reply_error(r, 404, "not_found", "no such path", NULL);
        return;
    }
    if (m == HTTP_MATCH_METHOD) {
        r->route = -1;
        http_req_add_header(r, "Allow", allow);
        http_reply_error(r, 405, "method_not_allowed", "method not allowed on this path", NULL);
        return;
    }
    if (accepted == HTTP_CT_NONE) {
        http_reply_error(r, 406, "not_acceptable", "Accept admits neither msgpack nor JSON", NULL);
        return;
    }
    if (r->body_in.len && r->body_type != HTTP_CT_MSGPACK && r->body_type != HTTP_CT_JSON) {
        http_reply_error(r, 415, "unsupported_media_type",
                         "send application/msgpack or application/json", NULL);
        return;
    }
#ifdef KHNET_FAULT_INJECTION
    long outer = kp_fault_disarm(); /* a pipelined request dispatched inside another's step */
    kp_fault_arm(fault_header(r));
    int bad = decode_body(r);
    if (!bad) { /* the handler's steps go on counting */
        r->fault_left = kp_fault_disarm();
        http_req_fault_keep(r, kp_fault_fired());
    }
    kp_fault_arm(outer);
#else
    int bad = decode_body(r);
#endif
    if (bad) return;
    s->routes[r->route].handler(r);
}

/* ---- parsing -------------------------------------------------------------- */

static http_conn *conn_of(llhttp_t *p)
{
    return p->data;
}

static int reject(http_conn *c, int status, const char *code)
{
    c->err_status = status;
    c->err_code = code;
    return -1;
}

static int count_header_bytes(http_conn *c, size_t n)
{
    http_req *r = c->parsing;
    r->header_bytes += n;
    if (r->header_bytes > c->srv->lim.max_header_bytes) return reject(c, 431, "headers_too_large");
    return 0;
}

static int on_message_begin(llhttp_t *p)
{
    http_conn *c = conn_of(p);
    c->parsing = http__req_new(c->srv, c);
    if (!c->parsing) return reject(c, 503, "server_busy");
    c->parsing->recv_ns = uv_hrtime();
    arm(c, c->srv->lim.header_timeout_ms);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
    http_conn *c = conn_of(p);
    if (count_header_bytes(c, n)) return -1;
    kp_buf_append(&c->parsing->url, at, n);
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    http_conn *c = conn_of(p);
    http_req *r = c->parsing;
    if (count_header_bytes(c, n)) return -1;
    /* RFC 9112 5.1: no whitespace between name and colon (llhttp 8.1 lets
     * it through; a proxy may read the header differently) */
    if (memchr(at, ' ', n) || memchr(at, '\t', n)) return reject(c, 400, "bad_request");
    if (r->in_value || r->nhdrs == 0) { /* a new header starts */
        if (r->nhdrs == HTTP_MAX_HEADERS) return reject(c, 431, "headers_too_large");
        r->hdrs[r->nhdrs++] = (hdr_span){(uint32_t)r->hbuf.len, 0, 0, 0};
        r->in_value = false;
    }
    kp_buf_append(&r->hbuf, at, n);
    r->hdrs[r->nhdrs - 1].name_len += (uint32_t)n;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    http_conn *c = conn_of(p);
    http_req *r = c->parsing;
    if (count_header_bytes(c, n)) return -1;
    hdr_span *h = &r->hdrs[r->nhdrs - 1];
    if (!r->in_value) {
        h->val_off = (uint32_t)r->hbuf.len;
        r->in_value = true;
    }
    kp_buf_append(&r->hbuf, at, n);
    h->val_len += (uint32_t)n;
    return 0;
}

static bool expects_continue(http_req *r)
{
    size_t n;
    const char *v = http_req_header(r, "expect", &n);
    return v && n == 12 && strncasecmp(v, "100-continue", 12) == 0;
}

static int on_headers_complete(llhttp_t *p)
{
    http_conn *c = conn_of(p);
    http_req *r = c->parsing;
    if (r->hbuf.oom || r->url.oom) return reject(c, 503, "server_busy");
    r->method = (uint8_t)p->method;
    r->head = p->method == HTTP_HEAD;
    r->http10 = p->http_major == 1 && p->http_minor == 0;
    r->keep_alive = llhttp_should_keep_alive(p) && !c->srv->draining;
    if (p->http_major != 1) return reject(c, 505, "http_version_not_supported");
    bool has_body = (p->flags & F_CHUNKED) || ((p->flags & F_CONTENT_LENGTH) && p->content_length);
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > c->srv->lim.max_body_bytes)
        return reject(c, 413, "body_too_large");
    if (has_body) {
        arm(c, c->srv->lim.body_timeout_ms);
        /* 100 Continue only when nothing is ahead of it: it must not jump
         * the queue of replies.  Otherwise the client sends after its own
         * short wait, which is what RFC 9110 allows. */
        if (expects_continue(r) && !c->qhead && !c->writing) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            uv_buf_t b = uv_buf_init((char *)cont, sizeof cont - 1);
            (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        }
    } else {
        uv_timer_stop(&c->timer);
    }
    return 0;
}

static int check_chunk_crlf(http_conn *c, const char *p, const char *end);

static int on_chunk_header(llhttp_t *p)
{
    conn_of(p)->chunk_left = p->content_length;
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    http_conn *c = conn_of(p);
    http_req *r = c->parsing;
    if (p->flags & F_CHUNKED) {
        c->chunk_left -= n < c->chunk_left ? n : c->chunk_left;
        if (c->chunk_left == 0) { /* the chunk's CRLF follows its data */
            c->crlf_pending = 2;
            if (check_chunk_crlf(c, at + n, c->feed_end)) return reject(c, 400, "bad_request");
        }
    }
    if (r->body_in.len + n > c->srv->lim.max_body_bytes) return reject(c, 413, "body_too_large");
    kp_buf_append(&r->body_in, at, n);
    if (r->body_in.oom) return reject(c, 503, "server_busy");
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    http_conn *c = conn_of(p);
    uv_timer_stop(&c->timer);
    return HPE_PAUSED; /* dispatch outside the parser, one request at a time */
}

static llhttp_settings_t settings;

static void settings_init(void)
{
    llhttp_settings_init(&settings);
    settings.on_message_begin = on_message_begin;
    settings.on_url = on_url;
    settings.on_header_field = on_header_field;
    settings.on_header_value = on_header_value;
    settings.on_headers_complete = on_headers_complete;
    settings.on_body = on_body;
    settings.on_chunk_header = on_chunk_header;
    settings.on_message_complete = on_message_complete;
}

/* Shared by every worker thread: filled once, read-only after. */
static const llhttp_settings_t *parser_settings(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    (void)pthread_once(&once, settings_init);
    return &settings;
}

/* "TOKEN SP" at the start of the request line: a method we do not know,
 * as opposed to a request line that is malformed. */
static bool tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool looks_like_method(const http_conn *c)
{
    size_t i = 0;
    while (i < c->line_len && tchar(c->line_head[i]))
        i++;
    return i > 0 && i < c->line_len && c->line_head[i] == ' ';
}

/* Maps a parser failure to the reply PROTOCOL.md names. */
static void parse_failed(http_conn *c, llhttp_errno_t err)
{
    http_req *r = c->parsing ? c->parsing : http__req_new(c->srv, c);
    c->parsing = NULL;
    if (!r) {
        conn_close(c);
        return;
    }
    int status = c->err_status ? c->err_status : 400;
    const char *code = c->err_code ? c->err_code : "bad_request";
    const char *msg = "malformed HTTP request";
    bool http1 = c->parser.http_major == 1 && c->parser.http_minor <= 1;
    if (!c->err_status && err == HPE_INVALID_METHOD && looks_like_method(c)) {
        status = 501;
        code = "not_implemented";
        msg = "unknown HTTP method";
    } else if (!c->err_status && err == HPE_INVALID_VERSION && !http1) {
        status = 505;
        code = "http_version_not_supported";
        msg = "only HTTP/1.x is served";
    } else if (status == 431) {
        msg = "request line and headers too large";
    } else if (status == 413) {
        msg = "request body too large";
    } else if (status == 505) {
        msg = "only HTTP/1.x is served";
    } else if (status == 503) {
        msg = "server out of memory";
    }
    r->route = -1;
    reply_now(c, r, status, code, msg);
}

/* llhttp 8.1 skips the two bytes after a chunk's data without checking that
 * they are CRLF (a request smuggling vector behind a proxy), so we check
 * them here, also when they arrive in a later read. */
static int check_chunk_crlf(http_conn *c, const char *p, const char *end)
{
    while (c->crlf_pending > 0 && p < end) {
        char want = c->crlf_pending == 2 ? '\r' : '\n';
        if (*p++ != want) return -1;
        c->crlf_pending--;
    }
    return 0;
}

static void feed(http_conn *c, const char *data, size_t len)
{
    c->feed_end = data + len;
    while (len > 0 && !c->closing && !c->no_more) {
        if (c->queued >= c->srv->lim.max_pipeline) { /* wait for replies */
            kp_buf_append(&c->stash, data, len);
            stop_reading(c);
            return;
        }
        if (!c->parsing) { /* remember how the request line starts */
            c->line_len = len < sizeof c->line_head ? len : sizeof c->line_head;
            memcpy(c->line_head, data, c->line_len);
        }
        if (check_chunk_crlf(c, data, data + len)) {
            parse_failed(c, HPE_INVALID_CHUNK_SIZE);
            return;
        }
        llhttp_errno_t err = llhttp_execute(&c->parser, data, len);
        if (err == HPE_OK) return;
        if (err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE) {
            parse_failed(c, err);
            return;
        }
        const char *pos = llhttp_get_error_pos(&c->parser);
        size_t used = pos ? (size_t)(pos - data) : len;
        if (used > len) used = len;
        data += used;
        len -= used;
        http_req *r = c->parsing;
        c->parsing = NULL;
        if (err == HPE_PAUSED_UPGRADE) {
            /* The bytes that follow are not HTTP: keep them for a WebSocket
             * handler (http_ws_accept); if the handler answers normally the
             * connection closes after its reply. */
            c->no_more = true;
            stop_reading(c);
            kp_buf_append(&c->upgrade_tail, data, len);
            len = 0;
            if (r) r->keep_alive = false;
        } else {
            llhttp_resume(&c->parser);
        }
        if (!r) continue;
        if (!r->keep_alive) {
            c->no_more = true;
            stop_reading(c);
        }
        enqueue(c, r);
        dispatch(c, r);
    }
}

/* Parses what was stashed while the pipeline queue was full. */
static void resume_stash(http_conn *c)
{
    if (c->stash.len == 0 || c->queued >= c->srv->lim.max_pipeline) return;
    kp_buf pending = c->stash;
    kp_buf_init(&c->stash);
    feed(c, (const char *)pending.data, pending.len);
    kp_buf_free(&pending);
    if (c->stash.len == 0) start_reading(c);
}

/* ---- writing -------------------------------------------------------------- */

static void pop_head(http_conn *c)
{
    http_req *r = c->qhead;
    c->qhead = r->next;
    if (!c->qhead) c->qtail = NULL;
    c->queued--;
    r->next = NULL;
    if (!r->keep_alive) c->no_more = true;
}

/* After a reply left the queue: close, read on, or wait. */
static void after_written(http_conn *c)
{
    if (c->closing) return;
    if (c->no_more && !c->queued && !c->writing && !c->stash.len) {
        conn_close(c);
        return;
    }
    if (c->srv->draining && !c->queued && !c->writing && !c->parsing) {
        conn_close(c);
        return;
    }
    resume_stash(c);
    if (c->closing) return;
    rearm(c);
    if (!c->stash.len && !c->no_more) start_reading(c);
}

static void on_write(uv_write_t *w, int status)
{
    http_req *r = w->data;
    http_conn *c = r->conn;
    http__req_recycle(r->srv, r);
    if (!c) return;
    c->writing--;
    if (status < 0) {
        conn_close(c);
        return;
    }
    after_written(c);
}

/* Skips the n bytes uv_try_write took; *first = first buffer left. */
static void advance(uv_buf_t *b, int nb, size_t n, int *first)
{
    int i = 0;
    while (i < nb && n >= b[i].len) {
        n -= b[i].len;
        i++;
    }
    if (i < nb) {
        b[i].base += n;
        b[i].len -= n;
    }
    *first = i;
}

void http__conn_flush(http_conn *c)
{
    bool progressed = false;
    while (!c->closing && c->qhead && c->qhead->replied) {
        http_req *r = c->qhead;
        pop_head(c);
        r->wbufs[0] = uv_buf_init((char *)r->head_buf.data, (unsigned)r->head_buf.len);
        r->wbufs[1] = uv_buf_init((char *)r->raw, (unsigned)(r->head ? 0 : r->raw_len));
        int nb = r->wbufs[1].len ? 2 : 1;
        size_t total = r->wbufs[0].len + r->wbufs[1].len;
        int first = 0;
        if (!c->writing) { /* common case: the socket takes it all now */
            int n = uv_try_write((uv_stream_t *)&c->tcp, r->wbufs, (unsigned)nb);
            if (n >= 0 && (size_t)n == total) {
                http__req_recycle(c->srv, r);
                progressed = true;
                continue;
            }
            if (n < 0 && n != UV_EAGAIN) {
                http__req_recycle(c->srv, r);
                conn_close(c);
                return;
            }
            if (n > 0) advance(r->wbufs, nb, (size_t)n, &first);
        }
        r->wreq.data = r;
        if (uv_write(&r->wreq, (uv_stream_t *)&c->tcp, r->wbufs + first, (unsigned)(nb - first),
                     on_write) < 0) {
            http__req_recycle(c->srv, r);
            conn_close(c);
            return;
        }
        c->writing++;
    }
    if (progressed) after_written(c);
}

void http__switch_to_ws(http_conn *c, http_req *r, http_ws *ws)
{
    c->qhead = c->qtail = NULL;
    c->queued = 0;
    r->status = 101;
    r->replied = true;
    r->keep_alive = true;
    http__account(r);
    http__req_recycle(c->srv, r);
    c->ws = ws;
    c->no_more = false;
    start_reading(c);
}

/* ---- accepting ------------------------------------------------------------ */

static void free_handle(uv_handle_t *h)
{
    free(h);
}

/* Where a new connection's socket comes from: the listener's pending
 * connection, or a socket another worker accepted and handed over. */
typedef struct conn_src {
    uv_stream_t *listener; /* NULL: use fd */
    uv_os_sock_t fd;       /* already accepted; ours to close on failure */
} conn_src;

static int src_open(conn_src src, uv_tcp_t *t)
{
    if (src.listener) return uv_accept(src.listener, (uv_stream_t *)t);
    int rc = uv_tcp_open(t, src.fd);
    if (rc != 0) close(src.fd); /* not the handle's yet */
    return rc;
}

static void refuse(http_server *s, conn_src src, const char *code)
{
    /* Accept and answer so the client learns why, instead of hanging in the
     * backlog; the canned reply fits any socket buffer. */
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t) {
        if (!src.listener) close(src.fd);
        return;
    }
    uv_tcp_init(s->loop, t);
    if (src_open(src, t) == 0) {
        char msg[400], rid[40];
        make_rid(s, rid);
        int body_len = snprintf(
            NULL, 0, "{\"error\":{\"code\":\"%s\",\"message\":\"try again later\"}}", code);
        int n = snprintf(
            msg, sizeof msg,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nRetry-After: 1\r\nX-Request-Id: %s\r\n" HTTP__SECURITY_HEADERS
            "Connection: close\r\n\r\n"
            "{\"error\":{\"code\":\"%s\",\"message\":\"try again later\"}}",
            body_len, rid, code);
        uv_buf_t b = uv_buf_init(msg, (unsigned)n);
        (void)uv_try_write((uv_stream_t *)t, &b, 1);
    }
    uv_close((uv_handle_t *)t, free_handle);
}

static void admit(http_server *s, conn_src src)
{
    if (s->draining || s->nconns >= s->lim.max_connections) {
        refuse(s, src, s->draining ? "shutting_down" : "server_busy");
        return;
    }
    http_conn *c = calloc(1, sizeof *c);
    if (!c) {
        refuse(s, src, "server_busy");
        return;
    }
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    kp_buf_init(&c->stash);
    kp_buf_init(&c->pxbuf);
    llhttp_init(&c->parser, HTTP_REQUEST, parser_settings());
    c->parser.data = c;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    if (s->metrics) metrics_conn_opened(s->metrics);
    if (src_open(src, &c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage ss;
    int sl = (int)sizeof ss;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0 &&
        net_addr_name((struct sockaddr *)&ss, c->peer, sizeof c->peer) == 0)
        c->trusted = net_cidrs_contains(s->trusted, (struct sockaddr *)&ss);
    c->px = HTTP_PX_PENDING;
    arm(c, s->lim.header_timeout_ms);
    start_reading(c);
}

void http_server_accept(http_server *s, uv_stream_t *listener)
{
    admit(s, (conn_src){listener, -1});
}

void http_server_adopt(http_server *s, uv_os_sock_t fd)
{
    admit(s, (conn_src){NULL, fd});
}

void http_server_drain(http_server *s, void (*drained)(http_server *))
{
    s->draining = true;
    s->drained = drained;
    for (http_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->ws)
            http_ws_close(c->ws, 1001, "server shutting down");
        else if (!c->parsing && !c->queued && !c->writing)
            conn_close(c);
        else
            c->no_more = true; /* finish what is queued, then close */
    }
    if (s->nconns == 0 && s->drained) {
        s->drained = NULL;
        drained(s);
    }
}

void http_server_close_all(http_server *s)
{
    for (http_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        conn_close(c);
    }
}
