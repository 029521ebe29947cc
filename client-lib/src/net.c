/* net.c — blocking-style socket I/O with poll()-based timeouts.
 *
 * Sockets are non-blocking and every wait goes through poll(), so a
 * timeout bounds connect, each write and each read alike without touching
 * SO_RCVTIMEO or signals.  Writes use MSG_NOSIGNAL: a library must never
 * raise SIGPIPE in its host process.
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

/* Waits for `events` on fd; KHNET_OK when ready. */
static khnet_err wait_fd(int fd, short events, int timeout_ms, const char *what, char *err,
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
        } else if ((rc = wait_fd(fd, POLLOUT, timeout_ms, "connecting", err, errlen)) == KHNET_OK) {
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

khnet_err khnet__net_send(int fd, const void *head, size_t head_len, const void *body,
                          size_t body_len, int timeout_ms, size_t *sent, char *err, size_t errlen)
{
    /* Head and body go out in one gather write: no copy of the body. */
    struct iovec iov[2] = {{(void *)head, head_len}, {(void *)body, body ? body_len : 0}};
    *sent = 0;
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
            khnet_err rc = wait_fd(fd, POLLOUT, timeout_ms, "sending", err, errlen);
            if (rc != KHNET_OK) return rc;
            continue;
        }
        snprintf(err, errlen, "send: %s", n < 0 ? strerror(errno) : "no progress");
        return KHNET_ERR_IO;
    }
    return KHNET_OK;
}

khnet_err khnet__net_recv(int fd, void *buf, size_t cap, int timeout_ms, size_t *got, char *err,
                          size_t errlen)
{
    *got = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, cap, 0);
        if (n >= 0) {
            *got = (size_t)n;
            return KHNET_OK;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            khnet_err rc = wait_fd(fd, POLLIN, timeout_ms, "waiting for the response", err, errlen);
            if (rc != KHNET_OK) return rc;
            continue;
        }
        snprintf(err, errlen, "recv: %s", strerror(errno));
        return KHNET_ERR_IO;
    }
}

bool khnet__net_stale(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0) return false; /* nothing pending: the connection looks alive */
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK);
    /* 0 = orderly close; >0 = unsolicited bytes; <0 other than EAGAIN = reset. */
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}
