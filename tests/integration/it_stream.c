/* it_stream.c — libkhnet's event stream (khnet_stream_*) against real
 * khnetd instances: events arrive in seq order; a connection cut mid-way
 * (socket shut down under the stream, or the server restarted: close 1001,
 * then connection refused) resumes without loss or duplicates; a refused
 * token and an ended session stop the stream for good; `khnet listen`.
 *
 * Writes go through the harness's khnetd (KHNET_URL).  The restart and
 * session cases run a second khnetd of their own on the same database
 * (KHNETD, KHNET_DATABASE_URL), with fast session re-checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../client-lib/src/khnet_int.h"
#include "common.h"
#include "khnet.h"

/* A member with a unique address (name.N.pid@example.org), signed up on url. */
static it_user make_user(const char *url, const char *name)
{
    static unsigned n;
    char email[128];
    snprintf(email, sizeof email, "%s.%u.%ld@example.org", name, n++, (long)getpid());
    return it_make_user(url, email);
}

/* Two members for every case: sign-ups are rate-limited per address. */
static it_user A, B;
static int64_t conv_ab;

static int setup(void **state)
{
    (void)state;
    A = make_user(getenv("KHNET_URL"), "stream.a");
    B = make_user(getenv("KHNET_URL"), "stream.b");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    khnet_free(A.ctx);
    khnet_free(B.ctx);
    return 0;
}

static int64_t direct(it_user *a, const it_user *b)
{
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_conversation_direct(a->ctx, b->id, &rep), KHNET_OK);
    int64_t conv = it_get_int(rep, "id");
    khnet_reply_free(rep);
    return conv;
}

static void send_text(it_user *a, int64_t conv, int i)
{
    static unsigned sent;
    char cid[32], text[32];
    snprintf(cid, sizeof cid, "it-stream-%u", sent++);
    snprintf(text, sizeof text, "tin %d", i);
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_message_send(a->ctx, conv, cid, text, 0, &rep), KHNET_OK);
    khnet_reply_free(rep);
}

/* The next event must be message.new "tin <i>" with seq want_seq. */
static void expect_msg(khnet_stream *st, int64_t want_seq, int i)
{
    khnet_event *ev = NULL;
    khnet_err rc = khnet_stream_next(st, 10000, &ev);
    if (rc != KHNET_OK)
        fail_msg("waiting for seq %lld: %s: %s", (long long)want_seq, khnet_strerror(rc),
                 khnet_stream_errstr(st));
    assert_int_equal(ev->seq, want_seq);
    assert_string_equal(ev->kind, "message.new");
    assert_int_equal(ev->payload->type, KP_MAP);
    const kp_value *text = kp_map_get(ev->payload, "text");
    char want[32];
    snprintf(want, sizeof want, "tin %d", i);
    assert_true(text && text->type == KP_STR && text->v.s.len == strlen(want));
    assert_memory_equal(text->v.s.ptr, want, strlen(want));
    assert_true(strlen(ev->at) > 0 && ev->at[strlen(ev->at) - 1] == 'Z');
    khnet_event_free(ev);
}

/* Sends "tin i" for each i in [from, to). */
static void send_texts(it_user *a, int64_t conv, int from, int to)
{
    for (int i = from; i < to; i++)
        send_text(a, conv, i);
}

/* The next events must be "tin i" with seq base + 1 + i, for each i in [from, to). */
static void expect_msgs(khnet_stream *st, int64_t base, int from, int to)
{
    for (int i = from; i < to; i++)
        expect_msg(st, base + 1 + i, i);
}

static void expect_quiet(khnet_stream *st, int ms)
{
    khnet_event *ev = NULL;
    khnet_err rc = khnet_stream_next(st, ms, &ev);
    if (rc == KHNET_OK) fail_msg("unexpected event seq %lld", (long long)ev->seq);
    assert_int_equal(rc, KHNET_ERR_TIMEOUT);
}

static void test_in_order(void **state)
{
    (void)state;
    it_user a = A, b = B;
    int64_t conv = conv_ab = direct(&a, &b);
    khnet_stream *st = NULL;
    assert_int_equal(khnet_stream_open(b.ctx, -1, &st), KHNET_OK);
    int64_t base = khnet_stream_seq(st);
    assert_true(base >= 0); /* the ready frame's cursor */
    send_texts(&a, conv, 0, 30);
    expect_msgs(st, base, 0, 30);
    expect_quiet(st, 300);
    struct khnet_stream_stats ss = KHNET_STREAM_STATS_INIT;
    khnet_stream_stats(st, &ss);
    assert_int_equal(ss.events, 30);
    assert_int_equal(ss.connects, 1);
    khnet_stream_close(st);

    /* from a cursor: exactly what follows it */
    assert_int_equal(khnet_stream_open(b.ctx, base + 25, &st), KHNET_OK);
    expect_msgs(st, base, 25, 30);
    expect_quiet(st, 200);
    khnet_stream_close(st);
}

/* The socket dies under the stream while events are in flight. */
static void test_cut_mid_way(void **state)
{
    (void)state;
    it_user a = A, b = B;
    int64_t conv = conv_ab;
    khnet_stream *st = NULL;
    assert_int_equal(khnet_stream_open(b.ctx, -1, &st), KHNET_OK);
    int64_t base = khnet_stream_seq(st);
    send_texts(&a, conv, 0, 20);
    expect_msgs(st, base, 0, 7);
    assert_int_equal(shutdown(khnet__stream_fd(st), SHUT_RDWR),
                     0); /* the rest is lost in transit */
    send_texts(&a, conv, 20, 30);
    expect_msgs(st, base, 7, 30);
    expect_quiet(st, 300);
    struct khnet_stream_stats ss = KHNET_STREAM_STATS_INIT;
    khnet_stream_stats(st, &ss);
    assert_int_equal(ss.drops, 1);
    assert_int_equal(ss.connects, 2);
    assert_int_equal(ss.events, 30);
    khnet_stream_close(st);
}

