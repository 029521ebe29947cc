/* router.c — method + path patterns with {params}.
 *
 * Routes are few (tens), so matching walks the compiled table comparing
 * segments; that is faster than any clever structure at this size and
 * obviously correct.  A path that matches some route's segments but not its
 * method yields 405 with the methods that would have matched. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "log.h"

typedef struct seg {
    const char *text; /* literal text, or the parameter name */
    size_t len;
    bool param;
} seg;

typedef struct croute {
    const http_route *route;
    seg segs[HTTP_MAX_SEGMENTS];
    int nsegs;
} croute;

struct http_router {
    croute *routes;
    int n;
};

static int compile(croute *c, const http_route *r)
{
    const char *p = r->pattern;
    c->route = r;
    c->nsegs = 0;
    if (p[0] != '/') return -1;
    int nparams = 0;
    while (*p == '/') {
        p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (c->nsegs == HTTP_MAX_SEGMENTS) return -1;
        seg *s = &c->segs[c->nsegs++];
        if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
            if (++nparams > HTTP_MAX_PARAMS) return -1;
            *s = (seg){p + 1, len - 2, true};
        } else {
            *s = (seg){p, len, false};
        }
        p += len;
    }
    return *p ? -1 : 0;
}

http_router *http_router_new(const http_route *routes, int n)
{
    http_router *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->routes = calloc((size_t)(n > 0 ? n : 1), sizeof *r->routes);
    if (!r->routes) {
        free(r);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (compile(&r->routes[i], &routes[i])) {
            log_event("error", "msg=\"bad route pattern\" pattern=\"%s\"", routes[i].pattern);
            http_router_free(r);
            return NULL;
        }
    }
    r->n = n;
    return r;
}

void http_router_free(http_router *r)
{
    if (!r) return;
    free(r->routes);
    free(r);
}

/* Splits path into segments; returns count, or -1 if too many. */
static int split(const char *path, size_t len, const char **starts, size_t *lens)
{
    if (len == 0 || path[0] != '/') return -1;
    int n = 0;
    size_t i = 1, start = 1;
    for (; i <= len; i++) {
        if (i == len || path[i] == '/') {
            if (n == HTTP_MAX_SEGMENTS) return -1;
            starts[n] = path + start;
            lens[n++] = i - start;
            start = i + 1;
        }
    }
    return n;
}

static bool segs_match(const croute *c, const char **starts, const size_t *lens, int n)
{
    if (c->nsegs != n) return false;
    for (int i = 0; i < n; i++) {
        const seg *s = &c->segs[i];
        if (s->param) {
            if (lens[i] == 0) return false;
        } else if (s->len != lens[i] || memcmp(s->text, starts[i], lens[i]) != 0) {
            return false;
        }
    }
    return true;
}

static void add_allow(char *allow, size_t cap, const char *m)
{
    if (strstr(allow, m)) return; /* methods are distinct words; no prefix clash here */
    size_t used = strlen(allow);
    snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", m);
}

/* The methods of the routes matching this path, in route order (HEAD after
 * a GET): only for a 405 or a preflight, never on a request's hot path. */
static void fill_allow(const http_router *r, const char **starts, const size_t *lens, int n,
                       char *allow, size_t allow_cap)
{
    for (int i = 0; i < r->n; i++) {
        const croute *c = &r->routes[i];
        if (!segs_match(c, starts, lens, n)) continue;
        add_allow(allow, allow_cap, c->route->method);
        if (!strcmp(c->route->method, "GET")) add_allow(allow, allow_cap, "HEAD");
    }
}

http_match http_router_match(const http_router *r, const char *method, const char *path, size_t len,
                             kp_arena *arena, int *route_index, http_param params[HTTP_MAX_PARAMS],
                             char *allow, size_t allow_cap)
{
    const char *starts[HTTP_MAX_SEGMENTS] = {0};
    size_t lens[HTTP_MAX_SEGMENTS] = {0};
    int n = split(path, len, starts, lens);
    if (allow_cap) allow[0] = '\0';
    if (n < 0) return HTTP_MATCH_NOT_FOUND;
    bool path_known = false;
    bool head = strcmp(method, "HEAD") == 0;
    for (int i = 0; i < r->n; i++) {
        const croute *c = &r->routes[i];
        if (!segs_match(c, starts, lens, n)) continue;
        path_known = true;
        const char *rm = c->route->method;
        if (strcmp(rm, method) != 0 && !(head && !strcmp(rm, "GET"))) continue;
        int np = 0;
        for (int s = 0; s < c->nsegs; s++) {
            if (!c->segs[s].param) continue;
            /* an encoded '/' must not change routing */
            char *v = http__pct_decode(arena, starts[s], lens[s], HTTP_PCT_NO_SLASH);
            if (!v) return HTTP_MATCH_BAD_PATH;
            /* pattern names end at '}', not NUL: copy for a C string */
            params[np].name = kp_arena_strndup(arena, c->segs[s].text, c->segs[s].len);
            params[np++].value = v;
        }
        for (; np < HTTP_MAX_PARAMS; np++)
            params[np] = (http_param){NULL, NULL};
        *route_index = i;
        return HTTP_MATCH_OK;
    }
    if (!path_known) return HTTP_MATCH_NOT_FOUND;
    if (allow_cap) fill_allow(r, starts, lens, n, allow, allow_cap);
    return HTTP_MATCH_METHOD;
}
