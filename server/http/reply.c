/* reply.c — request objects (recycled per server), their accessors, and
 * building replies: status line, headers, msgpack or JSON body; counting
 * them in metrics and the access log.  Writing is conn.c's business. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include "internal.h"

enum {
    REQ_ARENA_CHUNK = 8 * 1024, /* first arena chunk per request object */
    REQ_FREE_MAX = 256,         /* recycled objects kept per server */
    REQ_BUF_KEEP = 64 * 1024    /* bigger buffers are released on recycle */
};

/* ---- request objects ------------------------------------------------------ */

static void trim_buf(kp_buf *b)
{
#ifdef KHNET_FAULT_INJECTION
    kp_buf_free(b); /* every request grows its buffers again: each growth can be failed */
#endif
    if (b->cap > REQ_BUF_KEEP)
        kp_buf_free(b);
    else
        kp_buf_reset(b);
    b->oom = false;
}

static void req_destroy(http_req *r)
{
    kp_buf *bufs[] = {&r->url, &r->hbuf, &r->body_in, &r->extra, &r->out, &r->json, &r->head_buf};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        kp_buf_free(bufs[i]);
    kp_arena_free(r->arena);
    free(r);
}

http_req *http__req_new(http_server *s, http_conn *c)
{
    http_req *r = s->free_reqs;
    if (r) {
        s->free_reqs = r->next;
        s->nfree_reqs--;
    } else {
        r = calloc(1, sizeof *r);
        if (!r) return NULL;
        r->arena = kp_arena_new(REQ_ARENA_CHUNK);
        if (!r->arena) {
            free(r);
            return NULL;
        }
        kp_buf *bufs[] = {&r->url, &r->hbuf, &r->body_in, &r->extra,
                          &r->out, &r->json, &r->head_buf};
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
            kp_buf_init(bufs[i]);
    }
    r->conn = c;
    r->srv = s;
    r->next = NULL;
    r->route = -1;
    /* the connection's word on the client; dispatch may refine it per
     * request (X-Forwarded-For from a trusted proxy) */
    const char *who = c->proxied ? c->client : c->peer;
    memcpy(r->client, who, strlen(who) + 1);
    r->tls = c->proxy_tls;
    return r;
}

void http__req_recycle(http_server *s, http_req *r)
{
    if (s->nfree_reqs >= REQ_FREE_MAX) {
        req_destroy(r);
        return;
    }
    kp_buf *bufs[] = {&r->url, &r->hbuf, &r->body_in, &r->extra, &r->out, &r->json, &r->head_buf};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        trim_buf(bufs[i]);
    kp_arena_reset(r->arena);
    /* clear every per-request field, keeping the buffers and the arena */
    kp_arena *a = r->arena;
    kp_buf keep[7];
    for (size_t i = 0; i < 7; i++)
        keep[i] = *bufs[i];
    memset(r, 0, sizeof *r);
    r->arena = a;
    for (size_t i = 0; i < 7; i++)
        *bufs[i] = keep[i];
    r->next = s->free_reqs;
    s->free_reqs = r;
    s->nfree_reqs++;
}

/* ---- accessors ------------------------------------------------------------ */

long *http_req_fault_left(http_req *r)
{
    return &r->fault_left;
}

void http_req_fault_keep(http_req *r, const char *site)
{
    if (site) r->fault_site = site;
}

http_server *http_req_server(const http_req *r)
{
    return r->srv;
}
int http_req_route(const http_req *r)
{
    return r->route;
}
void *http_req_app(const http_req *r)
{
    return r->srv->app;
}
kp_arena *http_req_arena(http_req *r)
{
    return r->arena;
}
const char *http_req_method(const http_req *r)
{
    return llhttp_method_name((llhttp_method_t)r->method);
}
const char *http_req_path(const http_req *r)
{
    return r->path ? r->path : "";
}
const char *http_req_query(const http_req *r)
{
    return r->query ? r->query : "";
}
const char *http_req_id(const http_req *r)
{
    return r->rid;
}
void http_req_note_db(http_req *r, uint64_t wait_ns, uint64_t run_ns)
{
    r->db_steps++;
    r->db_wait_ns += wait_ns;
    r->db_run_ns += run_ns;
}
const kp_value *http_req_body(const http_req *r)
{
    return r->body;
}
http_ctype http_req_body_type(const http_req *r)
{
    return r->body_type;
}

const char *http_req_param(const http_req *r, const char *name)
{
    for (int i = 0; i < HTTP_MAX_PARAMS && r->params[i].name; i++)
        if (!strcmp(r->params[i].name, name)) return r->params[i].value;
    return NULL;
}

const char *http_req_header(const http_req *r, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (int i = 0; i < r->nhdrs; i++) {
        const hdr_span *h = &r->hdrs[i];
        if (h->name_len == nl &&
            strncasecmp((const char *)r->hbuf.data + h->name_off, name, nl) == 0) {
            *len = h->val_len;
            return h->val_len ? (const char *)r->hbuf.data + h->val_off : "";
        }
    }
    return NULL;
}

