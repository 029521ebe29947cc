/* url.c — parsing of the server URL given to khnet_connect.
 *
 * Only what the library can honour is accepted: http or https (ws and wss
 * name the same two, for the stream), a host (name, IPv4 or bracketed
 * IPv6), an optional port (80 or 443 by scheme) and an optional lone "/".
 * The scheme alone decides TLS: an https URL is never tried in plain text.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "khnet_int.h"

static int fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "invalid URL: %s", why);
    return -1;
}

/* Host characters of a registered name or IPv4 address (RFC 3986 subset). */
static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

/* Parses "[v6]" or "name" at *pp, advancing past it. */
static int parse_host(const char **pp, khnet__url *out, char *err, size_t errlen)
{
    const char *p = *pp;
    const char *end;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end) return fail(err, errlen, "unterminated '[' in IPv6 host");
        p++;
        for (const char *q = p; q < end; q++)
            if (!host_char(*q) && *q != ':' && *q != '%')
                return fail(err, errlen, "bad character in IPv6 host");
        out->ipv6 = true;
    } else {
        end = p;
        while (host_char(*end))
            end++;
    }
    size_t n = (size_t)(end - p);
    if (n == 0) return fail(err, errlen, "empty host");
    if (n >= sizeof out->host) return fail(err, errlen, "host too long");
    memcpy(out->host, p, n);
    out->host[n] = '\0';
    *pp = out->ipv6 ? end + 1 : end;
    return 0;
}

static int parse_port(const char **pp, khnet__url *out, char *err, size_t errlen)
{
    const char *p = *pp;
    unsigned long v = 0;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 6) {
        v = v * 10 + (unsigned long)(*p - '0');
        p++;
        digits++;
    }
    if (digits == 0) return fail(err, errlen, "empty port");
    if (digits > 5 || v == 0 || v > 65535) return fail(err, errlen, "port out of range 1-65535");
    snprintf(out->port, sizeof out->port, "%lu", v);
    *pp = p;
    return 0;
}

/* The scheme at the start of url: its length with "://", and whether it is
 * TLS; 0 when it is none of ours. */
static size_t scheme(const char *url, bool *tls)
{
    static const struct {
        const char *prefix;
        bool tls;
    } schemes[] = {{"http://", false}, {"https://", true}, {"ws://", false}, {"wss://", true}};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncasecmp(url, schemes[i].prefix, n) == 0) {
            *tls = schemes[i].tls;
            return n;
        }
    }
    return 0;
}

int khnet__url_parse(const char *url, khnet__url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!url) return fail(err, errlen, "NULL");
    size_t skip = scheme(url, &out->tls);
    if (!skip) return fail(err, errlen, "must start with http://, https://, ws:// or wss://");
    const char *p = url + skip;
    if (strpbrk(p, "@")) return fail(err, errlen, "user info is not supported");
    if (parse_host(&p, out, err, errlen) < 0) return -1;
    snprintf(out->port, sizeof out->port, "%s", out->tls ? "443" : "80");
    if (*p == ':') {
        p++;
        if (parse_port(&p, out, err, errlen) < 0) return -1;
    }
    if (*p == '/') p++;
    if (*p != '\0')
        return fail(err, errlen, "unexpected text after host[:port]/ (no paths or queries)");
    return 0;
}

void khnet__url_hostport(const khnet__url *u, char *out, size_t outlen)
{
    bool dflt = strcmp(u->port, u->tls ? "443" : "80") == 0;
    snprintf(out, outlen, "%s%s%s%s%s", u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "",
             dflt ? "" : ":", dflt ? "" : u->port);
}
