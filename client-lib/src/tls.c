/* tls.c — TLS for https:// and wss:// over OpenSSL 3.0: the client
 * configuration (trust store, TLS 1.2 or newer, verification on), the
 * handshake on a connected socket (SNI, host-name or IP check, session
 * resumption) and the record I/O that net.c calls for a TLS connection.
 *
 * I/O model, the same as net.c's: the socket is non-blocking and every wait
 * is a poll() bounded by the caller's timeout.  OpenSSL reads and writes the
 * socket itself through a minimal BIO of ours, so no memory BIO has to be
 * drained: an SSL_* call that cannot progress says which readiness it needs
 * (WANT_READ or WANT_WRITE), we wait for exactly that and repeat the call
 * with the same arguments, as OpenSSL requires.  The BIO is ours rather
 * than OpenSSL's socket BIO because that one writes without MSG_NOSIGNAL,
 * and a library must never raise SIGPIPE in its host process.
 *
 * Failures never fall back to plain text: they are KHNET_ERR_TLS with
 * OpenSSL's reason, and for a refused certificate the verification reason
 * (X509_verify_cert_error_string), e.g. "hostname mismatch".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "khnet_int.h"

/* OpenSSL's newest error as text ("" if none), for our messages. */
static const char *ossl_reason(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    if (!e) return "";
    const char *r = ERR_reason_error_string(e);
    if (r) return r;
    ERR_error_string_n(e, buf, cap);
    return buf;
}

/* ---- the socket BIO: send/recv on the connection's fd, SIGPIPE-free ---------- */

/* The BIO's data is the connection's fd field, which outlives the SSL. */
static int bio_fd(BIO *b)
{
    return *(const int *)BIO_get_data(b);
}

static int bio_write(BIO *b, const char *data, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = send(bio_fd(b), data, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int bio_read(BIO *b, char *data, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = recv(bio_fd(b), data, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
    return (int)n;
}

/* Nothing is buffered here, so a flush is done at once; other controls
 * (kTLS, datagram options) do not apply to us. */
static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

/* Made once per process and kept for its life (OpenSSL's own methods are
 * static too). */
static void bio_method_make(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "khnet socket");
    if (m && BIO_meth_set_write(m, bio_write) == 1 && BIO_meth_set_read(m, bio_read) == 1 &&
        BIO_meth_set_ctrl(m, bio_ctrl) == 1)
        bio_method = m;
    else
        BIO_meth_free(m);
}

/* A BIO on c's socket for c->ssl (which then owns it); -1 when out of memory. */
static int attach_socket(khnet__conn *c)
{
    (void)pthread_once(&bio_once, bio_method_make);
    BIO *b = bio_method ? BIO_new(bio_method) : NULL;
    if (!b) return -1;
    BIO_set_data(b, &c->fd);
    BIO_set_init(b, 1);
    SSL_set_bio(c->ssl, b, b); /* one reference for both directions */
    return 0;
}

/* ---- configuration and handshake ------------------------------------------------ */

/* A new session from the server (after the handshake in TLS 1.2, in a
 * ticket message after it in TLS 1.3): kept in the connection owner's slot
 * for the next connection to resume. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    SSL_SESSION **slot = SSL_get_app_data(ssl);
    if (!slot) return 0;
    SSL_SESSION_free(*slot);
    *slot = sess;
    return 1; /* we hold the reference now */
}

/* The CA file, checked first so a typo reads as such, not as OpenSSL's
 * "no certificate or crl found". */
static int load_cafile(SSL_CTX *c, const char *cafile, char *err, size_t errlen)
{
    FILE *f = fopen(cafile, "rb");
    if (!f) {
        snprintf(err, errlen, "TLS: cannot read CA file %s: %s", cafile, strerror(errno));
        return -1;
    }
    (void)fclose(f); /* only opened to see that it can be */
    char why[160];
    if (SSL_CTX_load_verify_locations(c, cafile, NULL) != 1) {
        snprintf(err, errlen, "TLS: no usable CA certificate in %s (%s)", cafile,
                 ossl_reason(why, sizeof why));
        return -1;
    }
    return 0;
}

SSL_CTX *khnet__tls_new(const char *cafile, char *err, size_t errlen)
{
    static const unsigned char alpn[] = "\x08http/1.1";
    char why[160];
    ERR_clear_error();
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (!c) {
        snprintf(err, errlen, "TLS: cannot create a context (%s)", ossl_reason(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    /* Our framing (Content-Length, chunks, WebSocket frames) detects a cut
     * response, so an EOF without close_notify is read as an EOF, the way a
     * plain socket's is; proxies often skip close_notify on idle closes. */
    SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c, on_new_session);
    int ok = SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) == 1 &&
             SSL_CTX_set_alpn_protos(c, alpn, sizeof alpn - 1) == 0; /* 0 is success here */
    if (!ok) {
        snprintf(err, errlen, "TLS: cannot configure the context (%s)",
                 ossl_reason(why, sizeof why));
    } else if (cafile) {
        ok = load_cafile(c, cafile, err, errlen) == 0;
    } else if (SSL_CTX_set_default_verify_paths(c) != 1) {
        snprintf(err, errlen, "TLS: cannot load the system's CA certificates (%s)",
                 ossl_reason(why, sizeof why));
        ok = 0;
    }
    if (!ok) {
        SSL_CTX_free(c);
        return NULL;
    }
    return c;
}

/* Why the handshake failed, the certificate's verdict first. */
static khnet_err handshake_failed(khnet__conn *c, int r, char *err, size_t errlen)
{
    SSL *ssl = c->ssl;
    long vr = SSL_get_verify_result(ssl);
    char why[160];
    c->cert_refused = vr != X509_V_OK;
    if (vr != X509_V_OK)
        snprintf(err, errlen, "TLS: certificate verification failed: %s",
                 X509_verify_cert_error_string(vr));
    else if (ERR_peek_last_error())
        snprintf(err, errlen, "TLS handshake failed: %s", ossl_reason(why, sizeof why));
    else if (SSL_get_error(ssl, r) == SSL_ERROR_SYSCALL && errno)
        snprintf(err, errlen, "TLS handshake failed: %s", strerror(errno));
    else
        snprintf(err, errlen, "TLS handshake failed: the server closed the connection");
    return KHNET_ERR_TLS;
}

/* After an SSL_* call returned r without progress: waits for what it
 * wants (KHNET_OK: call again), or reports the failure as `fail` with the
 * reason. */
static khnet_err wait_or_fail(khnet__conn *c, int r, int timeout_ms, const char *what,
                              khnet_err fail, char *err, size_t errlen)
{
    int se = SSL_get_error(c->ssl, r);
    if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE)
        return khnet__net_wait(c->fd, se == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, timeout_ms,
                               what, err, errlen);
    char why[160];
    if (se == SSL_ERROR_SYSCALL && !ERR_peek_last_error())
        snprintf(err, errlen, "TLS %s: %s", what, errno ? strerror(errno) : "connection lost");
    else
        snprintf(err, errlen, "TLS %s: %s", what, ossl_reason(why, sizeof why));
    return fail;
}

/* Host-name (with SNI) or IP-address check of the certificate. */
static int set_peer_name(SSL *ssl, const char *host)
{
    unsigned char addr[16];
    bool ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (ip) /* RFC 6066: no IP literals in SNI; the certificate needs an IP SAN */
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -1;
    return SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1 ? 0 : -1;
}

khnet_err khnet__tls_handshake(khnet__conn *c, SSL_CTX *tls, const char *host,
                               SSL_SESSION **session, int timeout_ms, bool *resumed, char *err,
                               size_t errlen)
{
    char why[160];
    *resumed = false;
    ERR_clear_error();
    c->ssl = SSL_new(tls);
    if (!c->ssl || attach_socket(c) < 0 || set_peer_name(c->ssl, host) < 0 ||
        (*session && SSL_set_session(c->ssl, *session) != 1)) {
        snprintf(err, errlen, "TLS: cannot set up the connection (%s)",
                 ossl_reason(why, sizeof why));
        return KHNET_ERR_TLS;
    }
    SSL_set_app_data(c->ssl, session);
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(c->ssl);
        if (r == 1) break;
        int se = SSL_get_error(c->ssl, r);
        if (se != SSL_ERROR_WANT_READ && se != SSL_ERROR_WANT_WRITE)
            return handshake_failed(c, r, err, errlen);
        khnet_err rc = wait_or_fail(c, r, timeout_ms, "handshake", KHNET_ERR_TLS, err, errlen);
        if (rc != KHNET_OK) return rc;
    }
    *resumed = SSL_session_reused(c->ssl) == 1;
    return KHNET_OK;
}