int http_req_peer(const http_req *r, char *buf, size_t cap)
{
    size_t n = strlen(r->client);
    if (n == 0 || n >= cap) return -1;
    memcpy(buf, r->client, n + 1);
    return 0;
}

kp_buf *http_req_out(http_req *r)
{
    return &r->out;
}

void http_req_add_header(http_req *r, const char *name, const char *value)
{
    kp_buf_appendf(&r->extra, "%s: %s\r\n", name, value);
}

/* ---- status texts --------------------------------------------------------- */

const char *http_status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/* ---- building the reply ----------------------------------------------------- */

static const char *date_header(http_server *s)
{
    uint64_t now = uv_now(s->loop) / 1000;
    if (now != s->date_sec || !s->date[0]) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        if (strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
            s->date[0] = '\0';
        s->date_sec = now;
    }
    return s->date;
}

static void put(kp_buf *b, const char *s)
{
    kp_buf_append(b, s, strlen(s));
}

static void put_uint(kp_buf *b, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    kp_buf_append(b, tmp + i, sizeof tmp - (size_t)i);
}

/* Did the request carry credentials (its answer is then personal)? */
static bool carries_credentials(const http_req *r)
{
    size_t n;
    if (http_req_header(r, "authorization", &n)) return true;
    const char *q = r->query;
    if (!q || !*q) return false;
    for (;;) { /* a parameter named access_token, not one containing it */
        if (!strncmp(q, "access_token", 12) && (q[12] == '=' || q[12] == '&' || !q[12]))
            return true;
        q = strchr(q, '&');
        if (!q) return false;
        q++;
    }
}

void http__security_headers(const http_req *r, kp_buf *h)
{
    put(h, HTTP__SECURITY_HEADERS);
    /* a handler that set its own Cache-Control (e.g. the export) keeps it */
    bool own = r->extra.len && memmem(r->extra.data, r->extra.len, "Cache-Control:", 14);
    if (!own && carries_credentials(r)) put(h, "Cache-Control: no-store\r\n");
    if (r->tls) put(h, "Strict-Transport-Security: max-age=31536000\r\n");
}

/* Built by hand, not with printf: this runs for every reply. */
void http__build_head(http_req *r)
{
    kp_buf *h = &r->head_buf;
    kp_buf_reset(h);
    put(h, "HTTP/1.1 ");
    put_uint(h, (uint64_t)r->status);
    put(h, " ");
    put(h, http_status_text(r->status));
    put(h, "\r\nDate: ");
    put(h, date_header(r->srv));
    if (r->status != 204 && r->status != 304) { /* RFC 9110 8.6: none on these */
        put(h, "\r\nContent-Length: ");
        put_uint(h, r->raw_len);
    }
    put(h, "\r\nX-Request-Id: ");
    put(h, r->rid);
    put(h, "\r\n");
    if (r->vary_origin) put(h, "Vary: Origin\r\n");
    if (r->origin) {
        put(h, "Access-Control-Allow-Origin: ");
        put(h, r->origin);
        put(h, "\r\nAccess-Control-Expose-Headers: X-Request-Id, Retry-After\r\n");
    }
    http__security_headers(r, h);
    if (!r->keep_alive)
        put(h, "Connection: close\r\n");
    else if (r->http10)
        put(h, "Connection: keep-alive\r\n");
    kp_buf_append(h, r->extra.data, r->extra.len);
    put(h, "\r\n");
}

/* A request slower than s->slow_ns: where its time went, from its first
 * byte to its reply.  `read` is receiving it and waiting behind the
 * requests pipelined before it; `db_queue` its statements waiting for a
 * pool connection; `db` from sending them to reading their answers
 * (PostgreSQL, the network, and this loop's delay in noticing); `app` the
 * rest: our own work between the steps and loop delays before it. */
static void log_slow(const http_req *r, uint64_t now)
{
    uint64_t total = now - r->recv_ns, read = r->start_ns - r->recv_ns;
    uint64_t db = r->db_wait_ns + r->db_run_ns;
    uint64_t app = total > read + db ? total - read - db : 0;
    log_event("warn",
              "msg=\"slow request\" rid=%s worker=%d route=\"%s\" status=%d total_us=%llu "
              "read_us=%llu db_steps=%u db_queue_us=%llu db_us=%llu app_us=%llu",
              r->rid, r->srv->worker_id, r->route >= 0 ? r->srv->routes[r->route].pattern : "",
              r->status, (unsigned long long)(total / 1000), (unsigned long long)(read / 1000),
              r->db_steps, (unsigned long long)(r->db_wait_ns / 1000),
              (unsigned long long)(r->db_run_ns / 1000), (unsigned long long)(app / 1000));
}

