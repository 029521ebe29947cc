/* test_client.c — unit tests of libkhnet without khnetd.
 *
 * Mirrors client-lib/src: URL parsing (url.c), request serialisation
 * (request.c), the I/O-free response parser fed canned byte streams in every
 * split (read.c), reply decoding (reply.c), and the connection logic
 * (khnet.c, net.c) against a scripted in-process TCP peer that can close,
 * stall or misbehave on cue — the cases a real server rarely produces on
 * demand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../client-lib/src/khnet_int.h"
#include "listen_fixture.h"

/* ---- url.c ---------------------------------------------------------------- */

/* url parses to host and port, with tls as given and Host header hostport. */
static void url_tls_ok(const char *url, bool tls, const char *host, const char *port,
                       const char *hostport)
{
    khnet__url u;
    char err[128] = "";
    int rc = khnet__url_parse(url, &u, err, sizeof err);
    if (rc != 0) fail_msg("%s: %s", url, err);
    if (u.tls != tls) fail_msg("%s: tls %d, want %d", url, u.tls, tls);
    assert_string_equal(u.host, host);
    assert_string_equal(u.port, port);
    char hp[300];
    khnet__url_hostport(&u, hp, sizeof hp);
    assert_string_equal(hp, hostport);
}

static void url_ok(const char *url, const char *host, const char *port, const char *hostport)
{
    url_tls_ok(url, false, host, port, hostport);
}

static void url_bad(const char *url, const char *why_part)
{
    khnet__url u;
    char err[128] = "";
    assert_int_equal(khnet__url_parse(url, &u, err, sizeof err), -1);
    if (!strstr(err, why_part))
        fail_msg("%s: error '%s' lacks '%s'", url ? url : "NULL", err, why_part);
}

static void test_url_valid(void **state)
{
    url_ok("http://127.0.0.1:8080", "127.0.0.1", "8080", "127.0.0.1:8080");
    url_ok("http://127.0.0.1:8080/", "127.0.0.1", "8080", "127.0.0.1:8080");
    url_ok("HTTP://Example.org", "Example.org", "80", "Example.org");
    url_ok("http://localhost:80/", "localhost", "80", "localhost");
    url_ok("http://[::1]:9000", "::1", "9000", "[::1]:9000");
    url_ok("http://[2001:db8::7]/", "2001:db8::7", "80", "[2001:db8::7]");
    url_ok("http://a-b_c.d:65535", "a-b_c.d", "65535", "a-b_c.d:65535");
    url_ok("http://h:00080", "h", "80", "h");
}

/* https and wss default to 443, which the Host header then omits; an
 * explicit other port (even 80) stays.  ws is http for the stream. */
static void test_url_tls(void **state)
{
    url_tls_ok("https://example.org", true, "example.org", "443", "example.org");
    url_tls_ok("HTTPS://example.org:443/", true, "example.org", "443", "example.org");
    url_tls_ok("https://example.org:8443", true, "example.org", "8443", "example.org:8443");
    url_tls_ok("https://127.0.0.1:80", true, "127.0.0.1", "80", "127.0.0.1:80");
    url_tls_ok("https://[::1]", true, "::1", "443", "[::1]");
    url_tls_ok("wss://khnet.example:443", true, "khnet.example", "443", "khnet.example");
    url_tls_ok("wss://127.0.0.1:8443/", true, "127.0.0.1", "8443", "127.0.0.1:8443");
    url_tls_ok("ws://h", false, "h", "80", "h");
    url_tls_ok("ws://h:443", false, "h", "443", "h:443");
    url_tls_ok("http://h:443", false, "h", "443", "h:443");
}

static void test_url_invalid(void **state)
{
    url_bad(NULL, "NULL");
    url_bad("", "http://");
    url_bad("127.0.0.1:8080", "http://");
    url_bad("ftp://example.org", "http://");
    url_bad("httpss://example.org", "https://");
    url_bad("https:/example.org", "https://");
    url_bad("https://", "empty host");
    url_bad("wss://h:0", "out of range");
    url_bad("https://user@h", "user info");
    url_bad("http://", "empty host");
    url_bad("http://:8080", "empty host");
    url_bad("http://h:", "empty port");
    url_bad("http://h:0", "out of range");
    url_bad("http://h:65536", "out of range");
    url_bad("http://h:123456", "out of range");
    url_bad("http://h:80x", "unexpected text");
    url_bad("http://h/v1", "unexpected text");
    url_bad("http://h/?q=1", "unexpected text");
    url_bad("http://h:80//", "unexpected text");
    url_bad("http://user:pw@h", "user info");
    url_bad("http://[::1", "unterminated");
    url_bad("http://[]:80", "empty host");
    url_bad("http://[::1]x", "unexpected text");
    url_bad("http://h o", "unexpected text");
    url_bad("http://h\r\nX: y", "unexpected text");
}

/* ---- request.c ------------------------------------------------------------ */