/* ---- record I/O --------------------------------------------------------------- */

khnet_err khnet__tls_send(khnet__conn *c, const void *p, size_t n, int timeout_ms, size_t *sent,
                          char *err, size_t errlen)
{
    const char *at = p;
    while (n > 0) {
        size_t w = 0;
        ERR_clear_error();
        int r = SSL_write_ex(c->ssl, at, n, &w);
        if (r == 1) {
            at += w;
            n -= w;
            *sent += w;
            continue;
        }
        khnet_err rc = wait_or_fail(c, r, timeout_ms, "sending", KHNET_ERR_IO, err, errlen);
        if (rc != KHNET_OK) return rc;
    }
    return KHNET_OK;
}

int khnet__tls_try_recv(khnet__conn *c, void *buf, size_t cap, size_t *got, char *err,
                        size_t errlen)
{
    *got = 0;
    c->want_write = false;
    ERR_clear_error();
    int r = SSL_read_ex(c->ssl, buf, cap, got);
    if (r == 1) return 1;
    int se = SSL_get_error(c->ssl, r);
    if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE) {
        c->want_write = se == SSL_ERROR_WANT_WRITE;
        return 0;
    }
    if (se == SSL_ERROR_ZERO_RETURN) return -1; /* close_notify, or EOF (see khnet__tls_new) */
    (void)wait_or_fail(c, r, 0, "receiving", KHNET_ERR_IO, err, errlen);
    return -2;
}

bool khnet__tls_pending(const khnet__conn *c)
{
    return SSL_pending(c->ssl) > 0;
}

bool khnet__tls_stale(khnet__conn *c)
{
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0 && !khnet__tls_pending(c)) return false;
    /* Bytes arrived while idle: a TLS 1.3 session ticket is harmless (the
     * peek consumes it and wants more), application data or a close is not. */
    char ch;
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_peek_ex(c->ssl, &ch, 1, &n);
    return r == 1 || SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ;
}

void khnet__tls_close_notify(khnet__conn *c)
{
    if (!c->ssl) return;
    /* One non-blocking attempt, best effort: the socket closes soon after. */
    ERR_clear_error();
    (void)SSL_shutdown(c->ssl);
}

void khnet__tls_close(khnet__conn *c)
{
    if (!c->ssl) return;
    if (!(SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN)) khnet__tls_close_notify(c);
    SSL_free(c->ssl);
    c->ssl = NULL;
}
