/* cidr.c — sets of address ranges, for --trusted-proxies: parsing the
 * operator's list and testing a peer against it.  Pure functions; inet_pton
 * does the address syntax, so IPv6 forms ("::", "::ffff:1.2.3.4") are read
 * as the C library reads them everywhere else. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int net_addr_parse(const char *s, size_t n, struct sockaddr_storage *out)
{
    char tmp[NET_ADDR_TEXT + 2];
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
        if (!memchr(s, ':', n)) return -1; /* brackets are for IPv6 only */
    }
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    memset(out, 0, sizeof *out);
    struct sockaddr_in *a4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, tmp, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        return 0;
    }
    return -1;
}

/* The family and bytes sa stands for, IPv4-mapped IPv6 unwrapped. */
static int addr_bytes(const struct sockaddr *sa, const uint8_t **bytes)
{
    if (sa->sa_family == AF_INET) {
        *bytes = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
        return AF_INET;
    }
    if (sa->sa_family == AF_INET6) {
        const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        if (!memcmp(b, v4_mapped, sizeof v4_mapped)) {
            *bytes = b + 12;
            return AF_INET;
        }
        *bytes = b;
        return AF_INET6;
    }
    return -1;
}

int net_addr_name(const struct sockaddr *sa, char *buf, size_t cap)
{
    const uint8_t *b;
    int fam = addr_bytes(sa, &b);
    if (fam < 0 || !inet_ntop(fam, b, buf, (socklen_t)cap)) return -1;
    return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0) return false;
    if (!rest) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool net_cidrs_contains(const net_cidrs *s, const struct sockaddr *sa)
{
    const uint8_t *b;
    int fam = s ? addr_bytes(sa, &b) : -1;
    if (fam < 0) return false;
    for (int i = 0; i < s->n; i++)
        if (s->v[i].family == fam && prefix_equal(s->v[i].addr, b, s->v[i].bits)) return true;
    return false;
}

/* One "ADDR" or "ADDR/BITS" of length n into c. */
static int parse_one(const char *s, size_t n, net_cidr *c, char *err, size_t errlen)
{
    const char *slash = memchr(s, '/', n);
    size_t al = slash ? (size_t)(slash - s) : n;
    struct sockaddr_storage ss;
    const uint8_t *b;
    if (net_addr_parse(s, al, &ss) != 0 || addr_bytes((struct sockaddr *)&ss, &b) < 0) {
        snprintf(err, errlen, "'%.*s' is not an IPv4 or IPv6 address", (int)(al > 60 ? 60 : al), s);
        return -1;
    }
    /* a v4-mapped IPv6 address stands for its IPv4 address (bits - 96) */
    bool mapped = ss.ss_family == AF_INET6 && b != ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;
    c->family = (uint8_t)(ss.ss_family == AF_INET || mapped ? AF_INET : AF_INET6);
    int max = c->family == AF_INET ? 32 : 128, bits = max;
    if (slash) {
        const char *d = slash + 1, *end = s + n;
        bits = 0;
        if (d == end || end - d > 3) bits = -1;
        for (; bits >= 0 && d < end; d++)
            bits = *d >= '0' && *d <= '9' ? bits * 10 + (*d - '0') : -1;
        if (bits >= 0 && mapped) bits = bits >= 96 ? bits - 96 : -1;
        if (bits < 0 || bits > max || (slash[1] == '0' && end - slash > 2)) {
            snprintf(err, errlen, "'%.*s': the prefix length must be 0..%d", (int)(n > 60 ? 60 : n),
                     s, mapped ? 128 : max);
            return -1;
        }
    }
    c->bits = (uint8_t)bits;
    memcpy(c->addr, b, (size_t)max / 8);
    for (int i = bits; i < max; i++)
        if (c->addr[i / 8] & (0x80 >> (i % 8))) {
            snprintf(err, errlen, "'%.*s' has bits set past its /%d prefix", (int)(n > 60 ? 60 : n),
                     s, bits);
            return -1;
        }
    return 0;
}

int net_cidrs_parse(const char *text, net_cidrs *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (!*p) return 0;
        size_t n = strcspn(p, ", \t");
        if (out->n == NET_CIDRS_MAX) {
            snprintf(err, errlen, "more than %d addresses or ranges", NET_CIDRS_MAX);
            return -1;
        }
        if (parse_one(p, n, &out->v[out->n], err, errlen)) return -1;
        out->n++;
        p += n;
    }
}
