/* net.h — listening sockets, and sets of addresses (CIDRs).
 *
 * Each worker binds its own socket to the same address with SO_REUSEPORT,
 * so the kernel spreads connections across workers and no accept lock is
 * shared (by a hash: worker.c evens out what it leaves uneven).  libuv 1.44 has no
 * UV_TCP_REUSEPORT, so the socket is made here and handed to uv_tcp_open.
 *
 * Address sets (cidr.c) are pure: they say whether a peer is one of the
 * trusted proxies (--trusted-proxies), whose word on the client's address
 * the HTTP layer believes. */
#ifndef KHNET_NET_H
#define KHNET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* Binds host:port with SO_REUSEADDR and SO_REUSEPORT, listens, and opens it
 * as `tcp`, which the caller has uv_tcp_init'ed on `loop` and owns (close
 * it with uv_close whatever this returns).
 * `on_conn` is the uv connection callback.  Returns 0, or a negative errno
 * with a message in err. */
int net_listen(uv_loop_t *loop, uv_tcp_t *tcp, const char *host, int port, int backlog,
               uv_connection_cb on_conn, char *err, size_t errlen);

/* ---- address sets (cidr.c; no I/O, no state) ------------------------------ */
enum { NET_CIDRS_MAX = 64, NET_ADDR_TEXT = 46 /* INET6_ADDRSTRLEN */ };

typedef struct net_cidr {
    uint8_t family;   /* AF_INET or AF_INET6 */
    uint8_t bits;     /* prefix length: 0..32 or 0..128 */
    uint8_t addr[16]; /* network address, 4 or 16 bytes used */
} net_cidr;

typedef struct net_cidrs {
    net_cidr v[NET_CIDRS_MAX]; /* the ranges */
    int n;                     /* entries used; 0 = the empty set */
} net_cidrs;

/* Parses a list of addresses and CIDRs ("127.0.0.1, 10.0.0.0/8 ::1
 * 2001:db8::/32"), separated by commas and/or blanks, into *out.  An
 * address alone is a /32 or /128; bits set past the prefix are refused (a
 * typo, not a range).  0, or -1 with a message in err. */
int net_cidrs_parse(const char *text, net_cidrs *out, char *err, size_t errlen);
/* Is sa (AF_INET or AF_INET6) in the set?  An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, as a dual-stack socket reports IPv4 peers) is judged as
 * the IPv4 address it carries. */
bool net_cidrs_contains(const net_cidrs *s, const struct sockaddr *sa);
/* Parses s[0..n): an IPv4 dotted quad or an IPv6 address, optionally in
 * [brackets], nothing else (no port, no zone).  0, or -1. */
int net_addr_parse(const char *s, size_t n, struct sockaddr_storage *out);
/* The address of sa as text (no port) into buf (NET_ADDR_TEXT bytes do);
 * an IPv4-mapped IPv6 address is written as IPv4.  0, or -1. */
int net_addr_name(const struct sockaddr *sa, char *buf, size_t cap);

#endif
