/* query.c — percent-decoding (for path parameters and query strings) and
 * query-string parameters for handlers: find a name in "a=1&b=x%20y" and
 * decode its value ('+' is a space, as HTML forms send it).  Pure but for
 * the request accessor at the end. */
#include <string.h>

#include "internal.h"

static int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into out (room for n + 1); false when it is not valid. */
static bool pct_decode_into(char *out, const char *s, size_t n, int flags)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+' && (flags & HTTP_PCT_PLUS_SPACE))
            c = ' ';
        else if (c == '%') {
            int hi = i + 2 < n ? hex(s[i + 1]) : -1, lo = i + 2 < n ? hex(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return false;
            c = (char)(hi * 16 + lo);
            if (c == '\0' || (c == '/' && (flags & HTTP_PCT_NO_SLASH))) return false;
            i += 2;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return kp_utf8_valid(out, o);
}

char *http__pct_decode(kp_arena *a, const char *s, size_t n, int flags)
{
    char *out = kp_arena_alloc(a, n + 1);
    return out && pct_decode_into(out, s, n, flags) ? out : NULL;
}

int http_query_param(const char *query, const char *name, kp_arena *a, const char **out)
{
    size_t nl = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t kl = eq ? (size_t)(eq - p) : len;
        if (kl == nl && !memcmp(p, name, nl)) {
            const char *v = eq ? eq + 1 : p + len;
            size_t vl = (size_t)(p + len - v);
            char *buf = kp_arena_alloc(a, vl + 1);
            *out = NULL;
            if (!buf) return -2; /* out of memory: not the client's fault */
            if (!pct_decode_into(buf, v, vl, HTTP_PCT_PLUS_SPACE)) return -1;
            *out = buf;
            return 1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

int http_req_query_param(http_req *r, const char *name, const char **out)
{
    return http_query_param(http_req_query(r), name, http_req_arena(r), out);
}