static char *head_of(const khnet_request *req, const char *token, int *rc)
{
    static char text[2048];
    kp_buf b;
    kp_buf_init(&b);
    char err[128] = "";
    *rc = khnet__req_head(&b, req, "h:1", token, err, sizeof err);
    snprintf(text, sizeof text, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    kp_buf_free(&b);
    return text;
}

static void test_request_get(void **state)
{
    khnet_request req = {.size = sizeof(khnet_request), .method = "GET", .path = "/healthz"};
    int rc;
    const char *h = head_of(&req, NULL, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(h, "GET /healthz HTTP/1.1\r\nHost: h:1\r\n"
                           "User-Agent: libkhnet/" KHNET_VERSION_STRING "\r\n"
                           "Accept: application/msgpack\r\n\r\n");
    assert_true(khnet__req_retryable(&req));
}

static void test_request_post(void **state)
{
    const char *extra[] = {"X-Request-Id: abc", NULL};
    khnet_request req = {.size = sizeof(khnet_request),
                         .method = "POST",
                         .path = "/v1/echo",
                         .body = "\x80",
                         .body_len = 1,
                         .idempotency_key = "k-1",
                         .headers = extra};
    int rc;
    const char *h = head_of(&req, "tok", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(h, "POST /v1/echo HTTP/1.1\r\n"));
    assert_non_null(strstr(h, "\r\nAuthorization: Bearer tok\r\n"));
    assert_non_null(strstr(h, "\r\nIdempotency-Key: k-1\r\n"));
    assert_non_null(strstr(h, "\r\nContent-Length: 1\r\n"));
    assert_non_null(strstr(h, "\r\nContent-Type: application/msgpack\r\n"));
    assert_non_null(strstr(h, "\r\nX-Request-Id: abc\r\n\r\n"));
    assert_true(khnet__req_retryable(&req));
    req.idempotency_key = NULL;
    assert_false(khnet__req_retryable(&req));
    /* An empty POST still states its length. */
    khnet_request empty = {.size = sizeof(khnet_request), .method = "POST", .path = "/x"};
    assert_non_null(strstr(head_of(&empty, NULL, &rc), "Content-Length: 0\r\n"));
}

static void test_request_rejects_injection(void **state)
{
    int rc;
    const char *bad_hdr[] = {"X-A: 1\r\nX-B: 2", NULL};
    const char *no_colon[] = {"X-A 1", NULL};
    khnet_request reqs[] = {
        {.method = "get", .path = "/"},
        {.method = "", .path = "/"},
        {.method = NULL, .path = "/"},
        {.method = "GET", .path = NULL},
        {.method = "GET", .path = "x"},
        {.method = "GET", .path = "/a b"},
        {.method = "GET", .path = "/a\r\nX: y"},
        {.method = "GET", .path = "/", .headers = bad_hdr},
        {.method = "GET", .path = "/", .headers = no_colon},
        {.method = "POST", .path = "/", .body_len = 3},
        {.method = "POST", .path = "/", .idempotency_key = "a\nb"},
        {.method = "POST", .path = "/", .idempotency_key = ""},
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        head_of(&reqs[i], NULL, &rc);
        if (rc != -1) fail_msg("request %zu accepted", i);
    }
}

/* ---- read.c: canned byte streams ------------------------------------------ */

/* Feeds `s` in pieces of `step` bytes (0 = all at once), then EOF if
 * `eof`; returns the final state. */
static khnet__rstate feed(khnet__resp *r, const char *s, size_t len, size_t step, bool eof)
{
    khnet__rstate st = KHNET__R_MORE;
    size_t off = 0;
    if (step == 0) step = len ? len : 1;
    while (off < len && st == KHNET__R_MORE) {
        size_t n = len - off < step ? len - off : step;
        st = khnet__resp_feed(r, s + off, n);
        off += n;
    }
    /* Bytes after DONE still go in, as the socket would deliver them. */
    if (st == KHNET__R_DONE && off < len) st = khnet__resp_feed(r, s + off, len - off);
    if (eof && st == KHNET__R_MORE) st = khnet__resp_eof(r);
    return st;
}

static const char CL_RESP[] = "HTTP/1.1 200 OK\r\n"
                              "Content-Type: application/json\r\n"
                              "X-Request-Id: r-42\r\n"
                              "Content-Length: 11\r\n\r\n"
                              "{\"a\":[1,2]}";

static const char CHUNKED_RESP[] = "HTTP/1.1 201 Created\r\n"
                                   "Transfer-Encoding: chunked\r\n"
                                   "Content-Type: application/json; charset=utf-8\r\n\r\n"
                                   "5\r\n{\"a\":\r\n"
                                   "6;ext=1\r\n[1,2]}\r\n"
                                   "0\r\nX-Trailer: t\r\n\r\n";

/* Every split size, down to one byte per read, gives the same result. */
static void test_parse_content_length_all_splits(void **state)
{
    size_t len = sizeof CL_RESP - 1;
    for (size_t step = 0; step <= len; step++) {
        khnet__resp r;
        khnet__resp_init(&r, false);
        assert_int_equal(feed(&r, CL_RESP, len, step, false), KHNET__R_DONE);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.content_type, "application/json");
        assert_string_equal(r.request_id, "r-42");
        assert_int_equal(r.body.len, 11);
        assert_memory_equal(r.body.data, "{\"a\":[1,2]}", 11);
        assert_true(r.keep_alive);
        assert_int_equal(r.trailing, 0);
        khnet__resp_free(&r);
    }
}

static void test_parse_chunked_all_splits(void **state)
{
    size_t len = sizeof CHUNKED_RESP - 1;
    for (size_t step = 0; step <= len; step++) {
        khnet__resp r;
        khnet__resp_init(&r, false);
        assert_int_equal(feed(&r, CHUNKED_RESP, len, step, false), KHNET__R_DONE);
        assert_int_equal(r.status, 201);
        assert_string_equal(r.content_type, "application/json; charset=utf-8");
        assert_int_equal(r.body.len, 11);
        assert_memory_equal(r.body.data, "{\"a\":[1,2]}", 11);
        assert_true(r.keep_alive);
        khnet__resp_free(&r);
    }
}

static void test_parse_connection_close(void **state)
{
    static const char s[] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
    khnet__resp r;
    khnet__resp_init(&r, false);
    assert_int_equal(feed(&r, s, sizeof s - 1, 7, false), KHNET__R_DONE);
    assert_false(r.keep_alive);
    khnet__resp_free(&r);

    /* HTTP/1.0 is not keep-alive unless it says so. */
    static const char s10[] = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
    khnet__resp_init(&r, false);
    assert_int_equal(feed(&r, s10, sizeof s10 - 1, 0, false), KHNET__R_DONE);
    assert_false(r.keep_alive);
    khnet__resp_free(&r);
}

/* No length and no chunking: the body runs to EOF and the connection ends. */
static void test_parse_until_close(void **state)
{
    static const char s[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello world";
    khnet__resp r;
    khnet__resp_init(&r, false);
    assert_int_equal(feed(&r, s, sizeof s - 1, 3, false), KHNET__R_MORE);
    assert_int_equal(khnet__resp_eof(&r), KHNET__R_DONE);
    assert_int_equal(r.body.len, 11);
    assert_false(r.keep_alive);
    khnet__resp_free(&r);
}

static void test_parse_head_and_interim(void **state)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n";
    khnet__resp r;
    khnet__resp_init(&r, true);
    assert_int_equal(feed(&r, head, sizeof head - 1, 0, false), KHNET__R_DONE);
    assert_int_equal(r.body.len, 0);
    assert_true(r.keep_alive);
    khnet__resp_free(&r);

    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n"
                               "HTTP/1.1 204 No Content\r\n\r\n";
    khnet__resp_init(&r, false);
    assert_int_equal(feed(&r, cont, sizeof cont - 1, 5, false), KHNET__R_DONE);
    assert_int_equal(r.status, 204);
    khnet__resp_free(&r);
}

static void test_parse_trailing_garbage(void **state)
{
    static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
    khnet__resp r;
    khnet__resp_init(&r, false);
    assert_int_equal(feed(&r, s, sizeof s - 1, 0, false), KHNET__R_DONE);
    assert_int_equal(r.trailing, 5);
    assert_false(r.keep_alive); /* never reuse a connection out of step */
    khnet__resp_free(&r);
}

static void expect_error(const char *s, size_t step, bool eof, const char *why_part)
{
    khnet__resp r;
    khnet__resp_init(&r, false);
    assert_int_equal(feed(&r, s, strlen(s), step, eof), KHNET__R_ERROR);
    if (!strstr(r.err, why_part)) fail_msg("'%s' lacks '%s'", r.err, why_part);
    khnet__resp_free(&r);
}

static void test_parse_malformed(void **state)
{
    expect_error("HTTX/1.1 200 OK\r\n\r\n", 0, false, "bad HTTP response");
    expect_error("HTTP/1.1 2x0 OK\r\n\r\n", 1, false, "bad HTTP response");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", 0, false, "bad HTTP");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, false,
                 "bad HTTP");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 2, false,
                 "bad HTTP");
    expect_error("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 0, false, "bad HTTP");
    /* Cut off mid-body or mid-headers, then EOF. */
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 4, true, "closed before");
    expect_error("HTTP/1.1 200 OK\r\nContent-", 0, true, "");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0, true, "");
}

