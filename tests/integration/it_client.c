/* it_client.c — libkhnet and the `khnet` CLI against a real khnetd.
 *
 * Run by tests/harness.sh, which starts khnetd on a fresh database and
 * exports KHNET_URL (and KHNET_CLI from CTest).  Checks the contract of
 * proto/PROTOCOL.md from the client's side: /healthz, the /v1/echo round
 * trip byte for byte, error replies, and that the keep-alive connection is
 * really kept (and transparently replaced when the server closes it).
 * Failure modes the real server cannot be made to produce on cue (a close
 * racing a request, stalls) are in tests/unit/test_client.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../client-lib/src/khnet_int.h"
#include "common.h"

static const char VI_NAME[] = "Nguyễn Thị Minh Thư";

static khnet_ctx *open_ctx(void)
{
    const char *url = getenv("KHNET_URL");
    if (!url) fail_msg("KHNET_URL is not set (run through tests/harness.sh)");
    khnet_ctx *ctx = NULL;
    khnet_err rc = khnet_connect(url, &ctx);
    if (rc != KHNET_OK)
        fail_msg("connect %s: %s", url, ctx ? khnet_errstr(ctx) : khnet_strerror(rc));
    return ctx;
}

static uint64_t connects(const khnet_ctx *ctx)
{
    struct khnet_stats st = KHNET_STATS_INIT;
    khnet_stats(ctx, &st);
    return st.connects;
}

static const kp_value *field(const kp_value *map, const char *key, kp_type type)
{
    assert_non_null(map);
    assert_int_equal(map->type, KP_MAP);
    const kp_value *v = kp_map_get(map, key);
    static const kp_value missing = {.type = KP_NIL};
    if (!v) {
        fail_msg("reply has no field '%s'", key);
        v = &missing; /* not reached: fail_msg ends the test */
    }
    assert_int_equal(v->type, type);
    return v;
}

static void test_health(void **state)
{
    khnet_ctx *ctx = open_ctx();
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_health(ctx, &rep), KHNET_OK);
    assert_int_equal(rep->status, 200);
    const kp_value *status = field(rep->root, "status", KP_STR);
    bool known = (status->v.s.len == 2 && memcmp(status->v.s.ptr, "ok", 2) == 0) ||
                 (status->v.s.len == 8 && memcmp(status->v.s.ptr, "degraded", 8) == 0);
    assert_true(known);
    const kp_value *db = field(rep->root, "db", KP_MAP);
    assert_true(field(db, "connected", KP_INT)->v.i >= 0);
    assert_true(field(db, "broken", KP_INT)->v.i >= 0);
    assert_string_equal(khnet_errstr(ctx), "");
    khnet_reply_free(rep);
    khnet_free(ctx);
}

/* A document touching every msgpack family, nested, in shortest form. */
static void nested_doc(kp_buf *b)
{
    kp_w_map(b, 7);
    kp_w_cstr(b, "name");
    kp_w_cstr(b, VI_NAME);
    kp_w_cstr(b, "ints");
    kp_w_array(b, 5);
    kp_w_int(b, 0);
    kp_w_int(b, -1);
    kp_w_int(b, 300);
    kp_w_int(b, INT64_MIN);
    kp_w_uint(b, UINT64_MAX);
    kp_w_cstr(b, "pi");
    kp_w_double(b, 3.25);
    kp_w_cstr(b, "flags");
    kp_w_array(b, 3);
    kp_w_bool(b, true);
    kp_w_bool(b, false);
    kp_w_nil(b);
    kp_w_cstr(b, "blob");
    kp_w_bin(b, "\x00\x01\xff", 3);
    kp_w_cstr(b, "deep");
    kp_w_map(b, 1);
    kp_w_cstr(b, "list");
    kp_w_array(b, 2);
    kp_w_map(b, 1);
    kp_w_cstr(b, "expertise");
    kp_w_cstr(b, "nuôi trồng thủy sản");
    kp_w_map(b, 0);
    kp_w_cstr(b, "empty");
    kp_w_cstr(b, "");
    assert_false(b->oom);
}