static void test_bad_token(void **state)
{
    (void)state;
    khnet_ctx *ctx = it_connect();
    assert_int_equal(khnet_set_token(ctx, "not-a-token"), KHNET_OK);
    khnet_stream *st = NULL;
    assert_int_equal(khnet_stream_open(ctx, -1, &st), KHNET_ERR_HTTP);
    assert_non_null(strstr(khnet_stream_errstr(st), "401"));
    khnet_event *ev = NULL;
    assert_int_equal(khnet_stream_next(st, 100, &ev), KHNET_ERR_HTTP); /* stopped for good */
    assert_null(ev);
    khnet_stream_close(st);
    assert_int_equal(khnet_stream_open(ctx, -2, &st), KHNET_ERR_ARG);
    assert_null(st);
    khnet_free(ctx);
}

/* ---- a khnetd of our own, to restart ------------------------------------------ */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_true(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static pid_t start_server(int port)
{
    char listen[32];
    const char *khnetd = getenv("KHNETD"), *db = getenv("KHNET_DATABASE_URL");
    assert_true(khnetd && db);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (khnetd && db) /* checked above; the analyser cannot see through cmocka */
            execl(khnetd, "khnetd", "--listen", listen, "--database-url", db, "--workers", "1",
                  "--stream-check-ms", "200", (char *)NULL);
        _exit(127);
    }
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    for (int i = 0; i < 100; i++) { /* ~10 s */
        khnet_ctx *c = NULL;
        khnet_reply *rep = NULL;
        bool up = khnet_connect(url, &c) == KHNET_OK && khnet_health(c, &rep) == KHNET_OK;
        khnet_reply_free(rep);
        khnet_free(c);
        if (up) return pid;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("own khnetd on port %d did not come up", port);
    return -1;
}

static void stop_server(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The stream's server shuts down (close 1001) and is gone for a while
 * (connection refused, backoff); writes go on elsewhere; it comes back. */
static void test_server_restart(void **state)
{
    (void)state;
    int port = free_port();
    char own[64];
    snprintf(own, sizeof own, "http://127.0.0.1:%d", port);
    pid_t pid = start_server(port);
    it_user a = A, b = B;
    int64_t conv = conv_ab;
    khnet_ctx *bc = NULL;
    assert_int_equal(khnet_connect(own, &bc), KHNET_OK);
    assert_int_equal(khnet_set_token(bc, b.token), KHNET_OK);
    khnet_stream *st = NULL;
    assert_int_equal(khnet_stream_open(bc, -1, &st), KHNET_OK);
    khnet_free(bc); /* the stream keeps its own copies */
    int64_t base = khnet_stream_seq(st);
    send_texts(&a, conv, 0, 5);
    expect_msgs(st, base, 0, 5);
    stop_server(pid);
    send_texts(&a, conv, 5, 10);
    expect_quiet(st, 400); /* reconnecting to nobody: a timeout, not an error */
    pid = start_server(port);
    expect_msgs(st, base, 5, 10);
    expect_quiet(st, 200);
    struct khnet_stream_stats ss = KHNET_STREAM_STATS_INIT;
    khnet_stream_stats(st, &ss);
    assert_int_equal(ss.drops, 1);
    assert_int_equal(ss.connects, 2);
    assert_int_equal(ss.duplicates, 0);

    /* logging out ends the stream for good: close 4001 */
    khnet_reply *rep = NULL;
    assert_int_equal(khnet_call(b.ctx, "DELETE", "/v1/sessions/current", NULL, 0, &rep), KHNET_OK);
    khnet_reply_free(rep);
    khnet_event *ev = NULL;
    assert_int_equal(khnet_stream_next(st, 5000, &ev), KHNET_ERR_CLOSED);
    assert_non_null(strstr(khnet_stream_errstr(st), "4001"));
    assert_int_equal(khnet_stream_next(st, 0, &ev), KHNET_ERR_CLOSED);
    khnet_stream_close(st);
    stop_server(pid);
}

/* `khnet listen --after N` prints one JSON line per event. */
static void test_cli_listen(void **state)
{
    (void)state;
    const char *cli = it_cli(), *url = getenv("KHNET_URL");
    khnet_stream *st = NULL;
    assert_int_equal(khnet_stream_open(B.ctx, -1, &st), KHNET_OK);
    long long base = (long long)khnet_stream_seq(st);
    khnet_stream_close(st);
    send_texts(&A, conv_ab, 0, 3);
    char cmd[512], out[2048] = "", first[64];
    snprintf(cmd, sizeof cmd,
             "timeout --preserve-status -s INT 2 %s --url %s --token %s listen --after %lld", cli,
             url, B.token, base);
    assert_int_equal(it_run(cmd, out, sizeof out), 0); /* Ctrl-C is a normal end */
    int lines = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 3);
    snprintf(first, sizeof first, "{\"seq\":%lld,\"kind\":\"message.new\",\"payload\":{", base + 1);
    assert_ptr_equal(strstr(out, first), out);
    assert_non_null(strstr(out, "\"text\":\"tin 2\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),       cmocka_unit_test(test_cut_mid_way),
        cmocka_unit_test(test_bad_token),      cmocka_unit_test(test_cli_listen),
        cmocka_unit_test(test_server_restart), /* last: it logs B out */
    };
    return cmocka_run_group_tests_name("it_stream", tests, setup, teardown);
}
