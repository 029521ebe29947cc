/* test_http_proxy.c — the PROXY protocol v2 reader (server/http/proxy.c):
 * headers as HAProxy sends them (IPv4, IPv6, LOCAL, SSL and CRC32C TLVs),
 * every truncation waiting for more, and each malformation refused.
 * Headers are built here byte by byte from the specification
 * (HAProxy doc/proxy-protocol.txt 2.2), not by the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "http/http.h"

static const uint8_t SIG[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

typedef struct hdr {
    uint8_t b[2048];
    size_t n;
} hdr;

static void put(hdr *h, const void *p, size_t n)
{
    memcpy(h->b + h->n, p, n);
    h->n += n;
}

/* Signature, ver_cmd, family; the length is set by finish(). */
static hdr start(uint8_t ver_cmd, uint8_t fam)
{
    hdr h = {.n = 0};
    put(&h, SIG, 12);
    h.b[12] = ver_cmd;
    h.b[13] = fam;
    h.n = 16;
    return h;
}

static void finish(hdr *h)
{
    size_t len = h->n - 16;
    h->b[14] = (uint8_t)(len >> 8);
    h->b[15] = (uint8_t)len;
}

static void tlv(hdr *h, uint8_t type, const void *v, size_t len)
{
    uint8_t t[3] = {type, (uint8_t)(len >> 8), (uint8_t)len};
    put(h, t, 3);
    put(h, v, len);
}

static hdr tcp4(const char *src, uint16_t sport)
{
    hdr h = start(0x21, 0x11);
    struct in_addr a, d;
    inet_pton(AF_INET, src, &a);
    inet_pton(AF_INET, "10.0.0.11", &d);
    uint16_t sp = htons(sport), dp = htons(8080);
    put(&h, &a, 4);
    put(&h, &d, 4);
    put(&h, &sp, 2);
    put(&h, &dp, 2);
    return h;
}

static hdr tcp6(const char *src)
{
    hdr h = start(0x21, 0x21);
    struct in6_addr a, d;
    inet_pton(AF_INET6, src, &a);
    inet_pton(AF_INET6, "2001:db8::11", &d);
    uint16_t sp = htons(51000), dp = htons(8080);
    put(&h, &a, 16);
    put(&h, &d, 16);
    put(&h, &sp, 2);
    put(&h, &dp, 2);
    return h;
}

static int parse(const hdr *h, http_proxy_hdr *out)
{
    return http_proxy_parse(h->b, h->n, out);
}

static void src_is(const http_proxy_hdr *p, const char *want)
{
    char text[64];
    const void *a = p->src.ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)&p->src)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)&p->src)->sin6_addr;
    assert_non_null(inet_ntop(p->src.ss_family, a, text, sizeof text));
    assert_string_equal(text, want);
}

/* CRC32C by the textbook table-free definition, to fill the TLV. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    }
    return ~c;
}

static void well_formed(void **st)
{
    (void)st;
    http_proxy_hdr p;
    hdr h = tcp4("127.0.0.2", 40000);
    finish(&h);
    assert_int_equal(parse(&h, &p), 28);
    assert_false(p.local);
    assert_false(p.ssl);
    assert_int_equal(p.src.ss_family, AF_INET);
    src_is(&p, "127.0.0.2");
    assert_int_equal(ntohs(((struct sockaddr_in *)&p.src)->sin_port), 40000);
    /* HTTP bytes after the header are not the parser's */
    memcpy(h.b + h.n, "GET / HTTP/1.1\r\n", 16);
    assert_int_equal(http_proxy_parse(h.b, h.n + 16, &p), 28);

    h = tcp6("2001:db8::beef");
    finish(&h);
    assert_int_equal(parse(&h, &p), 52);
    assert_int_equal(p.src.ss_family, AF_INET6);
    src_is(&p, "2001:db8::beef");

    /* send-proxy-v2-ssl: an SSL TLV with sub-TLVs (version, cipher) */
    h = tcp4("198.51.100.7", 1);
    uint8_t ssl[64] = {0x01, 0, 0, 0, 0}; /* client: SSL; verify: 0 */
    size_t sl = 5;
    uint8_t ver[] = {0x21, 0, 7, 'T', 'L', 'S', 'v', '1', '.', '3'};
    memcpy(ssl + sl, ver, sizeof ver);
    sl += sizeof ver;
    tlv(&h, 0x20, ssl, sl);
    tlv(&h, 0x01, "http/1.1", 8); /* ALPN: allowed, unused */
    tlv(&h, 0x04, "\0\0\0", 3);   /* NOOP padding */
    finish(&h);
    assert_int_equal(parse(&h, &p), (int)h.n);
    assert_true(p.ssl);
    src_is(&p, "198.51.100.7");
    ssl[0] = 0x00; /* an SSL TLV without the client-SSL flag: plain */
    h = tcp4("198.51.100.7", 1);
    tlv(&h, 0x20, ssl, 5);
    finish(&h);
    assert_int_equal(parse(&h, &p), (int)h.n);
    assert_false(p.ssl);

    /* LOCAL (health checks): no client address, whatever follows */
    h = start(0x20, 0x00);
    finish(&h);
    assert_int_equal(parse(&h, &p), 16);
    assert_true(p.local);
    h = start(0x20, 0x11);
    put(&h, "\1\2\3", 3); /* LOCAL's body is ignored, even a short one */
    finish(&h);
    assert_int_equal(parse(&h, &p), 19);
    assert_true(p.local);

    /* PROXY with UNSPEC: no address carried */
    h = start(0x21, 0x00);
    finish(&h);
    assert_int_equal(parse(&h, &p), 16);
    assert_false(p.local);
    assert_int_equal(p.src.ss_family, 0);
}

