/* fuzz_http.c — libFuzzer target for the HTTP layer's pure parsers: route
 * matching with percent-decoding, Accept / Content-Type negotiation and
 * query-string parameters.  Input: the first byte picks the method, the rest
 * is split at the first NUL into a path and a header value / query. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/http.h"

static void h(http_req *r)
{
    (void)r;
}

static const http_route routes[] = {
    {"GET", "/healthz", h},
    {"GET", "/v1/profiles/{id}", h},
    {"PATCH", "/v1/profiles/{id}", h},
    {"GET", "/v1/conversations/{cid}/messages/{mid}", h},
    {"POST", "/v1/conversations/{id}/members/{account_id}", h},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static http_router *router;
    if (!router) router = http_router_new(routes, 5);
    if (size < 1) return 0;
    static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "HEAD", "PUT"};
    const char *method = methods[data[0] % 6];
    char buf[4096];
    size_t n = size - 1 < sizeof buf - 1 ? size - 1 : sizeof buf - 1;
    memcpy(buf, data + 1, n);
    buf[n] = '\0';
    size_t path_len = strlen(buf); /* up to the first NUL */
    const char *rest = path_len < n ? buf + path_len + 1 : "";
    size_t rest_len = path_len < n ? n - path_len - 1 : 0;

    kp_arena *a = kp_arena_new(1024);
    http_param params[HTTP_MAX_PARAMS];
    char allow[128];
    int idx = -1;
    http_match m =
        http_router_match(router, method, buf, path_len, a, &idx, params, allow, sizeof allow);
    if (m == HTTP_MATCH_OK && (idx < 0 || idx >= 5)) __builtin_trap();
    (void)http_accept(rest, rest_len, HTTP_CT_NONE);
    (void)http_accept(rest, rest_len, HTTP_CT_JSON);
    (void)http_content_type(rest, rest_len);
    const char *v = NULL;
    (void)http_query_param(rest, "after", a, &v);
    (void)http_query_param(rest, "q", a, &v);
    kp_arena_free(a);
    return 0;
}