static void test_parse_limits(void **state)
{
    /* One endless header: refused at the limit, not buffered forever. */
    khnet__resp r;
    khnet__resp_init(&r, false);
    static const char start[] = "HTTP/1.1 200 OK\r\nX-Big: ";
    assert_int_equal(khnet__resp_feed(&r, start, sizeof start - 1), KHNET__R_MORE);
    char chunk[4096];
    memset(chunk, 'a', sizeof chunk);
    khnet__rstate st = KHNET__R_MORE;
    for (int i = 0; i < 40 && st == KHNET__R_MORE; i++)
        st = khnet__resp_feed(&r, chunk, sizeof chunk);
    assert_int_equal(st, KHNET__R_ERROR);
    assert_non_null(strstr(r.err, "headers exceed"));
    khnet__resp_free(&r);

    khnet__resp_init(&r, false);
    r.max_body = 4;
    static const char big[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n12345";
    assert_int_equal(feed(&r, big, sizeof big - 1, 0, false), KHNET__R_ERROR);
    assert_non_null(strstr(r.err, "body exceeds"));
    khnet__resp_free(&r);
}

static void test_parse_eof_before_response(void **state)
{
    khnet__resp r;
    khnet__resp_init(&r, false);
    assert_int_equal(khnet__resp_eof(&r), KHNET__R_CLOSED);
    khnet__resp_free(&r);
}

/* ---- reply.c -------------------------------------------------------------- */

/* Parses a response with the given status line, content type and body, then
 * builds the reply. */
static khnet_err reply_from(const char *status_line, const char *ctype, const void *body,
                            size_t len, khnet_reply **out)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_buf_appendf(&b, "%s\r\n", status_line);
    if (ctype) kp_buf_appendf(&b, "Content-Type: %s\r\n", ctype);
    kp_buf_appendf(&b, "Content-Length: %zu\r\n\r\n", len);
    kp_buf_append(&b, body, len);
    khnet__resp r;
    khnet__resp_init(&r, false);
    assert_int_equal(khnet__resp_feed(&r, (const char *)b.data, b.len), KHNET__R_DONE);
    char err[256];
    khnet_err rc = khnet__reply_build(&r, out, err, sizeof err);
    khnet__resp_free(&r);
    kp_buf_free(&b);
    return rc;
}