static void crc32c_tlv(void **st)
{
    (void)st;
    http_proxy_hdr p;
    hdr h = tcp4("203.0.113.5", 5);
    size_t at = h.n + 3;
    tlv(&h, 0x03, "\0\0\0\0", 4);
    finish(&h);
    uint32_t c = crc32c(h.b, h.n);
    uint8_t be[4] = {(uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c};
    memcpy(h.b + at, be, 4);
    assert_int_equal(parse(&h, &p), (int)h.n);
    src_is(&p, "203.0.113.5");
    h.b[at + 3] ^= 1; /* a wrong checksum */
    assert_int_equal(parse(&h, &p), HTTP_PROXY_INVALID);
    h.b[at + 3] ^= 1;
    h.b[16] ^= 1; /* or a changed address */
    assert_int_equal(parse(&h, &p), HTTP_PROXY_INVALID);
    /* the CRC of a known vector: "123456789" -> 0xe3069283 */
    assert_int_equal(crc32c((const uint8_t *)"123456789", 9), 0xe3069283u);
}

static void truncated_waits(void **st)
{
    (void)st;
    http_proxy_hdr p;
    hdr h = tcp6("2001:db8::1");
    tlv(&h, 0x05, "unique-id-0123", 14);
    finish(&h);
    for (size_t n = 0; n < h.n; n++)
        if (http_proxy_parse(h.b, n, &p) != 0) fail_msg("prefix of %zu bytes did not wait", n);
    assert_int_equal(http_proxy_parse(h.b, h.n, &p), (int)h.n);
    /* "PROXY " (v1) prefixes wait too, then are named */
    assert_int_equal(http_proxy_parse((const uint8_t *)"PRO", 3, &p), 0);
    assert_int_equal(http_proxy_parse((const uint8_t *)"PROXY TCP4 1.2.3.4 ", 19, &p),
                     HTTP_PROXY_V1);
}

static void not_a_header(void **st)
{
    (void)st;
    http_proxy_hdr p;
    assert_int_equal(http_proxy_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &p),
                     HTTP_PROXY_ABSENT);
    assert_int_equal(http_proxy_parse((const uint8_t *)"\r\nGET", 5, &p), HTTP_PROXY_ABSENT);
    assert_int_equal(http_proxy_parse((const uint8_t *)"PROXZ", 5, &p), HTTP_PROXY_ABSENT);
    uint8_t almost[16];
    memcpy(almost, SIG, 12);
    almost[11] = 'X'; /* the last signature byte wrong */
    assert_int_equal(http_proxy_parse(almost, 16, &p), HTTP_PROXY_ABSENT);
}

static void malformed(void **st)
{
    (void)st;
    http_proxy_hdr p;
    hdr h = tcp4("127.0.0.2", 1);
    finish(&h);
    hdr bad = h;
    bad.b[12] = 0x11; /* version 1 in binary form */
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = h;
    bad.b[12] = 0x31; /* version 3 */
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = h;
    bad.b[12] = 0x22; /* command 2 */
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = h;
    bad.b[13] = 0x12; /* UDP over IPv4 */
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = h;
    bad.b[13] = 0x41; /* no such family */
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = h;
    bad.b[13] = 0x21; /* says IPv6 but carries 12 bytes */
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = h;
    bad.b[15] = 11; /* IPv4 block shorter than 12 */
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    /* a TLV running past the end, one too short to have a length, and an
     * SSL TLV too short for its fixed part or with a broken sub-TLV */
    bad = tcp4("127.0.0.2", 1);
    tlv(&bad, 0x05, "abc", 3);
    bad.b[bad.n - 4] = 9; /* its length says 9 */
    finish(&bad);
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = tcp4("127.0.0.2", 1);
    put(&bad, "\x05\x00", 2);
    finish(&bad);
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = tcp4("127.0.0.2", 1);
    tlv(&bad, 0x20, "\x01\0\0\0", 4);
    finish(&bad);
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = tcp4("127.0.0.2", 1);
    tlv(&bad, 0x20, "\x01\0\0\0\0\x21\x00\x09TLS", 11);
    finish(&bad);
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    bad = tcp4("127.0.0.2", 1);
    tlv(&bad, 0x03, "\0\0\0", 3); /* CRC32C must be 4 bytes */
    finish(&bad);
    assert_int_equal(parse(&bad, &p), HTTP_PROXY_INVALID);
    /* longer than HTTP_PROXY_MAX, refused before it is all read */
    bad = tcp4("127.0.0.2", 1);
    uint8_t pad[1100] = {0};
    tlv(&bad, 0x04, pad, sizeof pad);
    finish(&bad);
    assert_int_equal(http_proxy_parse(bad.b, 16, &p), HTTP_PROXY_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_formed),     cmocka_unit_test(crc32c_tlv),
        cmocka_unit_test(truncated_waits), cmocka_unit_test(not_a_header),
        cmocka_unit_test(malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
