/* origin.c — browser origins as partners register them: checked and put in
 * the form browsers send in the Origin header (RFC 6454 serialisation:
 * lower-case scheme and host, default port left out), so the CORS check is
 * an exact string comparison. */
#include <stdio.h>
#include <string.h>

#include "auth.h"

static char lower(char c)
{
    if (c >= 'A' && c <= 'Z') return (char)(c + ('a' - 'A'));
    return c;
}

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* A DNS name or IPv4 address: labels of 1–63 characters, no hyphen at
 * either end of a label. */
static bool valid_name(const char *h, size_t n)
{
    if (n == 0 || n > 253) return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            if (label == 0 || label > 63 || h[i - 1] == '-' || h[i - label] == '-') return false;
            label = 0;
        } else if (!host_char(h[i])) {
            return false;
        } else {
            label++;
        }
    }
    return true;
}

/* "[...]": hex digits, colons and dots (an IPv4 tail) inside. */
static bool valid_ipv6(const char *h, size_t n)
{
    if (n < 4 || n > 47 || h[0] != '[' || h[n - 1] != ']') return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!strchr("0123456789abcdef:.", h[i])) return false;
    return true;
}

bool auth_origin_normalize(const char *in, size_t len, char out[AUTH_ORIGIN_MAX + 1])
{
    if (len > AUTH_ORIGIN_MAX) return false;
    char s[AUTH_ORIGIN_MAX + 1] = {0};
    for (size_t i = 0; i < len; i++)
        s[i] = lower(in[i]);
    s[len] = '\0';
    size_t skip;
    unsigned def;
    if (!strncmp(s, "http://", 7))
        skip = 7, def = 80;
    else if (!strncmp(s, "https://", 8))
        skip = 8, def = 443;
    else
        return false;
    const char *host = s + skip;
    const char *end = host[0] == '[' ? strchr(host, ']') : NULL;
    const char *colon = strchr(end ? end : host, ':');
    size_t hl = colon ? (size_t)(colon - host) : strlen(host);
    if (host[0] == '[' ? !valid_ipv6(host, hl) : !valid_name(host, hl)) return false;
    unsigned port = def;
    if (colon) {
        const char *p = colon + 1;
        size_t pl = strlen(p);
        if (pl < 1 || pl > 5 || strspn(p, "0123456789") != pl || p[0] == '0') return false;
        port = 0;
        for (size_t i = 0; i < pl; i++)
            port = port * 10 + (unsigned)(p[i] - '0');
        if (port > 65535) return false;
    }
    if (port == def)
        snprintf(out, AUTH_ORIGIN_MAX + 1, "%.*s", (int)(skip + hl), s);
    else
        snprintf(out, AUTH_ORIGIN_MAX + 1, "%.*s:%u", (int)(skip + hl), s, port);
    return true;
}
