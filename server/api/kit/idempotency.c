/* idempotency.c — the request side of Idempotency-Key (PROTOCOL.md
 * "Idempotency keys"): check the key, name the caller's scope, fingerprint
 * the request, and turn the database's verdict into a reply.
 *
 * The claim, the write and the stored result are not three round trips
 * here: an idempotent write's SQL function calls khnet_idem_claim and
 * khnet_idem_store itself (migrations/0002), so all three commit together
 * and a crash between them cannot leave a key claimed without its result.
 * What is stored is the write's result row, not the encoded reply: a replay
 * runs through the same encoder as the first answer, so both are equal. */
#include <stdio.h>
#include <string.h>

#include "kit.h"

enum { IDEM_KEY_MAX = 128 };

static bool valid_key(const char *k, size_t n)
{
    if (n == 0 || n > IDEM_KEY_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

int api_idem_begin(http_req *r, int64_t account_id, api_idem *out)
{
    size_t n;
    const char *key = http_req_header(r, "idempotency-key", &n);
    kp_arena *a = http_req_arena(r);
    *out = (api_idem){{NULL, NULL, NULL}};
    if (!key) return 0;
    if (!valid_key(key, n)) {
        api_fail(r, "invalid_value", "Idempotency-Key is 1-128 characters of [A-Za-z0-9._:-]",
                 "Idempotency-Key");
        return -1;
    }
    char who[80], addr[64];
    if (account_id > 0)
        snprintf(who, sizeof who, "a:%lld", (long long)account_id);
    else if (http_req_peer(r, addr, sizeof addr) == 0)
        snprintf(who, sizeof who, "c:%s", addr);
    else
        snprintf(who, sizeof who, "c:unknown");
    const char *method = http_req_method(r), *path = http_req_path(r);
    size_t sl = strlen(who) + strlen(method) + strlen(path) + 3;
    char *scope = kp_arena_alloc(a, sl);
    char *fp = kp_arena_alloc(a, AUTH_DIGEST_HEX);
    if (!scope || !fp) {
        api_oom(r);
        return -1;
    }
    snprintf(scope, sl, "%s %s %s", who, method, path);
    /* method, path and body, each length-prefixed so no two requests
     * concatenate to the same bytes */
    kp_buf b;
    kp_buf_init(&b);
    kp_w_array(&b, 3);
    kp_w_cstr(&b, method);
    kp_w_cstr(&b, path);
    if (http_req_body(r))
        kp_w_value(&b, http_req_body(r));
    else
        kp_w_nil(&b);
    uint8_t d[AUTH_DIGEST_LEN];
    bool oom = b.oom;
    if (!oom) auth_sha256(b.data, b.len, d);
    kp_buf_free(&b);
    if (oom) {
        api_oom(r);
        return -1;
    }
    auth_digest_hex(d, fp);
    out->params[0] = scope;
    out->params[1] = kp_arena_strndup(a, key, n);
    out->params[2] = fp;
    return 0;
}

int api_idem_check(http_req *r, const char *idem)
{
    if (idem && !strcmp(idem, "mismatch")) {
        api_fail(r, "idempotency_mismatch", "this Idempotency-Key was used for a different request",
                 "Idempotency-Key");
        return -1;
    }
    if (idem && !strcmp(idem, "replay")) http_req_add_header(r, "Idempotent-Replay", "true");
    return 0;
}
