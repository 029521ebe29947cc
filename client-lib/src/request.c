/* request.c — serialising a khnet_request into an HTTP/1.1 request head.
 *
 * Every caller-supplied string that lands in the head is checked for CR, LF
 * and other control bytes first: a path or header taken from user input
 * must never be able to split the request (header injection).
 */
#include <stdio.h>
#include <string.h>

#include "khnet_int.h"

static int fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "invalid request: %s", what);
    return -1;
}

/* Visible ASCII or UTF-8 bytes, spaces allowed only where `space` says. */
static bool clean(const char *s, bool space)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) return false;
        if (*p == ' ' && !space) return false;
    }
    return true;
}

static bool method_ok(const char *m)
{
    if (!m || !*m || strlen(m) > 16) return false;
    for (const char *p = m; *p; p++)
        if (*p < 'A' || *p > 'Z') return false;
    return true;
}

/* "Name: value" with a token name and a clean value. */
static bool header_line_ok(const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h || !clean(h, true)) return false;
    for (const char *p = h; p < colon; p++)
        if (*p == ' ' || *p == '\t') return false;
    return true;
}

static int check(const khnet_request *req, char *err, size_t errlen)
{
    if (!method_ok(req->method)) return fail(err, errlen, "method must be an uppercase token");
    if (req->path && !req->path[0])
        return fail(err, errlen, "empty path (a typed call's query parameter did not fit)");
    if (!req->path || req->path[0] != '/' || !clean(req->path, false))
        return fail(err, errlen, "path must start with '/' and hold no spaces or controls");
    if (req->body_len && !req->body) return fail(err, errlen, "body_len without body");
    if (req->content_type && !clean(req->content_type, true))
        return fail(err, errlen, "bad content type");
    if (req->idempotency_key && (!*req->idempotency_key || !clean(req->idempotency_key, false)))
        return fail(err, errlen, "bad idempotency key");
    for (const char *const *h = req->headers; h && *h; h++)
        if (!header_line_ok(*h))
            return fail(err, errlen, "extra headers must be \"Name: value\" lines");
    return 0;
}

int khnet__req_head(kp_buf *out, const khnet_request *req, const char *hostport, const char *token,
                    char *err, size_t errlen)
{
    if (check(req, err, errlen) < 0) return -1;
    kp_buf_appendf(out,
                   "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: libkhnet/%s\r\n"
                   "Accept: application/msgpack\r\n",
                   req->method, req->path, hostport, KHNET_VERSION_STRING);
    if (token) kp_buf_appendf(out, "Authorization: Bearer %s\r\n", token);
    if (req->idempotency_key) kp_buf_appendf(out, "Idempotency-Key: %s\r\n", req->idempotency_key);
    bool has_body = req->body_len > 0;
    /* POST/PUT/PATCH always state a length so the server need not guess. */
    if (has_body || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
        strcmp(req->method, "PATCH") == 0)
        kp_buf_appendf(out, "Content-Length: %zu\r\n", req->body_len);
    if (has_body)
        kp_buf_appendf(out, "Content-Type: %s\r\n",
                       req->content_type ? req->content_type : "application/msgpack");
    for (const char *const *h = req->headers; h && *h; h++)
        kp_buf_appendf(out, "%s\r\n", *h);
    kp_buf_append(out, "\r\n", 2);
    if (out->oom) {
        snprintf(err, errlen, "out of memory");
        return -2;
    }
    return 0;
}

bool khnet__req_retryable(const khnet_request *req)
{
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ||
           req->idempotency_key != NULL;
}