static void test_echo_roundtrip(void **state)
{
    khnet_ctx *ctx = open_ctx();
    kp_buf sent;
    kp_buf_init(&sent);
    nested_doc(&sent);
    khnet_reply *rep = NULL;
    khnet_err rc = khnet_call(ctx, "POST", "/v1/echo", sent.data, sent.len, &rep);
    if (rc != KHNET_OK) fail_msg("echo: %s", khnet_errstr(ctx));
    assert_int_equal(rep->status, 200);
    assert_non_null(strstr(rep->content_type, "application/msgpack"));
    const kp_value *data = field(rep->root, "data", KP_MAP);
    const kp_value *name = field(data, "name", KP_STR);
    assert_int_equal(name->v.s.len, strlen(VI_NAME));
    assert_memory_equal(name->v.s.ptr, VI_NAME, name->v.s.len);
    /* Byte for byte: re-encoding what came back gives what we sent. */
    kp_buf back;
    kp_buf_init(&back);
    kp_w_value(&back, data);
    assert_int_equal(back.len, sent.len);
    assert_memory_equal(back.data, sent.data, sent.len);
    const kp_value *ct = field(rep->root, "content_type", KP_STR);
    assert_int_equal(ct->v.s.len, strlen("application/msgpack"));
    kp_buf_free(&back);
    kp_buf_free(&sent);
    khnet_reply_free(rep);
    khnet_free(ctx);
}

/* JSON in, msgpack out: the server transcodes at the edge. */
static void test_echo_json(void **state)
{
    khnet_ctx *ctx = open_ctx();
    khnet_reply *rep = NULL;
    khnet_err rc =
        khnet_call_json(ctx, "POST", "/v1/echo",
                        "{\"name\":\"Nguyễn Thị Minh Thư\",\"n\":[1,-2,{\"x\":null}]}", &rep);
    if (rc != KHNET_OK) fail_msg("echo json: %s", khnet_errstr(ctx));
    assert_non_null(strstr(rep->content_type, "application/msgpack"));
    const kp_value *data = field(rep->root, "data", KP_MAP);
    const kp_value *name = field(data, "name", KP_STR);
    assert_memory_equal(name->v.s.ptr, VI_NAME, strlen(VI_NAME));
    const kp_value *n = field(data, "n", KP_ARRAY);
    assert_int_equal(n->v.arr.n, 3);
    assert_int_equal(n->v.arr.items[1].v.i, -2);
    khnet_reply_free(rep);
    khnet_free(ctx);
}

/* Many calls, one TCP connection. */
static void test_keepalive_many_calls(void **state)
{
    khnet_ctx *ctx = open_ctx();
    kp_buf body;
    kp_buf_init(&body);
    nested_doc(&body);
    for (int i = 0; i < 300; i++) {
        khnet_reply *rep = NULL;
        khnet_err rc = i % 2 ? khnet_health(ctx, &rep)
                             : khnet_call(ctx, "POST", "/v1/echo", body.data, body.len, &rep);
        if (rc != KHNET_OK) fail_msg("call %d: %s", i, khnet_errstr(ctx));
        khnet_reply_free(rep);
    }
    struct khnet_stats st = KHNET_STATS_INIT;
    khnet_stats(ctx, &st);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.retries, 0);
    assert_int_equal(st.requests, 300);
    kp_buf_free(&body);
    khnet_free(ctx);
}

