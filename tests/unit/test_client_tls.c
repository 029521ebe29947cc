/* test_client_tls.c — libkhnet's TLS (client-lib/src/tls.c through the
 * public API) against an in-process TLS peer: verification on by default,
 * the reasons a certificate is refused, a CA file for private deployments,
 * session resumption across reconnects, and no plain-text fallback.
 *
 * Certificates come from deploy/tls-dev-ca (the openssl command line) in a
 * temporary folder: a CA whose server certificate names only 127.0.0.1 and
 * khnet.test, and a second CA that signed nothing we serve.
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
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "khnet.h"
#include "listen_fixture.h"

static char dir[64];       /* temporary folder with the certificates */
static char ca[128];       /* the CA that signed the peer's certificate */
static char other_ca[128]; /* a CA that signed nothing we serve */
static char server[128];   /* the peer's certificate and key (PEM) */

#define OK_CLOSE                                                                                   \
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"                   \
    "Content-Length: 11\r\n\r\n{\"ok\":true}"

/* ---- the TLS peer: one connection per step, each answered and closed ------- */

typedef struct tls_peer {
    int lfd;          /* listening socket on 127.0.0.1 */
    int port;         /* its port */
    int conns;        /* connections to take */
    bool plain;       /* no TLS: greet every connection with a plain HTTP 400 */
    SSL_CTX *sctx;    /* server side */
    int handshakes;   /* completed server handshakes */
    int resumed;      /* of those, resumed sessions */
    int served;       /* requests answered */
    char last[1024];  /* head of the last request */
    pthread_t thread; /* runs peer_main */
} tls_peer;

/* Reads a request head over ssl; 0, or -1 when the client gave up. */
static int read_head(tls_peer *p, SSL *ssl)
{
    size_t len = 0;
    while (len < sizeof p->last - 1) {
        int n = SSL_read(ssl, p->last + len, (int)(sizeof p->last - 1 - len));
        if (n <= 0) return -1;
        len += (size_t)n;
        p->last[len] = '\0';
        if (strstr(p->last, "\r\n\r\n")) return 0;
    }
    return -1;
}

static void serve(tls_peer *p, int fd)
{
    if (p->plain) {
        static const char no[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
        (void)!send(fd, no, sizeof no - 1, MSG_NOSIGNAL);
        return;
    }
    SSL *ssl = SSL_new(p->sctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        p->handshakes++;
        p->resumed += SSL_session_reused(ssl);
        if (read_head(p, ssl) == 0) {
            SSL_write(ssl, OK_CLOSE, (int)strlen(OK_CLOSE));
            p->served++;
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
}

static void *peer_main(void *arg)
{
    tls_peer *p = arg;
    for (int i = 0; i < p->conns; i++) {
        int fd = accept(p->lfd, NULL, NULL);
        if (fd < 0) break; /* peer_stop() shut the listener */
        serve(p, fd);
        close(fd);
    }
    return NULL;
}

/* A peer taking conns connections; max_version: the newest TLS version it
 * speaks (0: OpenSSL's newest). */
static void peer_start_version(tls_peer *p, int conns, bool plain, int max_version)
{
    memset(p, 0, sizeof *p);
    p->conns = conns;
    p->plain = plain;
    p->sctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(p->sctx);
    if (max_version) {
        /* Old versions need security level 0 in OpenSSL 3 (an old server's setup). */
        SSL_CTX_set_security_level(p->sctx, 0);
        assert_int_equal(SSL_CTX_set_min_proto_version(p->sctx, TLS1_VERSION), 1);
        assert_int_equal(SSL_CTX_set_max_proto_version(p->sctx, max_version), 1);
    }
    assert_int_equal(SSL_CTX_use_certificate_chain_file(p->sctx, server), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(p->sctx, server, SSL_FILETYPE_PEM), 1);
    p->lfd = listen_loopback(&p->port);
    assert_true(p->lfd >= 0);
    assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void peer_start(tls_peer *p, int conns, bool plain)
{
    peer_start_version(p, conns, plain, 0);
}

static void peer_stop(tls_peer *p)
{
    shutdown(p->lfd, SHUT_RDWR);
    pthread_join(p->thread, NULL);
    close(p->lfd);
    SSL_CTX_free(p->sctx);
}

/* A context on https://host:port (not yet connected), trusting cafile
 * (NULL: the system's store). */
static khnet_ctx *ctx_for(const char *host, int port, const char *cafile)
{
    char url[128];
    snprintf(url, sizeof url, "https://%s:%d", host, port);
    khnet_ctx *ctx = NULL;
    assert_int_equal(khnet_create(url, &ctx), KHNET_OK);
    assert_int_equal(khnet_set_timeout(ctx, 5000), KHNET_OK);
    if (cafile) assert_int_equal(khnet_set_cacert(ctx, cafile), KHNET_OK);
    return ctx;
}

static khnet_err get(khnet_ctx *ctx)
{
    khnet_reply *rep = NULL;
    khnet_err rc = khnet_call(ctx, "GET", "/healthz", NULL, 0, &rep);
    khnet_reply_free(rep);
    return rc;
}

/* ---- tests ------------------------------------------------------------------- */

/* Verified against the CA file; the server closes after each answer, and
 * every reconnect resumes the TLS session instead of a full handshake. */
static void test_tls_verified_and_resumed(void **state)
{
    tls_peer p;
    peer_start(&p, 3, false);
    khnet_ctx *ctx = ctx_for("127.0.0.1", p.port, ca);
    for (int i = 0; i < 3; i++)
        assert_int_equal(get(ctx), KHNET_OK);
    struct khnet_stats st = KHNET_STATS_INIT;
    assert_int_equal(khnet_stats(ctx, &st), KHNET_OK);
    assert_int_equal(st.connects, 3);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.tls_resumed, 2);
    khnet_free(ctx);
    peer_stop(&p);
    assert_int_equal(p.handshakes, 3);
    assert_int_equal(p.resumed, 2); /* the server agrees */
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", p.port);
    assert_non_null(strstr(p.last, host));
}

/* Each refusal is KHNET_ERR_TLS with the verification reason, and no
 * request reaches the server. */
static void test_tls_refusals(void **state)
{
    tls_peer p;
    peer_start(&p, 3, false);
    struct {
        const char *host;   /* in the URL */
        const char *cafile; /* trusted, NULL: the system's store */
        const char *reason; /* in khnet_errstr */
    } cases[] = {
        {"127.0.0.1", NULL, "unable to get local issuer certificate"},
        {"127.0.0.1", other_ca, "unable to get local issuer certificate"},
        {"localhost", ca, "hostname mismatch"}, /* the certificate names 127.0.0.1 only */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        khnet_ctx *ctx = ctx_for(cases[i].host, p.port, cases[i].cafile);
        assert_int_equal(get(ctx), KHNET_ERR_TLS);
        assert_int_equal(khnet_errcode(ctx), KHNET_ETLS);
        if (!strstr(khnet_errstr(ctx), cases[i].reason))
            fail_msg("case %zu: '%s' lacks '%s'", i, khnet_errstr(ctx), cases[i].reason);
        assert_non_null(strstr(khnet_errstr(ctx), "certificate verification failed"));
        khnet_free(ctx);
    }
    peer_stop(&p);
    assert_int_equal(p.served, 0);
}

/* An https URL at a plain HTTP server fails the handshake; nothing is
 * retried in plain text. */
static void test_tls_no_plain_fallback(void **state)
{
    tls_peer p;
    peer_start(&p, 2, true);
    khnet_ctx *ctx = ctx_for("127.0.0.1", p.port, ca);
    assert_int_equal(get(ctx), KHNET_ERR_TLS);
    assert_non_null(strstr(khnet_errstr(ctx), "TLS handshake failed"));
    assert_int_equal(get(ctx), KHNET_ERR_TLS); /* again TLS, again refused */
    struct khnet_stats st = KHNET_STATS_INIT;
    assert_int_equal(khnet_stats(ctx, &st), KHNET_OK);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.bytes_sent, 0);
    khnet_free(ctx);
    peer_stop(&p);
}

/* TLS 1.2 is the oldest version spoken: a TLS 1.1 server is refused, a
 * TLS 1.2 one served. */
static void test_tls_versions(void **state)
{
    tls_peer p;
    peer_start_version(&p, 1, false, TLS1_1_VERSION);
    khnet_ctx *ctx = ctx_for("127.0.0.1", p.port, ca);
    assert_int_equal(get(ctx), KHNET_ERR_TLS);
    assert_non_null(strstr(khnet_errstr(ctx), "TLS handshake failed"));
    khnet_free(ctx);
    peer_stop(&p);
    assert_int_equal(p.handshakes, 0);

    peer_start_version(&p, 1, false, TLS1_2_VERSION);
    ctx = ctx_for("127.0.0.1", p.port, ca);
    assert_int_equal(get(ctx), KHNET_OK);
    khnet_free(ctx);
    peer_stop(&p);
    assert_int_equal(p.served, 1);
}

/* CA files that cannot serve are refused when given, with the reason; the
 * trust in force stays. */
static void test_tls_cacert_errors(void **state)
{
    khnet_ctx *ctx = NULL;
    assert_int_equal(khnet_create("https://127.0.0.1:1", &ctx), KHNET_OK);
    assert_int_equal(khnet_set_cacert(ctx, "/nonexistent/ca.pem"), KHNET_ERR_TLS);
    assert_non_null(strstr(khnet_errstr(ctx), "cannot read CA file /nonexistent/ca.pem"));
    char notpem[128];
    snprintf(notpem, sizeof notpem, "%s/not.pem", dir);
    FILE *f = fopen(notpem, "w");
    assert_non_null(f);
    fputs("not a certificate\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(khnet_set_cacert(ctx, notpem), KHNET_ERR_TLS);
    assert_non_null(strstr(khnet_errstr(ctx), "no usable CA certificate"));
    assert_int_equal(khnet_set_cacert(ctx, ca), KHNET_OK);
    assert_int_equal(khnet_set_cacert(ctx, NULL), KHNET_OK); /* the system's store again */
    assert_int_equal(khnet_set_cacert(NULL, ca), KHNET_ERR_ARG);
    khnet_free(ctx);
}

/* ---- certificates --------------------------------------------------------------- */

static int make_ca(const char *sub, const char *san)
{
    const char *src = getenv("KHNET_SOURCE_DIR");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "bash '%s/deploy/tls-dev-ca' '%s/%s' '%s'", src ? src : ".", dir, sub,
             san);
    return system(cmd); /* NOLINT(cert-env33-c): the openssl CLI makes the certificates */
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/khnet-tls-test.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    if (make_ca("good", "IP:127.0.0.1,DNS:khnet.test") != 0 || make_ca("other", "DNS:x") != 0)
        return -1;
    snprintf(ca, sizeof ca, "%s/good/ca.pem", dir);
    snprintf(server, sizeof server, "%s/good/server.pem", dir);
    snprintf(other_ca, sizeof other_ca, "%s/other/ca.pem", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1; /* NOLINT(cert-env33-c) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_verified_and_resumed), cmocka_unit_test(test_tls_refusals),
        cmocka_unit_test(test_tls_no_plain_fallback),    cmocka_unit_test(test_tls_versions),
        cmocka_unit_test(test_tls_cacert_errors),
    };
    return cmocka_run_group_tests_name("client_tls", tests, setup, teardown);
}