void http__account(http_req *r)
{
    http_server *s = r->srv;
    s->replies++;
    uint64_t now = uv_hrtime();
    uint64_t dur_us = r->start_ns ? (now - r->start_ns) / 1000 : 0;
    if (s->slow_ns && r->recv_ns && r->start_ns && now - r->recv_ns >= s->slow_ns) log_slow(r, now);
    if (s->metrics) metrics_request(s->metrics, r->route, r->status, dur_us);
    if (s->log) {
        char path[160];
        const char *p = r->path ? r->path : (const char *)r->url.data;
        size_t pl = r->path ? strlen(r->path) : r->url.len;
        log_quote(path, sizeof path, p ? p : "", p ? pl : 0);
        log_buf_line(s->log, "info",
                     "msg=request rid=%s worker=%d client=%s method=%s path=%s route=\"%s\" "
                     "status=%d bytes=%zu dur_us=%llu",
                     r->rid, s->worker_id, r->client[0] ? r->client : "-",
                     llhttp_method_name((llhttp_method_t)r->method), path,
                     r->route >= 0 ? s->routes[r->route].pattern : "", r->status, r->raw_len,
                     (unsigned long long)dur_us);
    }
}

/* Common tail of every reply: head, accounting, then hand to the writer. */
static void finish(http_req *r, int status, const char *ctype)
{
    if (r->replied) { /* a handler bug; never send two replies */
        log_event("error", "msg=\"second reply ignored\" rid=%s", r->rid);
        r->srv->replies++; /* counted, so the api layer's debug check sees it */
        return;
    }
    long fault = kp_fault_disarm(); /* the head and the flush are not the request's to fail */
    http_req_fault_keep(r, kp_fault_fired());
    if (r->fault_site) { /* fault-injection builds: the sweep sees where its N landed */
        put(&r->extra, "X-Khnet-Fault-Hit: ");
        put(&r->extra, r->fault_site);
        put(&r->extra, "\r\n");
    }
    r->status = status;
    r->replied = true;
    if (r->srv->draining) r->keep_alive = false;
    if (ctype) {
        put(&r->extra, "Content-Type: ");
        put(&r->extra, ctype);
        put(&r->extra, "\r\n");
    }
    http__build_head(r);
    http__account(r);
    if (!r->conn) /* the client left while we worked */
        http__req_recycle(r->srv, r);
    else
        http__conn_flush(r->conn);
    kp_fault_arm(fault);
}

void http_reply(http_req *r, int status)
{
    if (r->out.oom || r->extra.oom) { /* a body or a header was dropped: never send half */
        kp_buf_reset(&r->out);
        kp_buf_reset(&r->extra);
        kp_w_error(&r->out, "internal", "out of memory", NULL);
        status = 500;
    } else if (status == 204) { /* no content: no body, no content type */
        r->raw = NULL;
        r->raw_len = 0;
        finish(r, status, NULL);
        return;
    }
    if (r->resp_type == HTTP_CT_JSON) {
        kp_err e;
        kp_buf_reset(&r->json);
        if (r->out.len && kp_msgpack_to_json(r->arena, r->out.data, r->out.len, &r->json, &e)) {
            log_event("error", "msg=\"%s\" rid=%s code=%s",
                      r->json.oom ? "out of memory for the JSON reply"
                                  : "reply is not valid msgpack",
                      r->rid, e.code);
            kp_buf_reset(&r->json);
            kp_buf_appendf(&r->json,
                           "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}");
            status = 500;
        }
        r->raw = r->json.data;
        r->raw_len = r->json.len;
        finish(r, status, "application/json");
        return;
    }
    r->raw = r->out.data;
    r->raw_len = r->out.len;
    finish(r, status, "application/msgpack");
}

void http_reply_error(http_req *r, int status, const char *code, const char *message,
                      const char *field)
{
    kp_buf_reset(&r->out);
    kp_w_error(&r->out, code, message, field);
    if (status == 503) http_req_add_header(r, "Retry-After", "1");
    http_reply(r, status);
}

void http_reply_kperr(http_req *r, int status, const kp_err *e)
{
    const char *code = e->code ? e->code : "bad_request";
    int st = kp_error_status(code); /* the table decides: out of memory is 500, never 400 */
    http_reply_error(r, st ? st : status, code, e->message, e->field[0] ? e->field : NULL);
}

void http_reply_raw(http_req *r, int status, const char *content_type, const void *body, size_t len)
{
    kp_buf_reset(&r->out);
    kp_buf_append(&r->out, body, len);
    r->raw = r->out.data;
    r->raw_len = r->out.len;
    finish(r, status, content_type);
}

/* ---- server --------------------------------------------------------------- */

int http_server_init(http_server *s, uv_loop_t *loop, const http_limits *lim,
                     const http_route *routes, int nroutes)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->lim = *lim;
    s->routes = routes;
    s->nroutes = nroutes;
    s->router = http_router_new(routes, nroutes);
    if (!s->router) return -1;
    if (RAND_bytes((unsigned char *)&s->rid_prefix, sizeof s->rid_prefix) != 1)
        s->rid_prefix = (uint32_t)uv_hrtime();
    return 0;
}

void http_server_free(http_server *s)
{
    while (s->free_reqs) {
        http_req *r = s->free_reqs;
        s->free_reqs = r->next;
        req_destroy(r);
    }
    s->nfree_reqs = 0;
    http_router_free(s->router);
    s->router = NULL;
}