static void test_not_found(void **state)
{
    khnet_ctx *ctx = open_ctx();
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_call(ctx, "GET", "/v1/no-such-path", NULL, 0, &rep), KHNET_ERR_HTTP);
    assert_non_null(rep);
    assert_int_equal(rep->status, 404);
    assert_non_null(rep->code);
    assert_string_equal(rep->code, "not_found");
    assert_non_null(rep->message);
    assert_int_equal(khnet_errcode(ctx), KHNET_ERR_HTTP);
    assert_non_null(strstr(khnet_errstr(ctx), "not_found"));
    khnet_reply_free(rep);
    /* An error reply does not cost the connection. */
    assert_int_equal(khnet_health(ctx, &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_int_equal(connects(ctx), 1);
    khnet_free(ctx);
}

static void test_invalid_msgpack(void **state)
{
    khnet_ctx *ctx = open_ctx();
    static const uint8_t bad[] = {0xc1}; /* the one byte msgpack never uses */
    static const uint8_t truncated[] = {0x81, 0xa4, 'n', 'a'};
    const struct {
        const uint8_t *p;
        size_t n;
    } cases[] = {{bad, sizeof bad}, {truncated, sizeof truncated}};
    for (size_t i = 0; i < 2; i++) {
        khnet_reply *rep = NULL;
        assert_int_equal(khnet_call(ctx, "POST", "/v1/echo", cases[i].p, cases[i].n, &rep),
                         KHNET_ERR_HTTP);
        assert_int_equal(rep->status, 400);
        assert_non_null(rep->code);
        assert_string_equal(rep->code, "invalid_msgpack");
        khnet_reply_free(rep);
    }
    khnet_free(ctx);
}

/* The server closes the connection the context holds (here: a raw request
 * with Connection: close slipped onto its socket); the next GET must just
 * work, on a new connection. */
static void test_server_close_reconnects(void **state)
{
    khnet_ctx *ctx = open_ctx();
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_health(ctx, &rep), KHNET_OK);
    khnet_reply_free(rep);
    int fd = khnet__ctx_fd(ctx);
    assert_true(fd >= 0);
    static const char raw[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_int_equal(send(fd, raw, sizeof raw - 1, MSG_NOSIGNAL), (ssize_t)(sizeof raw - 1));
    char buf[4096];
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (poll(&pfd, 1, 5000) > 0 && recv(fd, buf, sizeof buf, 0) > 0)
        ; /* drain until the server's FIN */
    assert_int_equal(khnet_health(ctx, &rep), KHNET_OK);
    assert_int_equal(rep->status, 200);
    khnet_reply_free(rep);
    assert_int_equal(connects(ctx), 2);

    /* And the polite way: we ask for close, the server closes, we follow. */
    const char *hdr[] = {"Connection: close", NULL};
    khnet_request req = {
        .size = sizeof(khnet_request), .method = "GET", .path = "/healthz", .headers = hdr};
    assert_int_equal(khnet_call_ex(ctx, &req, &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_int_equal(khnet__ctx_fd(ctx), -1);
    assert_int_equal(khnet_health(ctx, &rep), KHNET_OK);
    khnet_reply_free(rep);
    assert_int_equal(connects(ctx), 3);
    khnet_free(ctx);
}

/* Runs the CLI with a shell command line; returns its exit status and the
 * first bytes of its stdout. */
static int run_cli(const char *args, char *out, size_t cap)
{
    const char *cli = getenv("KHNET_CLI");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", cli, args);
    return it_run(cmd, out, cap);
}

static void test_cli(void **state)
{
    if (!getenv("KHNET_CLI")) skip();
    char out[4096];
    assert_int_equal(run_cli("health", out, sizeof out), 0);
    assert_non_null(strstr(out, "status: "));
    assert_non_null(strstr(out, "connected="));
    assert_int_equal(run_cli("--json health", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"db\":"));
    assert_int_equal(
        run_cli("call POST /v1/echo '{\"name\":\"Nguyễn Thị Minh Thư\"}'", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"Nguyễn Thị Minh Thư\""));
    assert_int_equal(run_cli("call GET /v1/no-such-path", out, sizeof out), 1);
    assert_int_equal(run_cli("call", out, sizeof out), 2);
    assert_int_equal(run_cli("--url http://127.0.0.1:1 health", out, sizeof out), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_echo_roundtrip),
        cmocka_unit_test(test_echo_json),
        cmocka_unit_test(test_keepalive_many_calls),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_invalid_msgpack),
        cmocka_unit_test(test_server_close_reconnects),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("it_client", tests, NULL, NULL);
}
