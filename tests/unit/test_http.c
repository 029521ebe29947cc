/* test_http.c — the HTTP layer's edge cases, on a real loop and real
 * loopback sockets, with test routes instead of the API (no database).
 * The server runs in its own thread; the tests are a blocking client that
 * writes raw bytes and reads raw replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"
#include "net/net.h"

/* ---- the server under test ---------------------------------------------- */

static uv_loop_t loop;
static uv_tcp_t listener;
static uv_async_t stopper;
static http_server srv;
static int port;
static pthread_t thread;
static metrics mx;

static void h_item(http_req *r)
{
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 1);
    kp_w_cstr(b, "id");
    kp_w_cstr(b, http_req_param(r, "id"));
    http_reply(r, 200);
}

static void h_echo(http_req *r)
{
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 1);
    kp_w_cstr(b, "data");
    if (http_req_body(r))
        kp_w_value(b, http_req_body(r));
    else
        kp_w_nil(b);
    http_reply(r, 200);
}

static void free_timer(uv_handle_t *h)
{
    free(h);
}

/* Replies after a delay taken from the path, to reorder completions. */
static void on_later(uv_timer_t *t)
{
    http_req *r = t->data;
    kp_buf *b = http_req_out(r);
    kp_w_map(b, 1);
    kp_w_cstr(b, "slow");
    kp_w_cstr(b, http_req_param(r, "ms"));
    http_reply(r, 200);
    uv_close((uv_handle_t *)t, free_timer);
}

static void h_slow(http_req *r)
{
    uv_timer_t *t = malloc(sizeof *t);
    uv_timer_init(&loop, t);
    t->data = r;
    uv_timer_start(t, on_later, (uint64_t)atoi(http_req_param(r, "ms")), 0);
}

static const http_route routes[] = {
    {"GET", "/t/{id}", h_item},
    {"POST", "/t/echo", h_echo},
    {"GET", "/slow/{ms}", h_slow},
};

/* The CORS hook: one registered origin. */
static bool test_origin(http_server *s, const char *origin, size_t len)
{
    (void)s;
    static const char ok[] = "https://partner.example";
    return len == sizeof ok - 1 && memcmp(origin, ok, len) == 0;
}

static void on_conn(uv_stream_t *l, int status)
{
    if (status == 0) http_server_accept(&srv, l);
}

static void noop_close(uv_handle_t *h)
{
    (void)h;
}

static void on_stop(uv_async_t *a)
{
    (void)a;
    uv_close((uv_handle_t *)&listener, noop_close);
    http_server_close_all(&srv);
    uv_close((uv_handle_t *)&stopper, noop_close);
}

static void *serve(void *arg)
{
    (void)arg;
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    http_limits lim = {.max_header_bytes = 2048,
                       .max_body_bytes = 1000,
                       .header_timeout_ms = 300,
                       .body_timeout_ms = 300,
                       .idle_timeout_ms = 400,
                       .max_connections = 8,
                       .max_pipeline = 4};
    uv_loop_init(&loop);
    if (http_server_init(&srv, &loop, &lim, routes, 3)) return -1;
    if (metrics_init(&mx, 3) != 0) return -1;
    srv.metrics = &mx;
    srv.cors_origin = test_origin;
    uv_tcp_init(&loop, &listener);
    char err[128];
    if (net_listen(&loop, &listener, "127.0.0.1", 0, 64, on_conn, err, sizeof err)) return -1;
    struct sockaddr_in sa;
    int len = sizeof sa;
    uv_tcp_getsockname(&listener, (struct sockaddr *)&sa, &len);
    port = ntohs(sa.sin_port);
    uv_async_init(&loop, &stopper, on_stop);
    return pthread_create(&thread, NULL, serve, NULL);
}

static int teardown(void **state)
{
    (void)state;
    uv_async_send(&stopper);
    pthread_join(thread, NULL);
    http_server_free(&srv);
    metrics_free(&mx);
    return uv_loop_close(&loop) == 0 ? 0 : -1;
}

