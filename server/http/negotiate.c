/* negotiate.c — Content-Type and Accept, as PROTOCOL.md "Content types"
 * describes.  Header values are parsed in place, without copies. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

static bool ieq(const char *a, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && strncasecmp(a, lit, l) == 0;
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

/* Finds parameter `name` in "; a=b; c=d" and returns its value span. */
static bool param(const char *p, size_t n, const char *name, const char **v, size_t *vn)
{
    while (n) {
        const char *semi = memchr(p, ';', n);
        if (!semi) return false;
        n -= (size_t)(semi - p) + 1;
        p = semi + 1;
        const char *end = memchr(p, ';', n);
        size_t len = end ? (size_t)(end - p) : n;
        const char *eq = memchr(p, '=', len);
        if (eq) {
            const char *k = p;
            size_t kn = (size_t)(eq - p);
            trim(&k, &kn);
            if (ieq(k, kn, name)) {
                *v = eq + 1;
                *vn = (size_t)(p + len - (eq + 1));
                trim(v, vn);
                if (*vn >= 2 && **v == '"' && (*v)[*vn - 1] == '"') {
                    (*v)++;
                    *vn -= 2;
                }
                return true;
            }
        }
    }
    return false;
}

static http_ctype media(const char *p, size_t n)
{
    const char *semi = memchr(p, ';', n);
    size_t tn = semi ? (size_t)(semi - p) : n;
    const char *t = p;
    trim(&t, &tn);
    if (ieq(t, tn, "application/msgpack") || ieq(t, tn, "application/x-msgpack") ||
        ieq(t, tn, "application/vnd.msgpack"))
        return HTTP_CT_MSGPACK;
    if (ieq(t, tn, "application/json")) return HTTP_CT_JSON;
    return HTTP_CT_OTHER;
}

http_ctype http_content_type(const char *v, size_t n)
{
    if (!v || !n) return HTTP_CT_NONE;
    http_ctype t = media(v, n);
    if (t == HTTP_CT_JSON) {
        const char *cs;
        size_t csn;
        if (param(v, n, "charset", &cs, &csn) && !ieq(cs, csn, "utf-8") && !ieq(cs, csn, "utf8"))
            return HTTP_CT_OTHER;
    }
    return t;
}

/* q-value of one Accept element, in thousandths (RFC 9110 qvalue). */
static int qvalue(const char *p, size_t n)
{
    const char *v;
    size_t vn;
    if (!param(p, n, "q", &v, &vn)) return 1000;
    if (vn == 0 || vn > 5 || (v[0] != '0' && v[0] != '1')) return 0;
    int q = (v[0] - '0') * 1000, scale = 100;
    if (vn > 1) {
        if (v[1] != '.') return 0;
        for (size_t i = 2; i < vn; i++, scale /= 10) {
            if (!isdigit((unsigned char)v[i])) return 0;
            q += (v[i] - '0') * scale;
        }
    }
    return q > 1000 ? 1000 : q;
}

http_ctype http_accept(const char *v, size_t n, http_ctype fallback)
{
    if (fallback != HTTP_CT_JSON) fallback = HTTP_CT_MSGPACK;
    if (!v) return fallback;
    int qm = -1, qj = -1, qany = -1;
    while (n) {
        const char *comma = memchr(v, ',', n);
        size_t len = comma ? (size_t)(comma - v) : n;
        const char *e = v;
        size_t en = len;
        trim(&e, &en);
        if (en) {
            const char *semi = memchr(e, ';', en);
            size_t tn = semi ? (size_t)(semi - e) : en;
            const char *t = e;
            trim(&t, &tn);
            int q = qvalue(e, en);
            http_ctype m = media(t, tn);
            if (m == HTTP_CT_MSGPACK)
                qm = q > qm ? q : qm;
            else if (m == HTTP_CT_JSON)
                qj = q > qj ? q : qj;
            else if (ieq(t, tn, "*/*") || ieq(t, tn, "application/*"))
                qany = q > qany ? q : qany;
        }
        if (!comma) break;
        n -= len + 1;
        v = comma + 1;
    }
    /* explicit entries win over wildcards; a wildcard admits msgpack */
    if (qm < 0) qm = qany;
    if (qj < 0) qj = qany > 0 && fallback == HTTP_CT_JSON ? qany : -1;
    if (qm <= 0 && qj <= 0) return HTTP_CT_NONE;
    if (qj > qm) return HTTP_CT_JSON;
    if (qm == qj && fallback == HTTP_CT_JSON) return HTTP_CT_JSON;
    return HTTP_CT_MSGPACK;
}