static void test_reply_msgpack_ok(void **state)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_map(&b, 1);
    kp_w_cstr(&b, "name");
    kp_w_cstr(&b, "Nguyễn Thị Minh Thư");
    khnet_reply *rep = NULL;
    assert_int_equal(reply_from("HTTP/1.1 200 OK", "application/msgpack", b.data, b.len, &rep),
                     KHNET_OK);
    assert_non_null(rep);
    assert_int_equal(rep->status, 200);
    assert_int_equal(rep->body_len, b.len);
    assert_int_equal(rep->body[rep->body_len], 0);
    assert_non_null(rep->root);
    const kp_value *name = kp_map_get(rep->root, "name");
    assert_non_null(name);
    assert_int_equal(name->type, KP_STR);
    assert_int_equal(name->v.s.len, strlen("Nguyễn Thị Minh Thư"));
    assert_memory_equal(name->v.s.ptr, "Nguyễn Thị Minh Thư", name->v.s.len);
    assert_null(rep->code);
    khnet_reply_free(rep);
    kp_buf_free(&b);
}

/* Idempotent-Replay: true (any case) sets reply->replayed; absent, another
 * value, or only on an interim response: not. */
static void test_reply_replayed(void **state)
{
    static const struct {
        const char *resp;
        int want;
    } cases[] = {
        {"HTTP/1.1 201 Created\r\nIdempotent-Replay: true\r\nContent-Length: 0\r\n\r\n", 1},
        {"HTTP/1.1 201 Created\r\nidempotent-replay: TRUE\r\nContent-Length: 0\r\n\r\n", 1},
        {"HTTP/1.1 201 Created\r\nIdempotent-Replay: truex\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.1 201 Created\r\nIdempotent-Replay: false\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.1 103 Early Hints\r\nIdempotent-Replay: true\r\n\r\n"
         "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        khnet__resp r;
        khnet__resp_init(&r, false);
        assert_int_equal(feed(&r, cases[i].resp, strlen(cases[i].resp), 3, false), KHNET__R_DONE);
        khnet_reply *rep = NULL;
        char err[256];
        assert_int_equal(khnet__reply_build(&r, &rep, err, sizeof err), KHNET_OK);
        assert_int_equal(rep->status, 201);
        assert_int_equal(rep->replayed, cases[i].want);
        khnet_reply_free(rep);
        khnet__resp_free(&r);
    }
}

static void test_reply_error_msgpack(void **state)
{
    kp_buf b;
    kp_buf_init(&b);
    kp_w_error(&b, "missing_field", "field is required", "full_name");
    khnet_reply *rep = NULL;
    assert_int_equal(
        reply_from("HTTP/1.1 400 Bad Request", "application/msgpack", b.data, b.len, &rep),
        KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 400);
    assert_string_equal(rep->code, "missing_field");
    assert_string_equal(rep->message, "field is required");
    assert_string_equal(rep->field, "full_name");
    khnet_reply_free(rep);
    kp_buf_free(&b);
}

static void test_reply_error_json(void **state)
{
    static const char body[] = "{\"error\":{\"code\":\"not_found\",\"message\":\"no such path\"}}";
    khnet_reply *rep = NULL;
    assert_int_equal(reply_from("HTTP/1.1 404 Not Found", "application/json; charset=utf-8", body,
                                sizeof body - 1, &rep),
                     KHNET_ERR_HTTP);
    assert_string_equal(rep->code, "not_found");
    assert_string_equal(rep->message, "no such path");
    assert_null(rep->field);
    khnet_reply_free(rep);
}

static void test_reply_odd_bodies(void **state)
{
    khnet_reply *rep = NULL;
    /* Empty body: no root, still success. */
    assert_int_equal(reply_from("HTTP/1.1 204 No Content", NULL, "", 0, &rep), KHNET_OK);
    assert_null(rep->root);
    assert_string_equal(rep->content_type, "");
    khnet_reply_free(rep);
    /* A proxy's HTML error page: the status counts, no code. */
    static const char html[] = "<h1>bad gateway</h1>";
    assert_int_equal(
        reply_from("HTTP/1.1 502 Bad Gateway", "text/html", html, sizeof html - 1, &rep),
        KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 502);
    assert_null(rep->root);
    assert_null(rep->code);
    assert_string_equal((const char *)rep->body, html);
    khnet_reply_free(rep);
    /* A 200 whose msgpack is broken is a protocol error, with the reply kept. */
    static const uint8_t bad[] = {0x82, 0xa1, 'a'};
    assert_int_equal(reply_from("HTTP/1.1 200 OK", "application/msgpack", bad, sizeof bad, &rep),
                     KHNET_ERR_PROTOCOL);
    assert_non_null(rep);
    assert_null(rep->root);
    assert_int_equal(rep->body_len, sizeof bad);
    khnet_reply_free(rep);
    khnet_reply_free(NULL);
}

/* ---- khnet.c + net.c against a scripted peer ------------------------------ */

/* What the peer does with each request it reads, in order. */
typedef enum step_kind {
    STEP_REPLY,       /* answer, keep the connection */
    STEP_REPLY_CLOSE, /* answer, then close (idle timeout / Connection: close) */
    STEP_DROP,        /* read the request, close without answering */
    STEP_STALL        /* read the request, wait 400 ms, close */
} step_kind;

typedef struct step {
    step_kind kind;   /* action */
    const char *resp; /* bytes to send for REPLY kinds */
} step;

typedef struct peer {
    int lfd;           /* listening socket on 127.0.0.1 */
    int port;          /* its port */
    const step *steps; /* script */
    size_t nsteps;     /* steps in script */
    int accepted;      /* connections accepted */
    int served;        /* requests read */
    char last[2048];   /* head of the last request read */
    pthread_t thread;  /* runs peer_main */
} peer;

/* Reads one request (head + Content-Length body); 0, or -1 on EOF. */
static int read_request(peer *p, int fd)
{
    char buf[8192];
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0) return -1;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head = (size_t)(end + 4 - buf);
    snprintf(p->last, sizeof p->last, "%.*s", (int)head, buf);
    const char *cl = strcasestr(p->last, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    size_t have = len - head;
    while (have < want) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return -1;
        have += (size_t)n;
    }
    return 0;
}

