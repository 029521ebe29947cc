/* net.c — connections: blocking-style socket I/O with poll()-based
 * timeouts, plain or through TLS (tls.c) when the URL says https/wss.
 *
 * Sockets are non-blocking and every wait goes through poll(), so a
 * timeout bounds connect, the TLS handshake, each write and each read
 * alike without touching SO_RCVTIMEO or signals.  Writes use MSG_NOSIGNAL
 * (tls.c's BIO too): a library must never raise SIGPIPE in its host process.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "khnet_int.h"

khnet_err khnet__net_wait(int fd, short events, int timeout_ms, const char *what, char *err,
                          size_t errlen)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    for (;;) {
        int n = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
        if (n > 0) return KHNET_OK;
        if (n == 0) {
            snprintf(err, errlen, "timed out after %d ms while %s", timeout_ms, what);
            return KHNET_ERR_TIMEOUT;
        }
        if (errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return KHNET_ERR_IO;
        }
    }
}

/* One address: non-blocking connect, then wait for writability. */
static khnet_err try_addr(const struct addrinfo *ai, int timeout_ms, int *fd_out, char *err,
                          size_t errlen)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return KHNET_ERR_CONNECT;
    }
    khnet_err rc = KHNET_OK;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            snprintf(err, errlen, "connect: %s", strerror(errno));
            rc = KHNET_ERR_CONNECT;
        } else if ((rc = khnet__net_wait(fd, POLLOUT, timeout_ms, "connecting", err, errlen)) ==
                   KHNET_OK) {
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) soerr = errno;
            if (soerr) {
                snprintf(err, errlen, "connect: %s", strerror(soerr));
                rc = KHNET_ERR_CONNECT;
            }
        }
    }
    if (rc != KHNET_OK) {
        close(fd);
        return rc;
    }
    /* Requests are small and written whole: don't let Nagle hold the body. */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *fd_out = fd;
    return KHNET_OK;
}

khnet_err khnet__net_connect(const khnet__url *u, int timeout_ms, int *fd_out, char *err,
                             size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(u->host, u->port, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", u->host, gai_strerror(gai));
        return KHNET_ERR_CONNECT;
    }
    /* Try every address in order (IPv6 and IPv4 alike); report the last failure. */
    khnet_err rc = KHNET_ERR_CONNECT;
    char why[KHNET__ERRSTR_MAX] = "no addresses";
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        rc = try_addr(ai, timeout_ms, fd_out, why, sizeof why);
        if (rc == KHNET_OK) break;
    }
    freeaddrinfo(res);
    if (rc != KHNET_OK) snprintf(err, errlen, "%s:%s: %s", u->host, u->port, why);
    return rc == KHNET_ERR_TIMEOUT ? KHNET_ERR_TIMEOUT : rc;
}

/* Advances the two-element iovec past n written bytes. */
static void consume(struct iovec *iov, size_t n)
{
    for (int i = 0; i < 2 && n; i++) {
        size_t k = n < iov[i].iov_len ? n : iov[i].iov_len;
        iov[i].iov_base = (char *)iov[i].iov_base + k;
        iov[i].iov_len -= k;
        n -= k;
    }
}

khnet_err khnet__net_open(khnet__conn *c, const khnet__url *u, SSL_CTX *tls, SSL_SESSION **session,
                          int timeout_ms, bool *resumed, char *err, size_t errlen)
{
    *resumed = false;
    c->ssl = NULL;
    c->want_write = c->cert_refused = false;
    khnet_err rc = khnet__net_connect(u, timeout_ms, &c->fd, err, errlen);
    if (rc != KHNET_OK) {
        c->fd = -1;
        return rc;
    }
    if (u->tls)
        rc = tls ? khnet__tls_handshake(c, tls, u->host, session, timeout_ms, resumed, err, errlen)
                 : (snprintf(err, errlen, "TLS: no configuration"), KHNET_ERR_TLS);
    if (rc != KHNET_OK) khnet__net_close(c);
    return rc;
}

void khnet__net_close(khnet__conn *c)
{
    khnet__tls_close(c);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

void khnet__net_close_write(khnet__conn *c)
{
    khnet__tls_close_notify(c);
    (void)shutdown(c->fd, SHUT_WR);
}

khnet_err khnet__net_send(khnet__conn *c, const void *head, size_t head_len, const void *body,
                          size_t body_len, int timeout_ms, size_t *sent, char *err, size_t errlen)
{
    *sent = 0;
    if (c->ssl) {
        khnet_err rc = khnet__tls_send(c, head, head_len, timeout_ms, sent, err, errlen);
        if (rc == KHNET_OK && body && body_len)
            rc = khnet__tls_send(c, body, body_len, timeout_ms, sent, err, errlen);
        return rc;
    }
    int fd = c->fd;
    /* Head and body go out in one gather write: no copy of the body. */
    struct iovec iov[2] = {{(void *)head, head_len}, {(void *)body, body ? body_len : 0}};
    while (iov[0].iov_len + iov[1].iov_len > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n > 0) {
            *sent += (size_t)n;
            consume(iov, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            khnet_err rc = khnet__net_wait(fd, POLLOUT, timeout_ms, "sending", err, errlen);
            if (rc != KHNET_OK) return rc;
            continue;
        }
        snprintf(err, errlen, "send: %s", n < 0 ? strerror(errno) : "no progress");
        return KHNET_ERR_IO;
    }
    return KHNET_OK;
}

int khnet__net_try_recv(khnet__conn *c, void *buf, size_t cap, size_t *got, char *err,
                        size_t errlen)
{
    if (c->ssl) return khnet__tls_try_recv(c, buf, cap, got, err, errlen);
    *got = 0;
    ssize_t n = recv(c->fd, buf, cap, 0);
    if (n > 0) {
        *got = (size_t)n;
        return 1;
    }
    if (n == 0) return -1;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    snprintf(err, errlen, "recv: %s", strerror(errno));
    return -2;
}

short khnet__net_events(const khnet__conn *c)
{
    return c->want_write ? POLLOUT : POLLIN;
}

bool khnet__net_pending(const khnet__conn *c)
{
    return c->ssl && khnet__tls_pending(c);
}

khnet_err khnet__net_recv(khnet__conn *c, void *buf, size_t cap, int timeout_ms, size_t *got,
                          char *err, size_t errlen)
{
    for (;;) {
        int r = khnet__net_try_recv(c, buf, cap, got, err, errlen);
        if (r != 0) return r == -2 ? KHNET_ERR_IO : KHNET_OK; /* bytes, or EOF (*got 0) */
        khnet_err rc = khnet__net_wait(c->fd, khnet__net_events(c), timeout_ms,
                                       "waiting for the response", err, errlen);
        if (rc != KHNET_OK) return rc;
    }
}

bool khnet__net_stale(khnet__conn *c)
{
    if (c->ssl) return khnet__tls_stale(c);
    int fd = c->fd;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0) return false; /* nothing pending: the connection looks alive */
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK);
    /* 0 = orderly close; >0 = unsolicited bytes; <0 other than EAGAIN = reset. */
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}