/* ---- a raw client ----------------------------------------------------------- */

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/* Reads until `n` complete responses arrived, the peer closed, or the
 * timeout; returns bytes read (NUL-terminated in buf). */
static size_t get(int fd, char *buf, size_t cap, int want, int timeout_ms, bool *closed)
{
    size_t len = 0;
    *closed = false;
    for (;;) {
        int got = 0;
        const char *p = buf;
        buf[len] = '\0';
        for (;;) { /* count complete responses */
            const char *end = strstr(p, "\r\n\r\n");
            if (!end) break;
            const char *cl = strstr(p, "Content-Length: ");
            size_t body = cl && cl < end ? (size_t)atoi(cl + 16) : 0;
            if (!strncmp(p, "HTTP/1.1 100", 12)) body = 0;
            if ((size_t)(end + 4 - buf) + body > len) break;
            p = end + 4 + body;
            got++;
        }
        if (got >= want) return len;
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, timeout_ms) <= 0) return len;
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r <= 0) {
            *closed = true;
            return len;
        }
        len += (size_t)r;
    }
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* ---- tests -------------------------------------------------------------------- */

static void keep_alive_two_requests(void **s)
{
    (void)s;
    int fd = dial();
    char buf[8192];
    bool closed;
    put(fd, "GET /t/1 HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(buf, "{\"id\":\"1\"}"));
    put(fd, "GET /t/Nguy%E1%BB%85n HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_false(closed);
    assert_non_null(strstr(buf, "{\"id\":\"Nguyễn\"}"));
    close(fd);
}

static void pipelined_replies_in_order(void **s)
{
    (void)s;
    int fd = dial();
    char buf[8192];
    bool closed;
    put(fd, "GET /slow/150 HTTP/1.1\r\nAccept: application/json\r\n\r\n"
            "GET /slow/10 HTTP/1.1\r\nAccept: application/json\r\n\r\n"
            "GET /t/3 HTTP/1.1\r\nAccept: application/json\r\n\r\n");
    get(fd, buf, sizeof buf, 3, 3000, &closed);
    const char *a = strstr(buf, "\"150\""), *b = strstr(buf, "\"10\""), *c = strstr(buf, "\"3\"");
    assert_true(a && b && c);
    assert_true(a < b && b < c);
    close(fd);
}

static void pipeline_beyond_limit_all_answered(void **s)
{
    (void)s;
    int fd = dial();
    char req[4096] = "", buf[65536];
    for (int i = 0; i < 20; i++)
        strcat(req, "GET /slow/5 HTTP/1.1\r\nAccept: application/json\r\n\r\n");
    put(fd, req);
    bool closed;
    get(fd, buf, sizeof buf, 20, 5000, &closed);
    assert_int_equal(count(buf, "HTTP/1.1 200 OK"), 20);
    close(fd);
}

static void chunked_body_and_json(void **s)
{
    (void)s;
    int fd = dial();
    char buf[8192];
    bool closed;
    put(fd, "POST /t/echo HTTP/1.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
            "5\r\n{\"a\":\r\n3\r\n[1]\r\n1\r\n}\r\n0\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "200 OK"));
    assert_non_null(strstr(buf, "Content-Type: application/json"));
    assert_non_null(strstr(buf, "{\"data\":{\"a\":[1]}}"));
    close(fd);
}

static void expect_continue(void **s)
{
    (void)s;
    int fd = dial();
    char buf[8192];
    bool closed;
    put(fd, "POST /t/echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            "Expect: 100-continue\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 100 Continue\r\n\r\n"));
    put(fd, "{}");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "{\"data\":{}}"));
    close(fd);
}

static void expect_continue_too_large(void **s)
{
    (void)s;
    int fd = dial();
    char buf[8192];
    bool closed;
    put(fd, "POST /t/echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n"
            "Expect: 100-continue\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_null(strstr(buf, "100 Continue"));
    assert_non_null(strstr(buf, "HTTP/1.1 413"));
    assert_non_null(strstr(buf, "body_too_large"));
    close(fd);
}

static void expect_error(const char *req, const char *status, const char *code)
{
    int fd = dial();
    char buf[16384];
    bool closed;
    put(fd, req);
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    if (!strstr(buf, status) || !strstr(buf, code)) fail_msg("got: %s", buf);
    close(fd);
}

static void limits_and_errors(void **s)
{
    (void)s;
    char big[4096];
    snprintf(big, sizeof big, "GET /t/1 HTTP/1.1\r\nX-Big: %03000d\r\n\r\n", 0);
    expect_error(big, "HTTP/1.1 431", "headers_too_large");
    expect_error("POST /t/echo HTTP/1.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: 1001\r\n\r\n",
                 "HTTP/1.1 413", "body_too_large");
    char chunky[2048];
    snprintf(chunky, sizeof chunky,
             "POST /t/echo HTTP/1.1\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n3e9\r\n%01001d\r\n0\r\n\r\n",
             0);
    expect_error(chunky, "HTTP/1.1 413", "body_too_large");
    expect_error("GARBAGE\r\n\r\n", "HTTP/1.1 ", "\"code\":\"");
    expect_error("GET /t/1 HTTP/1.1\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 400", "bad_request");
    expect_error("GET /nope HTTP/1.1\r\n\r\n", "HTTP/1.1 404", "not_found");
    expect_error("DELETE /t/1 HTTP/1.1\r\n\r\n", "Allow: GET, HEAD", "method_not_allowed");
    expect_error("GET /t/1 HTTP/1.1\r\nAccept: text/html\r\n\r\n", "HTTP/1.1 406",
                 "not_acceptable");
    expect_error("POST /t/echo HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi",
                 "HTTP/1.1 415", "unsupported_media_type");
    /* routing first: 404, then 405, then Accept and Content-Type */
    expect_error("POST /nope HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", "HTTP/1.1 404", "not_found");
    expect_error("POST /nope HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi",
                 "HTTP/1.1 404", "not_found");
    expect_error("GET /nope HTTP/1.1\r\nAccept: text/html\r\n\r\n", "HTTP/1.1 404", "not_found");
    expect_error("PUT /t/1 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", "HTTP/1.1 405",
                 "method_not_allowed");
    expect_error("PUT /t/echo HTTP/1.1\r\nAccept: text/html\r\n\r\n", "HTTP/1.1 405",
                 "method_not_allowed");
    expect_error("POST /t/echo HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", "HTTP/1.1 415",
                 "unsupported_media_type");
    expect_error("POST /t/echo HTTP/1.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: 3\r\n\r\n[1]",
                 "HTTP/1.1 400", "invalid_body");
    expect_error("POST /t/echo HTTP/1.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: 5\r\n\r\n{\"a\":",
                 "HTTP/1.1 400", "invalid_json");
    expect_error("POST /t/echo HTTP/1.1\r\nContent-Type: application/msgpack\r\n"
                 "Content-Length: 1\r\n\r\n\xc1",
                 "HTTP/1.1 400", "invalid_msgpack");
    expect_error("GET /t/%zz HTTP/1.1\r\n\r\n", "HTTP/1.1 400", "bad_request");
    /* malformed request line vs unknown method vs other version */
    expect_error("GET\r\n\r\n", "HTTP/1.1 400", "bad_request");
    expect_error("FOO /t/1 HTTP/1.1\r\n\r\n", "HTTP/1.1 501", "not_implemented");
    expect_error("GET /t/1 HTTP/1.1 junk\r\n\r\n", "HTTP/1.1 400", "bad_request");
    /* smuggling vectors llhttp 8.1 lets through */
    expect_error("GET /t/1 HTTP/1.1\r\nHost : x\r\n\r\n", "HTTP/1.1 400", "bad_request");
    expect_error("POST /t/echo HTTP/1.1\r\nContent-Type: application/msgpack\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n1\r\n\x80XX0\r\n\r\n",
                 "HTTP/1.1 400", "bad_request");
}

static void chunk_crlf_split_across_reads(void **s)
{
    (void)s;
    int fd = dial();
    char buf[4096];
    bool closed;
    put(fd, "POST /t/echo HTTP/1.1\r\nContent-Type: application/msgpack\r\n"
            "Transfer-Encoding: chunked\r\n\r\n1\r\n\x80");
    usleep(50 * 1000); /* the chunk's CRLF comes in a later read */
    put(fd, "\r");
    usleep(50 * 1000);
    put(fd, "\n0\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    put(fd, "POST /t/echo HTTP/1.1\r\nContent-Type: application/msgpack\r\n"
            "Transfer-Encoding: chunked\r\n\r\n1\r\n\x80");
    usleep(50 * 1000);
    put(fd, "X\n0\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 400"));
    close(fd);
}

static void head_has_no_body(void **s)
{
    (void)s;
    int fd = dial();
    char buf[4096];
    put(fd, "HEAD /t/1 HTTP/1.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd, buf + len, sizeof buf - len - 1)) > 0)
        len += (size_t)r;
    buf[len] = '\0';
    assert_non_null(strstr(buf, "200 OK"));
    assert_non_null(strstr(buf, "Content-Length: 10"));
    assert_non_null(strstr(buf, "Connection: close"));
    assert_true(len >= 4 && !strcmp(buf + len - 4, "\r\n\r\n"));
    close(fd);
}

static void header_timeout_gets_408(void **s)
{
    (void)s;
    int fd = dial();
    char buf[4096];
    bool closed;
    put(fd, "GET /t/1 HTTP/1.1\r\nHost: sl"); /* and never finish */
    get(fd, buf, sizeof buf, 1, 3000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 408"));
    assert_non_null(strstr(buf, "request_timeout"));
    assert_non_null(strstr(buf, "X-Request-Id: "));
    get(fd, buf, sizeof buf, 2, 2000, &closed);
    assert_true(closed);
    close(fd);
}

static void idle_connection_closed(void **s)
{
    (void)s;
    int fd = dial();
    char buf[4096];
    bool closed;
    put(fd, "GET /t/1 HTTP/1.1\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    get(fd, buf, sizeof buf, 99, 2000, &closed); /* idle 400 ms → closed */
    assert_true(closed);
    close(fd);
}

static void connection_limit_503(void **s)
{
    (void)s;
    int fds[8];
    char buf[4096];
    bool closed;
    for (int i = 0; i < 8; i++) { /* fill the limit; make sure each is accepted */
        fds[i] = dial();
        put(fds[i], "GET /t/1 HTTP/1.1\r\n\r\n");
        get(fds[i], buf, sizeof buf, 1, 2000, &closed);
    }
    int extra = dial();
    get(extra, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 503"));
    assert_non_null(strstr(buf, "server_busy"));
    assert_non_null(strstr(buf, "X-Request-Id: "));
    close(extra);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    usleep(100 * 1000); /* let the server see the closes */
}

static void http10_and_version(void **s)
{
    (void)s;
    int fd = dial();
    char buf[4096];
    bool closed;
    put(fd, "GET /t/1 HTTP/1.0\r\n\r\n");
    get(fd, buf, sizeof buf, 2, 2000, &closed);
    assert_non_null(strstr(buf, "200 OK"));
    assert_true(closed); /* 1.0 without keep-alive closes */
    close(fd);
    expect_error("GET /t/1 HTTP/2.0\r\n\r\n", "HTTP/1.1 505", "http_version_not_supported");
}

static void request_id_echoed(void **s)
{
    (void)s;
    int fd = dial();
    char buf[4096];
    bool closed;
    put(fd, "GET /t/1 HTTP/1.1\r\nX-Request-Id: abc-123\r\n\r\n"
            "GET /t/1 HTTP/1.1\r\nX-Request-Id: bad id!\r\n\r\n");
    get(fd, buf, sizeof buf, 2, 2000, &closed);
    assert_non_null(strstr(buf, "X-Request-Id: abc-123\r\n"));
    assert_null(strstr(buf, "bad id!"));
    assert_int_equal(count(buf, "X-Request-Id: "), 2);
    close(fd);
}

static void cors_headers_only_for_allowed_origin(void **s)
{
    (void)s;
    int fd = dial();
    char buf[8192];
    bool closed;
    put(fd, "GET /t/1 HTTP/1.1\r\nOrigin: https://partner.example\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "Access-Control-Allow-Origin: https://partner.example\r\n"));
    assert_non_null(strstr(buf, "Access-Control-Expose-Headers: X-Request-Id, Retry-After\r\n"));
    assert_non_null(strstr(buf, "Vary: Origin\r\n"));
    assert_null(strstr(buf, "Allow-Credentials"));
    put(fd, "GET /nope HTTP/1.1\r\nOrigin: https://partner.example\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed); /* errors are readable too */
    assert_non_null(strstr(buf, "HTTP/1.1 404"));
    assert_non_null(strstr(buf, "Access-Control-Allow-Origin: https://partner.example\r\n"));
    put(fd, "GET /t/1 HTTP/1.1\r\nOrigin: https://evil.example\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_null(strstr(buf, "Access-Control-"));
    assert_non_null(strstr(buf, "Vary: Origin\r\n"));
    put(fd, "GET /t/1 HTTP/1.1\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_null(strstr(buf, "Access-Control-"));
    assert_null(strstr(buf, "Vary:"));
    close(fd);
}

static void cors_preflight(void **s)
{
    (void)s;
    int fd = dial();
    char buf[8192];
    bool closed;
    put(fd, "OPTIONS /t/echo HTTP/1.1\r\nOrigin: https://partner.example\r\n"
            "Access-Control-Request-Method: POST\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "HTTP/1.1 204"));
    assert_non_null(strstr(buf, "Access-Control-Allow-Methods: GET, HEAD, POST\r\n"));
    assert_non_null(strstr(buf, "Access-Control-Allow-Headers: Authorization, Content-Type, "
                                "Idempotency-Key, X-Partner-Key, X-Request-Id\r\n"));
    assert_non_null(strstr(buf, "Access-Control-Max-Age: 600\r\n"));
    assert_non_null(strstr(buf, "Access-Control-Allow-Origin: https://partner.example\r\n"));
    put(fd, "OPTIONS /t/1 HTTP/1.1\r\nOrigin: https://partner.example\r\n"
            "Access-Control-Request-Method: GET\r\n\r\n");
    get(fd, buf, sizeof buf, 1, 2000, &closed);
    assert_non_null(strstr(buf, "Access-Control-Allow-Methods: GET, HEAD\r\n"));
    close(fd);
    expect_error("OPTIONS /t/1 HTTP/1.1\r\nOrigin: https://evil.example\r\n"
                 "Access-Control-Request-Method: GET\r\n\r\n",
                 "HTTP/1.1 403", "cors_origin_denied");
    expect_error("OPTIONS /nope HTTP/1.1\r\nOrigin: https://partner.example\r\n"
                 "Access-Control-Request-Method: GET\r\n\r\n",
                 "HTTP/1.1 404", "not_found");
    /* not a preflight (no Access-Control-Request-Method): routed as usual */
    expect_error("OPTIONS /t/1 HTTP/1.1\r\nOrigin: https://partner.example\r\n\r\n", "HTTP/1.1 405",
                 "method_not_allowed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keep_alive_two_requests),
        cmocka_unit_test(pipelined_replies_in_order),
        cmocka_unit_test(pipeline_beyond_limit_all_answered),
        cmocka_unit_test(chunked_body_and_json),
        cmocka_unit_test(expect_continue),
        cmocka_unit_test(expect_continue_too_large),
        cmocka_unit_test(limits_and_errors),
        cmocka_unit_test(chunk_crlf_split_across_reads),
        cmocka_unit_test(head_has_no_body),
        cmocka_unit_test(header_timeout_gets_408),
        cmocka_unit_test(idle_connection_closed),
        cmocka_unit_test(connection_limit_503),
        cmocka_unit_test(http10_and_version),
        cmocka_unit_test(request_id_echoed),
        cmocka_unit_test(cors_headers_only_for_allowed_origin),
        cmocka_unit_test(cors_preflight),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
