/* read.c — the I/O-free HTTP response parser (like hiredis's read.c).
 *
 * Bytes go in through khnet__resp_feed() in whatever pieces the socket
 * delivered; llhttp (HTTP_RESPONSE mode, lenient flags off) does the
 * grammar, including chunked bodies.  llhttp's span callbacks may fire
 * several times per token when a token straddles two reads, so header names
 * and values are appended to buffers and only looked at in *_complete.
 * No sockets here, so the unit tests drive it with canned byte streams.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "khnet_int.h"

static khnet__resp *from(llhttp_t *p)
{
    return (khnet__resp *)p->data;
}

/* Refuses to grow the headers past the limit: a hostile or broken server
 * must not make the client buffer without bound. */
static int count_header(khnet__resp *r, size_t n)
{
    r->header_bytes += n;
    if (r->header_bytes > KHNET__MAX_HEADER_BYTES) {
        snprintf(r->err, sizeof r->err, "response headers exceed %u bytes",
                 KHNET__MAX_HEADER_BYTES);
        return -1;
    }
    return 0;
}

static int on_status(llhttp_t *p, const char *at, size_t n)
{
    return count_header(from(p), n);
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    khnet__resp *r = from(p);
    if (count_header(r, n) < 0) return -1;
    kp_buf_append(&r->hname, at, n);
    return r->hname.oom ? -1 : 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    khnet__resp *r = from(p);
    if (count_header(r, n) < 0) return -1;
    kp_buf_append(&r->hvalue, at, n);
    return r->hvalue.oom ? -1 : 0;
}

static bool name_is(const khnet__resp *r, const char *name)
{
    size_t n = strlen(name);
    return r->hname.len == n && strncasecmp((const char *)r->hname.data, name, n) == 0;
}

static void copy_value(const khnet__resp *r, char *dst, size_t cap)
{
    size_t n = r->hvalue.len < cap ? r->hvalue.len : cap - 1;
    if (n) memcpy(dst, r->hvalue.data, n);
    dst[n] = '\0';
}

/* The headers the reply reports; Connection and framing are llhttp's. */
static int on_header_value_complete(llhttp_t *p)
{
    khnet__resp *r = from(p);
    if (name_is(r, "content-type"))
        copy_value(r, r->content_type, sizeof r->content_type);
    else if (name_is(r, "x-request-id"))
        copy_value(r, r->request_id, sizeof r->request_id);
    else if (name_is(r, "sec-websocket-accept"))
        copy_value(r, r->ws_accept, sizeof r->ws_accept);
    else if (name_is(r, "idempotent-replay"))
        r->replayed = r->hvalue.len == 4 && !strncasecmp((const char *)r->hvalue.data, "true", 4);
    kp_buf_reset(&r->hname);
    kp_buf_reset(&r->hvalue);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    khnet__resp *r = from(p);
    r->status = (int)llhttp_get_status_code(p);
    /* 1 tells llhttp the response has no body, which HEAD replies declare
     * with a Content-Length they do not send. */
    return r->head ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    khnet__resp *r = from(p);
    if (r->body.len + n > r->max_body) {
        snprintf(r->err, sizeof r->err, "response body exceeds %zu bytes", r->max_body);
        return -1;
    }
    kp_buf_append(&r->body, at, n);
    return r->body.oom ? -1 : 0;
}

/* Pauses so that bytes after the response are not parsed as a second one:
 * this client never pipelines, so they can only be garbage. */
static int on_message_complete(llhttp_t *p)
{
    khnet__resp *r = from(p);
    int status = (int)llhttp_get_status_code(p);
    if (status >= 100 && status < 200 && status != 101) {
        /* Interim response (100 Continue, 103 Early Hints): the real one follows. */
        r->content_type[0] = '\0';
        r->request_id[0] = '\0';
        r->replayed = false;
        r->ws_accept[0] = '\0';
        kp_buf_reset(&r->body);
        return 0;
    }
    r->status = status;
    r->keep_alive = llhttp_should_keep_alive(p) != 0;
    r->done = true;
    return HPE_PAUSED;
}

void khnet__resp_init(khnet__resp *r, bool head_request)
{
    memset(r, 0, sizeof *r);
    kp_buf_init(&r->body);
    kp_buf_init(&r->hname);
    kp_buf_init(&r->hvalue);
    llhttp_settings_init(&r->settings);
    r->settings.on_status = on_status;
    r->settings.on_header_field = on_header_field;
    r->settings.on_header_value = on_header_value;
    r->settings.on_header_value_complete = on_header_value_complete;
    r->settings.on_headers_complete = on_headers_complete;
    r->settings.on_body = on_body;
    r->settings.on_message_complete = on_message_complete;
    llhttp_init(&r->parser, HTTP_RESPONSE, &r->settings);
    r->parser.data = r;
    r->max_body = KHNET__MAX_BODY_BYTES;
    r->head = head_request;
}

void khnet__resp_free(khnet__resp *r)
{
    kp_buf_free(&r->body);
    kp_buf_free(&r->hname);
    kp_buf_free(&r->hvalue);
}

static khnet__rstate parse_error(khnet__resp *r, llhttp_errno_t e)
{
    if (r->err[0] == '\0') {
        const char *why = llhttp_get_error_reason(&r->parser);
        snprintf(r->err, sizeof r->err, "bad HTTP response: %s", why ? why : llhttp_errno_name(e));
    }
    return KHNET__R_ERROR;
}

khnet__rstate khnet__resp_feed(khnet__resp *r, const char *p, size_t n)
{
    r->received += n;
    r->last_used = n;
    if (r->done) {
        r->last_used = 0;
        r->trailing += n;
        r->keep_alive = false;
        return KHNET__R_DONE;
    }
    llhttp_errno_t e = llhttp_execute(&r->parser, p, n);
    if (e == HPE_OK) return KHNET__R_MORE;
    if (e == HPE_PAUSED && r->done) {
        const char *stop = llhttp_get_error_pos(&r->parser);
        size_t used = stop ? (size_t)(stop - p) : n;
        r->last_used = used;
        if (used < n) {
            r->trailing += n - used;
            r->keep_alive = false;
        }
        return KHNET__R_DONE;
    }
    return parse_error(r, e);
}

khnet__rstate khnet__resp_eof(khnet__resp *r)
{
    if (r->done) return KHNET__R_DONE;
    if (r->received == 0) return KHNET__R_CLOSED;
    llhttp_errno_t e = llhttp_finish(&r->parser);
    if ((e == HPE_OK || e == HPE_PAUSED) && r->done) {
        r->keep_alive = false;
        return KHNET__R_DONE;
    }
    /* Cut off mid-headers, mid-body or mid-chunk: say so, whatever llhttp calls it. */
    if (r->err[0] == '\0')
        snprintf(r->err, sizeof r->err, "connection closed before the response was complete");
    return KHNET__R_ERROR;
}
