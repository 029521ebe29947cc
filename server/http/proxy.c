/* proxy.c — reading the PROXY protocol v2 header a trusted proxy (HAProxy
 * `send-proxy-v2`, `send-proxy-v2-ssl`) puts before the HTTP bytes, to
 * learn the client's address and whether it spoke TLS to the proxy.
 *
 * The format is HAProxy's doc/proxy-protocol.txt, section 2.2.  Checked
 * strictly: signature, version 2, a known command and family, an address
 * block as long as its family needs, TLVs that tile the rest exactly (also
 * inside the SSL TLV), a CRC32C TLV that matches when present, and at most
 * HTTP_PROXY_MAX bytes in all.  Pure: no I/O, no state. */
#include <netinet/in.h>
#include <string.h>

#include "http.h"

static const uint8_t sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

enum {
    CMD_LOCAL = 0x0,
    CMD_PROXY = 0x1,
    FAM_UNSPEC = 0x00,
    FAM_TCP4 = 0x11,
    FAM_TCP6 = 0x21,
    FAM_UNIX_STREAM = 0x31,
    TLV_CRC32C = 0x03,
    TLV_SSL = 0x20,
    CLIENT_SSL = 0x01, /* pp2_tlv_ssl.client: the client spoke TLS */
};

/* CRC32C (Castagnoli), bit by bit: a header is checked once per connection. */
static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return crc;
}

/* Type-length-value records in p[0..n): each must fit, and together tile
 * n exactly.  Calls back for each; a nonzero answer stops with -1. */
typedef int (*tlv_fn)(uint8_t type, const uint8_t *v, size_t len, size_t off, void *arg);

static int walk_tlvs(const uint8_t *p, size_t n, size_t base, tlv_fn fn, void *arg)
{
    size_t i = 0;
    while (i < n) {
        if (n - i < 3) return -1;
        size_t len = (size_t)p[i + 1] << 8 | p[i + 2];
        if (len > n - i - 3) return -1;
        if (fn(p[i], p + i + 3, len, base + i + 3, arg)) return -1;
        i += 3 + len;
    }
    return 0;
}

static int ssl_sub_tlv(uint8_t type, const uint8_t *v, size_t len, size_t off, void *arg)
{
    (void)type, (void)v, (void)len, (void)off, (void)arg;
    return 0; /* version, cipher, CN...: only their framing is checked */
}

typedef struct tlv_ctx {
    const uint8_t *hdr; /* the whole header, for the CRC */
    size_t hdr_len;
    http_proxy_hdr *out;
} tlv_ctx;

static int top_tlv(uint8_t type, const uint8_t *v, size_t len, size_t off, void *arg)
{
    tlv_ctx *t = arg;
    if (type == TLV_SSL) {
        if (len < 5) return -1; /* client (1), verify (4), then sub-TLVs */
        if (walk_tlvs(v + 5, len - 5, off + 5, ssl_sub_tlv, NULL)) return -1;
        t->out->ssl = (v[0] & CLIENT_SSL) != 0;
    } else if (type == TLV_CRC32C) {
        if (len != 4) return -1;
        static const uint8_t zero[4] = {0};
        uint32_t c = crc32c(0xffffffffu, t->hdr, off);
        c = crc32c(c, zero, 4);
        c = crc32c(c, t->hdr + off + 4, t->hdr_len - off - 4);
        uint32_t want = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
        if (~c != want) return -1;
    }
    return 0; /* other types (ALPN, authority, unique id, NOOP...) are allowed and unused */
}

int http_proxy_parse(const uint8_t *p, size_t n, http_proxy_hdr *out)
{
    memset(out, 0, sizeof *out);
    size_t cmp = n < sizeof sig ? n : sizeof sig;
    if (memcmp(p, sig, cmp) != 0) {
        static const char v1[] = "PROXY ";
        size_t c1 = n < 6 ? n : 6;
        return n && !memcmp(p, v1, c1) ? (n < 6 ? 0 : HTTP_PROXY_V1) : HTTP_PROXY_ABSENT;
    }
    if (n < 16) return 0;
    size_t len = (size_t)p[14] << 8 | p[15], total = 16 + len;
    if ((p[12] >> 4) != 2 || total > HTTP_PROXY_MAX) return HTTP_PROXY_INVALID;
    int cmd = p[12] & 0x0f, fam = p[13];
    if (cmd != CMD_LOCAL && cmd != CMD_PROXY) return HTTP_PROXY_INVALID;
    if (n < total) return 0;
    out->local = cmd == CMD_LOCAL;
    if (out->local) return (int)total; /* the proxy's own connection: its body is ignored */
    size_t addr_len;
    if (fam == FAM_TCP4)
        addr_len = 12;
    else if (fam == FAM_TCP6)
        addr_len = 36;
    else if (fam == FAM_UNIX_STREAM)
        addr_len = 216;
    else if (fam == FAM_UNSPEC)
        addr_len = 0;
    else
        return HTTP_PROXY_INVALID; /* datagrams, unknown families */
    if (len < addr_len) return HTTP_PROXY_INVALID;
    const uint8_t *a = p + 16;
    if (fam == FAM_TCP4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&out->src;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, a, 4);
        memcpy(&s4->sin_port, a + 8, 2);
    } else if (fam == FAM_TCP6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->src;
        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, a, 16);
        memcpy(&s6->sin6_port, a + 32, 2);
    } /* UNSPEC, unix: no client address; the peer's stands */
    tlv_ctx t = {p, total, out};
    if (walk_tlvs(p + 16 + addr_len, len - addr_len, 16 + addr_len, top_tlv, &t))
        return HTTP_PROXY_INVALID;
    return (int)total;
}
