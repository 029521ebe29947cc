/* reply.c — turning a parsed HTTP response into a khnet_reply.
 *
 * A reply owns its body bytes and an arena; the decoded value tree lives in
 * the arena and its strings point into the body (kp_decode does not copy),
 * so both are freed together by khnet_reply_free().  The public struct is
 * the first member of a private one, so callers see no internals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "khnet_int.h"

typedef struct reply_mem {
    khnet_reply pub; /* what the caller sees; must stay first */
    kp_arena *arena; /* decoded values and error strings */
    kp_buf body;     /* body bytes plus a NUL terminator */
} reply_mem;

/* Generous limits: the server enforces the real ones on what it sends, the
 * client only has to stay bounded against a broken peer. */
static const kp_limits reply_limits = {
    .max_depth = 64,
    .max_items = 4u * 1000u * 1000u,
    .max_str = KHNET__MAX_BODY_BYTES,
    .max_total = KHNET__MAX_BODY_BYTES,
};

void khnet_reply_free(khnet_reply *reply)
{
    if (!reply) return;
    reply_mem *m = (reply_mem *)reply;
    kp_arena_free(m->arena);
    kp_buf_free(&m->body);
    free(m);
}

typedef enum body_kind { BODY_OTHER, BODY_MSGPACK, BODY_JSON } body_kind;

/* Media type before any ";", compared case-insensitively (RFC 9110). */
static body_kind kind_of(const char *ct)
{
    size_t n = strcspn(ct, "; \t");
    static const char *const mp[] = {"application/msgpack", "application/x-msgpack",
                                     "application/vnd.msgpack"};
    for (size_t i = 0; i < sizeof mp / sizeof mp[0]; i++)
        if (n == strlen(mp[i]) && strncasecmp(ct, mp[i], n) == 0) return BODY_MSGPACK;
    if ((n == 16 && strncasecmp(ct, "application/json", n) == 0) ||
        (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0))
        return BODY_JSON;
    return BODY_OTHER;
}

/* error.<key> as a NUL-terminated arena string, NULL if absent or not a string. */
static const char *err_str(reply_mem *m, const kp_value *err, const char *key)
{
    const kp_value *v = kp_map_get(err, key);
    if (!v || v->type != KP_STR) return NULL;
    return kp_arena_strndup(m->arena, v->v.s.ptr, v->v.s.len);
}

static void take_error(reply_mem *m)
{
    const kp_value *root = m->pub.root;
    if (!root || root->type != KP_MAP) return;
    const kp_value *err = kp_map_get(root, "error");
    if (!err || err->type != KP_MAP) return;
    m->pub.code = err_str(m, err, "code");
    m->pub.message = err_str(m, err, "message");
    m->pub.field = err_str(m, err, "field");
}

/* Decodes the body by its Content-Type; -1 with err set when it lies. */
static int decode(reply_mem *m, char *err, size_t errlen)
{
    body_kind k = kind_of(m->pub.content_type);
    if (m->pub.body_len == 0 || k == BODY_OTHER) return 0;
    kp_value *root = NULL;
    kp_err e = {0};
    int rc = k == BODY_MSGPACK
                 ? kp_decode(m->arena, m->pub.body, m->pub.body_len, &reply_limits, &root, &e)
                 : kp_json_decode(m->arena, (const char *)m->pub.body, m->pub.body_len,
                                  &reply_limits, &root, &e);
    if (rc < 0) {
        snprintf(err, errlen, "undecodable %s body from server (%s: %s)",
                 k == BODY_MSGPACK ? "msgpack" : "JSON", e.code ? e.code : "?", e.message);
        return -1;
    }
    m->pub.root = root;
    return 0;
}

static void describe(const khnet_reply *rep, char *err, size_t errlen)
{
    snprintf(err, errlen, "HTTP %d%s%s%s%s%s%s", rep->status, rep->code ? " " : "",
             rep->code ? rep->code : "", rep->message ? ": " : "", rep->message ? rep->message : "",
             rep->field ? " field=" : "", rep->field ? rep->field : "");
}

khnet_err khnet__reply_build(khnet__resp *r, khnet_reply **out, char *err, size_t errlen)
{
    *out = NULL;
    reply_mem *m = calloc(1, sizeof *m);
    if (!m || !(m->arena = kp_arena_new(4096))) {
        free(m);
        snprintf(err, errlen, "out of memory");
        return KHNET_ERR_NOMEM;
    }
    m->body = r->body; /* move: the parser no longer owns it */
    kp_buf_init(&r->body);
    kp_buf_append(&m->body, "", 1);
    m->pub.content_type = kp_arena_strndup(m->arena, r->content_type, strlen(r->content_type));
    m->pub.request_id = kp_arena_strndup(m->arena, r->request_id, strlen(r->request_id));
    if (m->body.oom || !m->pub.content_type || !m->pub.request_id) {
        khnet_reply_free(&m->pub);
        snprintf(err, errlen, "out of memory");
        return KHNET_ERR_NOMEM;
    }
    m->pub.status = r->status;
    m->pub.replayed = r->replayed;
    m->pub.body = m->body.data;
    m->pub.body_len = m->body.len - 1;
    *out = &m->pub;
    /* An error status wins over an undecodable body: the status is what the
     * caller acts on, and a proxy's HTML 502 page is not a protocol breach. */
    if (decode(m, err, errlen) < 0 && m->pub.status < 400) return KHNET_ERR_PROTOCOL;
    if (m->pub.status < 400) {
        err[0] = '\0';
        return KHNET_OK;
    }
    take_error(m);
    describe(&m->pub, err, errlen);
    return KHNET_ERR_HTTP;
}