static void *peer_main(void *arg)
{
    peer *p = arg;
    int fd = -1;
    for (size_t i = 0; i < p->nsteps; i++) {
        if (fd < 0) {
            if ((fd = accept(p->lfd, NULL, NULL)) < 0) break; /* peer_stop() shut the listener */
            p->accepted++;
        }
        if (read_request(p, fd) < 0) { /* the client closed: it will reconnect */
            close(fd);
            fd = -1;
            i--;
            continue;
        }
        p->served++;
        const step *s = &p->steps[i];
        if (s->kind == STEP_STALL) usleep(400 * 1000);
        if (s->kind == STEP_REPLY || s->kind == STEP_REPLY_CLOSE)
            (void)!send(fd, s->resp, strlen(s->resp), MSG_NOSIGNAL);
        if (s->kind != STEP_REPLY) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0) close(fd);
    return NULL;
}

static void peer_start(peer *p, const step *steps, size_t n)
{
    memset(p, 0, sizeof *p);
    p->steps = steps;
    p->nsteps = n;
    p->lfd = listen_loopback(&p->port);
    assert_true(p->lfd >= 0);
    assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void peer_stop(peer *p)
{
    /* Unblocks accept() if the client needed fewer connections than scripted. */
    shutdown(p->lfd, SHUT_RDWR);
    pthread_join(p->thread, NULL);
    close(p->lfd);
}

static khnet_ctx *connect_to(const peer *p)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", p->port);
    khnet_ctx *ctx = NULL;
    assert_int_equal(khnet_connect(url, &ctx), KHNET_OK);
    assert_non_null(ctx);
    return ctx;
}

#define OK_JSON                                                                                    \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"              \
    "{\"ok\":true}"
#define OK_CLOSE                                                                                   \
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"                   \
    "Content-Length: 11\r\n\r\n{\"ok\":true}"

static khnet_err get(khnet_ctx *ctx, int *status)
{
    khnet_reply *rep = NULL;
    khnet_err rc = khnet_call(ctx, "GET", "/x", NULL, 0, &rep);
    *status = rep ? rep->status : 0;
    khnet_reply_free(rep);
    return rc;
}

static void test_conn_keepalive_reuse(void **state)
{
    step s[20];
    for (int i = 0; i < 20; i++)
        s[i] = (step){STEP_REPLY, OK_JSON};
    peer p;
    peer_start(&p, s, 20);
    khnet_ctx *ctx = connect_to(&p);
    assert_int_equal(khnet_set_token(ctx, "t0k"), KHNET_OK);
    for (int i = 0; i < 20; i++) {
        int status;
        assert_int_equal(get(ctx, &status), KHNET_OK);
        assert_int_equal(status, 200);
    }
    struct khnet_stats st = KHNET_STATS_INIT;
    khnet_stats(ctx, &st);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.requests, 20);
    assert_int_equal(st.retries, 0);
    khnet_free(ctx);
    peer_stop(&p);
    assert_int_equal(p.accepted, 1);
    assert_non_null(strstr(p.last, "\r\nAuthorization: Bearer t0k\r\n"));
}

