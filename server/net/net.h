/* net.h — listening sockets.  Each worker binds its own socket to the same
 * address with SO_REUSEPORT, so the kernel spreads connections across
 * workers and no accept lock is shared.  libuv 1.44 has no
 * UV_TCP_REUSEPORT, so the socket is made here and handed to uv_tcp_open. */
#ifndef KHNET_NET_H
#define KHNET_NET_H

#include <stddef.h>
#include <uv.h>

/* Binds host:port with SO_REUSEADDR and SO_REUSEPORT, listens, and opens it
 * as `tcp`, which the caller has uv_tcp_init'ed on `loop` and owns (close
 * it with uv_close whatever this returns).
 * `on_conn` is the uv connection callback.  Returns 0, or a negative errno
 * with a message in err. */
int net_listen(uv_loop_t *loop, uv_tcp_t *tcp, const char *host, int port, int backlog,
               uv_connection_cb on_conn, char *err, size_t errlen);

#endif
