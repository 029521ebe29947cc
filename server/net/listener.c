/* listener.c — see net.h. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static int open_socket(const struct addrinfo *ai, int backlog, char *err, size_t errlen)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -errno;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, backlog)) {
        int e = errno;
        snprintf(err, errlen, "bind/listen: %s", strerror(e));
        close(fd);
        return -e;
    }
    return fd;
}

int net_listen(uv_loop_t *loop, uv_tcp_t *tcp, const char *host, int port, int backlog,
               uv_connection_cb on_conn, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -EINVAL;
    }
    int fd = open_socket(res, backlog, err, errlen);
    freeaddrinfo(res);
    if (fd < 0) return fd;
    if ((rc = uv_tcp_open(tcp, fd)) != 0) {
        close(fd);
        snprintf(err, errlen, "uv_tcp_open: %s", uv_strerror(rc));
        return rc; /* the caller still closes tcp */
    }
    if ((rc = uv_listen((uv_stream_t *)tcp, backlog, on_conn)) != 0) {
        snprintf(err, errlen, "listen: %s", uv_strerror(rc));
        return rc; /* the caller closes tcp, which closes fd */
    }
    return 0;
}