/* Connection: close from the server is honoured; the next call reconnects. */
static void test_conn_close_honoured(void **state)
{
    const step s[] = {{STEP_REPLY_CLOSE, OK_CLOSE}, {STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 2);
    khnet_ctx *ctx = connect_to(&p);
    int status;
    assert_int_equal(get(ctx, &status), KHNET_OK);
    assert_int_equal(khnet__ctx_fd(ctx), -1); /* closed at once, not left to go stale */
    assert_int_equal(get(ctx, &status), KHNET_OK);
    struct khnet_stats st = KHNET_STATS_INIT;
    khnet_stats(ctx, &st);
    assert_int_equal(st.connects, 2);
    assert_int_equal(st.retries, 0);
    khnet_free(ctx);
    peer_stop(&p);
}

/* The server dropped the idle keep-alive connection: GET goes out on a new one. */
static void test_conn_idle_close_reconnects(void **state)
{
    const step s[] = {{STEP_REPLY_CLOSE, OK_JSON}, {STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 2);
    khnet_ctx *ctx = connect_to(&p);
    int status;
    assert_int_equal(get(ctx, &status), KHNET_OK);
    usleep(50 * 1000); /* let the FIN arrive, as after an idle timeout */
    assert_int_equal(get(ctx, &status), KHNET_OK);
    assert_int_equal(status, 200);
    struct khnet_stats st = KHNET_STATS_INIT;
    khnet_stats(ctx, &st);
    assert_int_equal(st.connects, 2);
    assert_int_equal(st.retries, 0); /* detected before sending */
    khnet_free(ctx);
    peer_stop(&p);
}

/* The close races the request: a GET is re-sent once on a new connection. */
static void test_conn_race_retries_get(void **state)
{
    const step s[] = {{STEP_REPLY, OK_JSON}, {STEP_DROP, NULL}, {STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 3);
    khnet_ctx *ctx = connect_to(&p);
    int status;
    assert_int_equal(get(ctx, &status), KHNET_OK);
    assert_int_equal(get(ctx, &status), KHNET_OK);
    assert_int_equal(status, 200);
    struct khnet_stats st = KHNET_STATS_INIT;
    khnet_stats(ctx, &st);
    assert_int_equal(st.connects, 2);
    assert_int_equal(st.retries, 1);
    khnet_free(ctx);
    peer_stop(&p);
    assert_int_equal(p.served, 3);
}

/* A POST without an idempotency key is never sent twice; with one it is. */
static void test_conn_race_post(void **state)
{
    const step s[] = {{STEP_REPLY, OK_JSON}, {STEP_DROP, NULL}};
    peer p;
    peer_start(&p, s, 2);
    khnet_ctx *ctx = connect_to(&p);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_call_json(ctx, "POST", "/v1/echo", "{}", &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_int_equal(khnet_call_json(ctx, "POST", "/v1/echo", "{}", &rep), KHNET_ERR_IO);
    assert_null(rep);
    assert_int_equal(khnet_errcode(ctx), KHNET_ERR_IO);
    assert_non_null(strstr(khnet_errstr(ctx), "closed"));
    khnet_free(ctx);
    peer_stop(&p);
    assert_int_equal(p.served, 2);

    const step s2[] = {{STEP_REPLY, OK_JSON}, {STEP_DROP, NULL}, {STEP_REPLY, OK_JSON}};
    peer_start(&p, s2, 3);
    ctx = connect_to(&p);
    khnet_request req = {.size = sizeof(khnet_request),
                         .method = "POST",
                         .path = "/v1/x",
                         .body = "{}",
                         .body_len = 2,
                         .content_type = "application/json",
                         .idempotency_key = "key-1"};
    assert_int_equal(khnet_call_ex(ctx, &req, &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_int_equal(khnet_call_ex(ctx, &req, &rep), KHNET_OK);
    khnet_reply_free(rep);
    khnet_free(ctx);
    peer_stop(&p);
    assert_non_null(strstr(p.last, "\r\nIdempotency-Key: key-1\r\n"));
    assert_non_null(strstr(p.last, "\r\nContent-Type: application/json\r\n"));
}

/* A fresh connection that dies is a real failure, not a stale one. */
static void test_conn_fresh_drop_not_retried(void **state)
{
    const step s[] = {{STEP_DROP, NULL}};
    peer p;
    peer_start(&p, s, 1);
    khnet_ctx *ctx = connect_to(&p);
    int status;
    assert_int_equal(get(ctx, &status), KHNET_ERR_IO);
    struct khnet_stats st = KHNET_STATS_INIT;
    khnet_stats(ctx, &st);
    assert_int_equal(st.retries, 0);
    khnet_free(ctx);
    peer_stop(&p);
}

static void test_conn_timeout(void **state)
{
    const step s[] = {{STEP_STALL, NULL}};
    peer p;
    peer_start(&p, s, 1);
    khnet_ctx *ctx = connect_to(&p);
    assert_int_equal(khnet_set_timeout(ctx, 100), KHNET_OK);
    int status;
    assert_int_equal(get(ctx, &status), KHNET_ERR_TIMEOUT);
    assert_non_null(strstr(khnet_errstr(ctx), "timed out"));
    khnet_free(ctx);
    peer_stop(&p);
}

static void test_connect_errors(void **state)
{
    khnet_ctx *ctx = NULL;
    assert_int_equal(khnet_connect("ftp://x", &ctx), KHNET_ERR_URL);
    assert_non_null(ctx); /* kept so the reason can be read */
    assert_non_null(strstr(khnet_errstr(ctx), "https"));
    int status;
    assert_int_equal(get(ctx, &status), KHNET_ERR_URL);
    khnet_free(ctx);

    /* A port nobody listens on: bind one, learn it, close it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t alen = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    assert_int_equal(khnet_connect(url, &ctx), KHNET_ERR_CONNECT);
    assert_non_null(strstr(khnet_errstr(ctx), "refused"));
    khnet_free(ctx);

    assert_int_equal(khnet_connect(NULL, &ctx), KHNET_ERR_ARG);
    assert_null(ctx);
    assert_int_equal(khnet_connect("http://x", NULL), KHNET_ERR_ARG);
}

static void test_misc_api(void **state)
{
    assert_string_equal(khnet_version(), KHNET_VERSION_STRING);
    for (int e = KHNET_OK; e <= KHNET_ERR_ARG; e++)
        assert_non_null(khnet_strerror((khnet_err)e));
    assert_string_equal(khnet_strerror(KHNET_OK), "success");
    khnet_free(NULL);
    assert_int_equal(khnet_set_timeout(NULL, 1), KHNET_ERR_ARG);

    const step s[] = {{STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 1);
    khnet_ctx *ctx = connect_to(&p);
    assert_int_equal(khnet_set_timeout(ctx, -1), KHNET_ERR_ARG);
    assert_int_equal(khnet_set_token(ctx, "a b"), KHNET_ERR_ARG);
    assert_int_equal(khnet_set_token(ctx, "a\r\nX: y"), KHNET_ERR_ARG);
    assert_int_equal(khnet_set_token(ctx, NULL), KHNET_OK);
    khnet_reply *rep = (khnet_reply *)1;
    assert_int_equal(khnet_call(ctx, "GET", "no-slash", NULL, 0, &rep), KHNET_ERR_ARG);
    assert_null(rep);
    assert_int_equal(khnet_health(ctx, &rep), KHNET_OK);
    assert_non_null(strstr(p.last, "GET /healthz HTTP/1.1\r\n"));
    assert_string_equal(khnet_errstr(ctx), "");
    khnet_reply_free(rep);
    khnet_free(ctx);
    peer_stop(&p);
}

/* A typed call whose query parameters do not fit its path buffer refuses
 * the call (it used to send the parameter cut short: a different cursor);
 * one that fits is sent whole, percent-encoded. */
static void test_typed_call_parameter_too_long(void **state)
{
    (void)state;
    const step s[] = {{STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 1);
    khnet_ctx *ctx = connect_to(&p);
    char after[301];
    memset(after, 'a', 300);
    after[300] = '\0';
    khnet_reply *rep = (khnet_reply *)1;
    assert_int_equal(khnet_conversations_list(ctx, after, 10, &rep), KHNET_ERR_ARG);
    assert_null(rep);
    assert_non_null(strstr(khnet_errstr(ctx), "did not fit"));
    memset(after, '/', 80); /* 80 x "%2F": 240 bytes, 258 with the path: cut at 256 */
    after[80] = '\0';
    assert_int_equal(khnet_conversations_list(ctx, after, 10, &rep), KHNET_ERR_ARG);
    after[60] = '\0'; /* 180 bytes: fits */
    assert_int_equal(khnet_conversations_list(ctx, after, 10, &rep), KHNET_OK);
    char want[256] = "GET /v1/conversations?after=";
    for (int i = 0; i < 60; i++)
        strcat(want, "%2F");
    strcat(want, "&limit=10 HTTP/1.1\r\n");
    assert_non_null(strstr(p.last, want));
    khnet_reply_free(rep);
    khnet_free(ctx);
    peer_stop(&p);
}

/* ---- abi.c: sized structs (khnet.h's ABI promise) ------------------------------- */

/* An older program's struct khnet_stats stopped before `requests`: the
 * library fills what it has room for and not one byte more. */
static void test_abi_stats_older_program(void **state)
{
    const step s[] = {{STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 1);
    khnet_ctx *ctx = connect_to(&p);
    int status;
    assert_int_equal(get(ctx, &status), KHNET_OK);
    size_t old_size = offsetof(struct khnet_stats, requests);
    union {
        struct khnet_stats st;
        unsigned char bytes[sizeof(struct khnet_stats) + 16];
    } u;
    memset(&u, 0xAA, sizeof u);
    u.st.size = old_size;
    assert_int_equal(khnet_stats(ctx, &u.st), KHNET_OK);
    assert_int_equal(u.st.size, old_size);
    assert_int_equal(u.st.connects, 1);
    assert_int_equal(u.st.retries, 0);
    for (size_t i = old_size; i < sizeof u.bytes; i++)
        assert_int_equal(u.bytes[i], 0xAA);

    /* A newer program's larger struct: counters this library lacks read 0. */
    memset(&u, 0xAA, sizeof u);
    u.st.size = sizeof u.bytes;
    assert_int_equal(khnet_stats(ctx, &u.st), KHNET_OK);
    assert_int_equal(u.st.requests, 1);
    for (size_t i = sizeof(struct khnet_stats); i < sizeof u.bytes; i++)
        assert_int_equal(u.bytes[i], 0);

    /* Unset size: refused, nothing written. */
    memset(&u, 0xAA, sizeof u);
    u.st.size = 0;
    assert_int_equal(khnet_stats(ctx, &u.st), KHNET_ERR_ARG);
    assert_int_equal(u.bytes[sizeof(size_t)], 0xAA);
    assert_int_equal(khnet_stats(NULL, &u.st), KHNET_ERR_ARG);
    khnet_free(ctx);
    peer_stop(&p);
}

/* An older program's khnet_request ends before content_type: whatever lies
 * past its size (here a poisoned content type, key and header) is never read. */
static void test_abi_request_older_program(void **state)
{
    const step s[] = {{STEP_REPLY, OK_JSON}, {STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 2);
    khnet_ctx *ctx = connect_to(&p);
    const char *poison_hdr[] = {"X-Poison: 1", NULL};
    khnet_request req = {.size = offsetof(khnet_request, content_type),
                         .method = "POST",
                         .path = "/v1/x",
                         .body = "\x80",
                         .body_len = 1,
                         .content_type = "text/poison",
                         .idempotency_key = "poison",
                         .headers = poison_hdr};
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_call_ex(ctx, &req, &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_non_null(strstr(p.last, "POST /v1/x HTTP/1.1\r\n"));
    assert_non_null(strstr(p.last, "\r\nContent-Type: application/msgpack\r\n"));
    assert_null(strstr(p.last, "poison"));
    assert_null(strstr(p.last, "Poison"));

    /* The same request as a newer program's: honoured in full. */
    req.size = sizeof req;
    assert_int_equal(khnet_call_ex(ctx, &req, &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_non_null(strstr(p.last, "\r\nContent-Type: text/poison\r\n"));
    assert_non_null(strstr(p.last, "\r\nX-Poison: 1\r\n"));
    khnet_free(ctx);
    peer_stop(&p);
}

/* Sizes the library cannot honour are refused before anything is sent. */
static void test_abi_request_refused_sizes(void **state)
{
    const step s[] = {{STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 1);
    khnet_ctx *ctx = connect_to(&p);
    khnet_reply *rep = NULL;
    khnet_request unset = {.method = "GET", .path = "/x"};
    assert_int_equal(khnet_call_ex(ctx, &unset, &rep), KHNET_ERR_ARG);
    assert_non_null(strstr(khnet_errstr(ctx), "KHNET_*_INIT"));

    /* A newer program that set a field this library does not know. */
    union {
        khnet_request r;
        unsigned char bytes[sizeof(khnet_request) + 8];
    } newer;
    memset(&newer, 0, sizeof newer);
    newer.r.size = sizeof newer.bytes;
    newer.r.method = "GET";
    newer.r.path = "/x";
    newer.bytes[sizeof(khnet_request) + 3] = 1;
    assert_int_equal(khnet_call_ex(ctx, &newer.r, &rep), KHNET_ERR_ARG);
    assert_non_null(strstr(khnet_errstr(ctx), "does not know"));
    assert_int_equal(p.served, 0);
    /* ... and one that left it unset: fine. */
    newer.bytes[sizeof(khnet_request) + 3] = 0;
    assert_int_equal(khnet_call_ex(ctx, &newer.r, &rep), KHNET_OK);
    khnet_reply_free(rep);
    khnet_free(ctx);
    peer_stop(&p);
    assert_int_equal(p.served, 1);
}

/* An older program's search query (before willing_to_mentor) and profile
 * filter (before mentoring): the fields past their size are defaults. */
static void test_abi_query_and_filter_older_program(void **state)
{
    const step s[] = {{STEP_REPLY, OK_JSON}};
    peer p;
    peer_start(&p, s, 1);
    khnet_ctx *ctx = connect_to(&p);
    khnet_search_query q = {.size = offsetof(khnet_search_query, willing_to_mentor),
                            .q = "wind",
                            .willing_to_mentor = 1,
                            .min_years = 7,
                            .sort = "poison",
                            .limit = -3};
    khnet_search_query copy;
    assert_int_equal(khnet__search_query_in(ctx, &q, &copy), 0);
    assert_int_equal(copy.size, sizeof copy);
    assert_string_equal(copy.q, "wind");
    assert_int_equal(copy.willing_to_mentor, 0);
    assert_int_equal(copy.min_years, 0);
    assert_null(copy.sort);
    assert_int_equal(copy.limit, 0);
    kp_buf b;
    kp_buf_init(&b);
    khnet__search_body(&b, &copy);
    assert_int_equal(b.data[0], 0x81); /* a map of one pair: q */
    kp_buf_free(&b);
    q.size = 0;
    assert_int_equal(khnet__search_query_in(ctx, &q, &copy), -1);
    assert_int_equal(khnet_errcode(ctx), KHNET_ERR_ARG);

    khnet_profile_filter f = {
        .size = offsetof(khnet_profile_filter, mentoring), .country = "VN", .mentoring = "poison"};
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_profiles_list(ctx, &f, NULL, 0, &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_non_null(strstr(p.last, "GET /v1/profiles?country=VN HTTP/1.1\r\n"));
    khnet_free(ctx);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_valid),
        cmocka_unit_test(test_url_invalid),
        cmocka_unit_test(test_url_tls),
        cmocka_unit_test(test_request_get),
        cmocka_unit_test(test_request_post),
        cmocka_unit_test(test_request_rejects_injection),
        cmocka_unit_test(test_parse_content_length_all_splits),
        cmocka_unit_test(test_parse_chunked_all_splits),
        cmocka_unit_test(test_parse_connection_close),
        cmocka_unit_test(test_parse_until_close),
        cmocka_unit_test(test_parse_head_and_interim),
        cmocka_unit_test(test_parse_trailing_garbage),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_eof_before_response),
        cmocka_unit_test(test_reply_msgpack_ok),
        cmocka_unit_test(test_reply_replayed),
        cmocka_unit_test(test_reply_error_msgpack),
        cmocka_unit_test(test_reply_error_json),
        cmocka_unit_test(test_reply_odd_bodies),
        cmocka_unit_test(test_conn_keepalive_reuse),
        cmocka_unit_test(test_conn_close_honoured),
        cmocka_unit_test(test_conn_idle_close_reconnects),
        cmocka_unit_test(test_conn_race_retries_get),
        cmocka_unit_test(test_conn_race_post),
        cmocka_unit_test(test_conn_fresh_drop_not_retried),
        cmocka_unit_test(test_conn_timeout),
        cmocka_unit_test(test_typed_call_parameter_too_long),
        cmocka_unit_test(test_connect_errors),
        cmocka_unit_test(test_misc_api),
        cmocka_unit_test(test_abi_stats_older_program),
        cmocka_unit_test(test_abi_request_older_program),
        cmocka_unit_test(test_abi_request_refused_sizes),
        cmocka_unit_test(test_abi_query_and_filter_older_program),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
